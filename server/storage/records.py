"""What the storage API hands out: frozen dataclasses, never rows or sessions; and its errors."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Literal

TokenState = Literal["active", "expired", "revoked"]


class NameTaken(Exception):
    """A user of that name (ignoring case) exists."""


class SweepNameTaken(Exception):
    """A live sweep has that name (ignoring case)."""


class RoomNameTaken(Exception):
    """A live room of that name (ignoring case) exists."""


@dataclass(frozen=True)
class User:
    """A user as the rest of the server sees it (no session attached)."""

    id: int
    name: str
    is_admin: bool
    password_hash: str
    session_version: int


@dataclass(frozen=True)
class TokenRecord:
    """A bearer token as stored: its hash, never the token itself."""

    id: int
    user_id: int
    token_hash: str
    created_at: dt.datetime
    expires_at: dt.datetime
    last_used_at: dt.datetime | None
    revoked_at: dt.datetime | None

    def state(self, now: dt.datetime) -> TokenState:
        if self.revoked_at is not None:
            return "revoked"
        return "expired" if now >= self.expires_at else "active"


@dataclass(frozen=True)
class RoomRecord:
    id: int
    key: str
    name: str
    owner_id: int
    owner: str
    """The owner's user name."""
    agents: int
    policy: str
    seed: str
    config: dict[str, Any]
    public: bool
    speed: float | str
    """A float, or "max" (turbo)."""
    running: bool
    created_at: dt.datetime
    forked_from: int | None
    fork_tick: int | None
    grants: frozenset[int]
    """The users the owner granted control."""
    server: str = "default"
    deleted_at: dt.datetime | None = None
    """When the room was deleted (room_by_id also finds deleted rooms); None while it lives."""
    sweep_id: int | None = None
    """The sweep that made it, if any."""
    sweep_point: dict[str, Any] | None = None
    """Its grid point in that sweep (dotted config fields and their values)."""


@dataclass(frozen=True)
class SweepRecord:
    id: int
    key: str
    name: str
    owner_id: int
    owner: str
    spec: dict[str, Any]
    """What create_sweep was given: the rooms' fields, the seeds and the grid."""
    created_at: dt.datetime


@dataclass(frozen=True)
class EpisodeRecord:
    episode: int
    end_tick: int
    reason: str
    products_created: int
    total_reward: float
    efficiency: float
    stats: dict[str, Any]
    metrics: dict[str, Any]
    ended_at: dt.datetime | None = field(default=None, compare=False)
    """When it was stored (set by storage; not part of what makes two episodes equal)."""


@dataclass(frozen=True)
class ControlRecord:
    seq: int
    """Per room, from 1."""
    tick: int
    kind: str
    value: Any
    user_id: int | None


@dataclass(frozen=True)
class CheckpointRecord:
    id: int
    room_id: int
    tick: int
    seq: int
    path: str
    size_bytes: int
    reason: str
    created_at: dt.datetime
