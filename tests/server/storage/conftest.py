"""Fixtures of the storage tests: every test runs against SQLite and against PostgreSQL.

- ``db_url``: the URL of a new empty database (SQLite in the test's tmp dir, or a new database
  of the session's PostgreSQL server).
- ``storage``: a ``Storage`` on ``db_url`` migrated to head, with users alice and bob.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from server.storage.database import Storage, User


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'simrooms.db'}"
    url: str = request.getfixturevalue("postgres").create_database()
    return url


@pytest.fixture
def storage(db_url: str) -> Iterator[Storage]:
    store = Storage(db_url)
    store.upgrade()
    store.create_user("alice", "hash-a")
    store.create_user("bob", "hash-b")
    yield store
    store.dispose()


@pytest.fixture
def alice(storage: Storage) -> User:
    user = storage.user_by_name("alice")
    assert user is not None
    return user


@pytest.fixture
def bob(storage: Storage) -> User:
    user = storage.user_by_name("bob")
    assert user is not None
    return user
