"""Rooms that last: revocable tokens, rooms, grants, episodes, controls, checkpoints.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision: str | None = "0001"
branch_labels = None
depends_on = None

LIVE_ROOM = sa.text("deleted_at IS NULL")


def _when() -> sa.Column[object]:
    return sa.Column("created_at", sa.DateTime(timezone=True), nullable=False)


def upgrade() -> None:
    op.create_table(
        "tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        _when(),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name="fk_tokens_user_id_users", ondelete="CASCADE"
        ),
        sa.UniqueConstraint("token_hash", name="uq_tokens_token_hash"),
    )
    op.create_index("ix_tokens_user_id", "tokens", ["user_id"])

    op.create_table(
        "rooms",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(40), nullable=False),
        sa.Column("name", sa.String(40), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("agents", sa.Integer(), nullable=False),
        sa.Column("policy", sa.String(20), nullable=False),
        sa.Column("seed", sa.String(64), nullable=False),
        sa.Column("config", sa.JSON(), nullable=False),
        sa.Column("public", sa.Boolean(), nullable=False),
        sa.Column("speed", sa.JSON(), nullable=False),
        sa.Column("running", sa.Boolean(), nullable=False),
        _when(),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("forked_from", sa.Integer(), nullable=True),
        sa.Column("fork_tick", sa.BigInteger(), nullable=True),
        sa.Column("server", sa.String(64), nullable=False, server_default="default"),
        sa.PrimaryKeyConstraint("id"),
        sa.ForeignKeyConstraint(["owner_id"], ["users.id"], name="fk_rooms_owner_id_users"),
        sa.ForeignKeyConstraint(["forked_from"], ["rooms.id"], name="fk_rooms_forked_from_rooms"),
    )
    op.create_index(
        "uq_rooms_live_key", "rooms", ["key"], unique=True, sqlite_where=LIVE_ROOM, postgresql_where=LIVE_ROOM
    )
    op.create_index("ix_rooms_server", "rooms", ["server"])

    op.create_table(
        "grants",
        sa.Column("room_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("room_id", "user_id"),
        sa.ForeignKeyConstraint(
            ["room_id"], ["rooms.id"], name="fk_grants_room_id_rooms", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name="fk_grants_user_id_users", ondelete="CASCADE"
        ),
    )

    op.create_table(
        "episodes",
        sa.Column("room_id", sa.Integer(), nullable=False),
        sa.Column("episode", sa.BigInteger(), nullable=False, autoincrement=False),
        sa.Column("end_tick", sa.BigInteger(), nullable=False),
        sa.Column("reason", sa.String(40), nullable=False),
        sa.Column("products_created", sa.BigInteger(), nullable=False),
        sa.Column("total_reward", sa.Float(), nullable=False),
        sa.Column("efficiency", sa.Float(), nullable=False),
        sa.Column("stats", sa.JSON(), nullable=False),
        sa.Column("metrics", sa.JSON(), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("room_id", "episode"),
        sa.ForeignKeyConstraint(
            ["room_id"], ["rooms.id"], name="fk_episodes_room_id_rooms", ondelete="CASCADE"
        ),
    )

    op.create_table(
        "controls",
        sa.Column("room_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False, autoincrement=False),
        sa.Column("tick", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("value", sa.JSON(none_as_null=True), nullable=True),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("room_id", "seq"),
        sa.ForeignKeyConstraint(
            ["room_id"], ["rooms.id"], name="fk_controls_room_id_rooms", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name="fk_controls_user_id_users", ondelete="SET NULL"
        ),
    )

    op.create_table(
        "checkpoints",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("room_id", sa.Integer(), nullable=False),
        sa.Column("tick", sa.BigInteger(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("path", sa.String(512), nullable=False),
        sa.Column("size_bytes", sa.BigInteger(), nullable=False),
        _when(),
        sa.Column("reason", sa.String(20), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.ForeignKeyConstraint(
            ["room_id"], ["rooms.id"], name="fk_checkpoints_room_id_rooms", ondelete="CASCADE"
        ),
    )
    op.create_index("ix_checkpoints_room_tick", "checkpoints", ["room_id", "tick"])


def downgrade() -> None:
    for table in ("checkpoints", "controls", "episodes", "grants", "rooms", "tokens"):
        op.drop_table(table)
