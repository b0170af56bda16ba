"""``Storage``: everything simrooms keeps in its database, in one object per process.

The parts are mixins over ``server.storage.connection.Database`` (engine, short sessions):
``users``, ``tokens``, ``rooms`` (rooms and grants), ``history`` (episodes, controls,
checkpoints), ``sweeps``. Every method opens one short session and returns frozen records
(``server.storage.records``). ``upgrade`` migrates the schema (``server.storage.migrate``).
"""

from __future__ import annotations

from server.storage import migrate
from server.storage.history import HistoryStore
from server.storage.records import NameTaken, RoomNameTaken, User
from server.storage.rooms import RoomStore
from server.storage.sweeps import SweepStore
from server.storage.tokens import TokenStore
from server.storage.users import UserStore

__all__ = ["NameTaken", "RoomNameTaken", "Storage", "User"]


class Storage(UserStore, TokenStore, RoomStore, HistoryStore, SweepStore):
    """The database of one simrooms installation."""

    def upgrade(self, revision: str = "head") -> None:
        """Migrate the schema to `revision` (the server does this at start)."""
        migrate.upgrade(self.engine, revision)

    def revision(self) -> str | None:
        """The schema's revision (None: not under migrations)."""
        return migrate.current(self.engine)
