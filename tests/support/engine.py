"""An engine without an event loop, for tests of the engine thread itself: its rooms are stored
in a fresh SQLite database of their own, as a server's are."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from server.engine.archive import Archive
from server.engine.engine import Engine
from server.engine.handoff import Bridge
from server.settings import Settings
from server.storage.database import Storage

OWNER = "engine-test"
"""The user who owns the rooms of a bare engine."""


def bare_engine(data_dir: Path, **settings: Any) -> Engine:
    """An engine (not started) with no hub: nothing it hands the event loop is ever sent."""
    chosen = Settings(data_dir=data_dir, **settings)
    storage = Storage(chosen.resolved_database_url())
    storage.upgrade()
    bridge = Bridge(green=False)
    return Engine(chosen, bridge, hub=None, archive=Archive(storage, data_dir, bridge))  # type: ignore[arg-type]


def add_room(
    engine: Engine, name: str, agents: int, policy: str, seed: int, speed: float | str = 1.0
) -> None:
    """A stored room on a started `engine`."""
    storage = engine.keeper.archive.storage
    owner = storage.user_by_name(OWNER) or storage.create_user(OWNER, "unused")
    record = storage.create_room(name, owner.id, agents, policy, str(seed), {}, True, speed)
    engine.call(engine.op_create, record.key, name, record.id, agents, policy, seed, speed)
