"""Persistence through SQLAlchemy: users now; rooms, checkpoints and replays extend this module.

One ``Storage`` per process wraps an engine and a session factory. Methods open a short session
each and return plain detached rows, so callers never hold a session across green threads.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy import Boolean, DateTime, Integer, String, create_engine, event, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker


class Base(DeclarativeBase):
    pass


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


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


@dataclass(frozen=True)
class User:
    """A user as the rest of the server sees it (no session attached)."""

    id: int
    name: str
    is_admin: bool
    password_hash: str
    session_version: int

    @classmethod
    def of(cls, row: UserRow) -> User:
        return cls(row.id, row.name, row.is_admin, row.password_hash, row.session_version)


class NameTaken(Exception):
    """A user of that name (ignoring case) exists."""


class Storage:
    """The database of one simrooms installation."""

    def __init__(self, url: str) -> None:
        self.url = url
        kwargs: dict[str, object] = {}
        if url.startswith("sqlite"):
            kwargs["connect_args"] = {"check_same_thread": False, "timeout": 30}
        self.engine: Engine = create_engine(url, **kwargs)
        if url.startswith("sqlite"):
            event.listen(self.engine, "connect", _sqlite_pragmas)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    def create_all(self) -> None:
        Base.metadata.create_all(self.engine)

    def dispose(self) -> None:
        self.engine.dispose()

    @contextmanager
    def session(self) -> Iterator[Session]:
        with self._sessions() as session:
            yield session

    # ------------------------------------------------------------------ users

    def create_user(self, name: str, password_hash: str, is_admin: bool = False) -> User:
        row = UserRow(name=name, name_key=name.lower(), password_hash=password_hash, is_admin=is_admin)
        with self.session() as session:
            session.add(row)
            try:
                session.commit()
            except IntegrityError as exc:
                raise NameTaken(name) from exc
            return User.of(row)

    def user_by_name(self, name: str) -> User | None:
        with self.session() as session:
            row = session.scalars(select(UserRow).where(UserRow.name_key == name.lower())).first()
            return User.of(row) if row else None

    def user_by_id(self, user_id: int) -> User | None:
        with self.session() as session:
            row = session.get(UserRow, user_id)
            return User.of(row) if row else None

    def bump_session_version(self, user_id: int) -> None:
        with self.session() as session:
            row = session.get(UserRow, user_id)
            if row is not None:
                row.session_version += 1
                session.commit()


def _sqlite_pragmas(dbapi_connection: object, _record: object) -> None:
    cursor = dbapi_connection.cursor()  # type: ignore[attr-defined]
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()
