"""``Database``: the engine and short sessions that every part of ``Storage`` shares.

Methods of ``Storage`` open one short session each and return frozen records, so callers never
hold a session across green threads. They are called from the event loop and from real OS threads
(a writer thread). Under eventlet's monkey patching SQLAlchemy's connection pool locks are green
locks, which cannot wake a waiter on another OS thread: so each OS thread gets its own engine (the
event loop's green threads share one). Without eventlet one engine serves every thread.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker


def _os_thread_ident() -> int:
    """The id of the OS thread running (all of eventlet's green threads share their hub's)."""
    if "eventlet" in sys.modules:
        import eventlet.patcher

        if eventlet.patcher.is_monkey_patched("thread"):
            real: Any = eventlet.patcher.original("threading")
            return int(real.get_ident())
    return 0


class Database:
    """The engine(s) of one database URL and the sessions on them."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._engines: dict[int, tuple[Engine, sessionmaker[Session]]] = {}
        self.engine: Engine = self._bound()[0]
        """The engine of the thread that made this storage (migrations run on it)."""

    @property
    def is_sqlite(self) -> bool:
        return self.url.startswith("sqlite")

    def _make_engine(self) -> Engine:
        kwargs: dict[str, Any] = {}
        if self.is_sqlite:
            kwargs["connect_args"] = {"check_same_thread": False, "timeout": 30}
        else:
            kwargs["pool_pre_ping"] = True
        engine = create_engine(self.url, **kwargs)
        if self.is_sqlite:
            event.listen(engine, "connect", _sqlite_pragmas)
        return engine

    def _bound(self) -> tuple[Engine, sessionmaker[Session]]:
        ident = _os_thread_ident()
        found = self._engines.get(ident)
        if found is None:
            # No lock (a green one could not wake another OS thread): when two green threads
            # race here, setdefault keeps one engine and the other is disposed.
            engine = self._make_engine()
            found = self._engines.setdefault(ident, (engine, sessionmaker(engine, expire_on_commit=False)))
            if found[0] is not engine:
                engine.dispose()
        return found

    @contextmanager
    def session(self) -> Iterator[Session]:
        with self._bound()[1]() as session:
            yield session

    def dispose_thread(self) -> None:
        """Close the calling OS thread's connections (a thread that used this storage and ends
        calls this; the event loop's are closed by ``dispose``)."""
        found = self._engines.get(_os_thread_ident())
        if found is not None and found[0] is not self.engine:
            del self._engines[_os_thread_ident()]
            found[0].dispose()

    def dispose(self) -> None:
        for engine, _ in list(self._engines.values()):
            engine.dispose()


def _sqlite_pragmas(dbapi_connection: Any, _record: object) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()
