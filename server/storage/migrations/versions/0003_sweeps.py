"""Sweeps: rooms made together over seeds and a grid of config values.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision: str | None = "0002"
branch_labels = None
depends_on = None

LIVE = sa.text("deleted_at IS NULL")


def upgrade() -> None:
    op.create_table(
        "sweeps",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(40), nullable=False),
        sa.Column("name", sa.String(40), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("spec", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.ForeignKeyConstraint(["owner_id"], ["users.id"], name="fk_sweeps_owner_id_users"),
    )
    op.create_index(
        "uq_sweeps_live_key", "sweeps", ["key"], unique=True, sqlite_where=LIVE, postgresql_where=LIVE
    )
    with op.batch_alter_table("rooms") as rooms:
        rooms.add_column(sa.Column("sweep_id", sa.Integer(), nullable=True))
        rooms.add_column(sa.Column("sweep_point", sa.JSON(), nullable=True))
        rooms.create_foreign_key("fk_rooms_sweep_id_sweeps", "sweeps", ["sweep_id"], ["id"])
        rooms.create_index("ix_rooms_sweep_id", ["sweep_id"])


def downgrade() -> None:
    with op.batch_alter_table("rooms") as rooms:
        rooms.drop_index("ix_rooms_sweep_id")
        rooms.drop_constraint("fk_rooms_sweep_id_sweeps", type_="foreignkey")
        rooms.drop_column("sweep_point")
        rooms.drop_column("sweep_id")
    op.drop_index("uq_sweeps_live_key", "sweeps")
    op.drop_table("sweeps")
