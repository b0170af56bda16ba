"""The SQLAlchemy tables of simrooms, as ORM rows: users, tokens, rooms and their history.

Migrations (server/storage/migrations) create these tables; the rows here must match the head
revision. Types are portable between SQLite and PostgreSQL: JSON, timezone-aware DateTime (SQLite
keeps it naive: readers treat it as UTC, see ``as_utc``), BigInteger for ticks, seeds as strings
(they can be 128-bit).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

LIVE_ROOM = text("deleted_at IS NULL")
"""The condition of the partial unique index on rooms.key: only live rooms hold their key."""


NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
}
"""Named constraints (SQLite's batch migrations need names); primary keys keep the database's
own names, as the users table had them before migrations existed."""


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def as_utc(value: dt.datetime) -> dt.datetime:
    """`value` as an aware UTC datetime (SQLite hands timezone-aware columns back naive)."""
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


class UserRow(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(40), nullable=False)
    name_key: Mapped[str] = mapped_column(String(40), nullable=False, unique=True, index=True)
    """The name in lower case: names are unique ignoring case."""
    password_hash: Mapped[str] = mapped_column(String(255), nullable=False)
    is_admin: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    session_version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    """Bumped at logout: browser sessions carrying an older version are no longer valid."""
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), nullable=False, default=utcnow)


class TokenRow(Base):
    """A bearer token from ``POST /api/token``: only the sha256 of the token is kept."""

    __tablename__ = "tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True
    )
    token_hash: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), nullable=False, default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    last_used_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class SweepRow(Base):
    """A sweep: rooms made together over seeds and a grid of config values (``create_sweep``)."""

    __tablename__ = "sweeps"
    __table_args__ = (
        Index("uq_sweeps_live_key", "key", unique=True, sqlite_where=LIVE_ROOM, postgresql_where=LIVE_ROOM),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(40), nullable=False)
    """The name in lower case; unique among live sweeps."""
    name: Mapped[str] = mapped_column(String(40), nullable=False)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False)
    spec: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False)
    """What create_sweep was given: the rooms' fields, the seeds and the grid."""
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), nullable=False, default=utcnow)
    deleted_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class RoomRow(Base):
    __tablename__ = "rooms"
    __table_args__ = (
        Index("uq_rooms_live_key", "key", unique=True, sqlite_where=LIVE_ROOM, postgresql_where=LIVE_ROOM),
        Index("ix_rooms_server", "server"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(40), nullable=False)
    """The name in lower case; unique among live rooms (deleted_at NULL)."""
    name: Mapped[str] = mapped_column(String(40), nullable=False)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False)
    agents: Mapped[int] = mapped_column(Integer, nullable=False)
    policy: Mapped[str] = mapped_column(String(20), nullable=False)
    seed: Mapped[str] = mapped_column(String(64), nullable=False)
    config: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False)
    public: Mapped[bool] = mapped_column(Boolean, nullable=False)
    speed: Mapped[Any] = mapped_column(JSON, nullable=False)
    """A float, or the string "max" (turbo)."""
    running: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), nullable=False, default=utcnow)
    deleted_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    forked_from: Mapped[int | None] = mapped_column(ForeignKey("rooms.id"), nullable=True)
    fork_tick: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    server: Mapped[str] = mapped_column(
        String(64), nullable=False, default="default", server_default="default"
    )
    sweep_id: Mapped[int | None] = mapped_column(ForeignKey("sweeps.id"), nullable=True, index=True)
    """The sweep the room was made by, if any."""
    sweep_point: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    """Its grid point in that sweep: the dotted config fields the sweep varies, with their values."""
    """Which server process holds the room."""


class GrantRow(Base):
    """A user the room's owner granted control."""

    __tablename__ = "grants"

    room_id: Mapped[int] = mapped_column(ForeignKey("rooms.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)


class EpisodeRow(Base):
    __tablename__ = "episodes"

    room_id: Mapped[int] = mapped_column(ForeignKey("rooms.id", ondelete="CASCADE"), primary_key=True)
    episode: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    end_tick: Mapped[int] = mapped_column(BigInteger, nullable=False)
    reason: Mapped[str] = mapped_column(String(40), nullable=False)
    products_created: Mapped[int] = mapped_column(BigInteger, nullable=False)
    total_reward: Mapped[float] = mapped_column(Float, nullable=False)
    efficiency: Mapped[float] = mapped_column(Float, nullable=False)
    stats: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False)
    metrics: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False)
    ended_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), nullable=False, default=utcnow)


class ControlRow(Base):
    """A control applied to a room (start, stop, step, reset, speed, ...), in order: with the
    room's seed and a checkpoint, what re-simulates its past."""

    __tablename__ = "controls"

    room_id: Mapped[int] = mapped_column(ForeignKey("rooms.id", ondelete="CASCADE"), primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    """Per room, from 1."""
    tick: Mapped[int] = mapped_column(BigInteger, nullable=False)
    kind: Mapped[str] = mapped_column(String(20), nullable=False)
    value: Mapped[Any] = mapped_column(JSON(none_as_null=True), nullable=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), nullable=False, default=utcnow)


class CheckpointRow(Base):
    __tablename__ = "checkpoints"
    __table_args__ = (Index("ix_checkpoints_room_tick", "room_id", "tick"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    room_id: Mapped[int] = mapped_column(ForeignKey("rooms.id", ondelete="CASCADE"), nullable=False)
    tick: Mapped[int] = mapped_column(BigInteger, nullable=False)
    seq: Mapped[int] = mapped_column(BigInteger, nullable=False)
    """The last control seq applied when the checkpoint was taken."""
    path: Mapped[str] = mapped_column(String(512), nullable=False)
    """Relative to the data dir."""
    size_bytes: Mapped[int] = mapped_column(BigInteger, nullable=False)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), nullable=False, default=utcnow)
    reason: Mapped[str] = mapped_column(String(20), nullable=False)
