"""Fixtures of the server's tests; what they use is in tests/support/server.py.

- ``server``: one ``simrooms serve`` for the whole session, shared by every module that asks for
  it (rooms outlive tests there: name them with ``room_name``/``make_room``). Rooms named
  ``boom...`` fail after 3 ticks (the fault hook); limits are loose.
- ``connect``: ``connect(user)`` gives a Client of ``server`` signed in with a token, closed
  after the test.
- ``postgres``: one PostgreSQL server for the whole session (tests/support/postgres.py), started
  when a test first asks for it; ``postgres.create_database()`` gives a new empty database's URL.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.postgres import Postgres
from tests.support.server import Clients, Server


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    srv = Server(
        tmp_path_factory.mktemp("serve"),
        {
            "SIMROOMS_FAULT_ROOM_PREFIX": "boom",
            "SIMROOMS_MAX_ROOMS_PER_USER": "200",
            "SIMROOMS_RATE_LIMIT_PER_SECOND": "500",
            "SIMROOMS_RATE_LIMIT_BURST": "500",
        },
    )
    yield srv
    srv.stop()


@pytest.fixture
def connect(server: Server) -> Iterator[Clients]:
    """connect(user) -> a Client signed in with a token; closed after the test."""
    clients = Clients(server)
    yield clients
    clients.close()


@pytest.fixture(scope="session")
def postgres() -> Iterator[Postgres]:
    """A PostgreSQL server for the session (fails, does not skip, when PostgreSQL is missing)."""
    server = Postgres()
    yield server
    server.stop()
