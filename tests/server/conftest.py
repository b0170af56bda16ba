from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.server.helpers import PASSWORD, Client, Server

USERS = {"alice": False, "bob": False, "carol": False, "root": True}


def add_users(data_dir: Path) -> None:
    from server.http.auth import hash_password
    from server.settings import Settings
    from server.storage.database import Storage

    storage = Storage(Settings(data_dir=data_dir).resolved_database_url())
    storage.create_all()
    hashed = hash_password(PASSWORD)
    for name, admin in USERS.items():
        storage.create_user(name, hashed, is_admin=admin)
    storage.dispose()


def start_server(tmp: Path, env: dict[str, str] | None = None) -> Server:
    tmp.mkdir(parents=True, exist_ok=True)
    add_users(tmp)
    return Server(tmp, env)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    srv = start_server(tmp_path_factory.mktemp("serve"), {"SIMROOMS_FAULT_ROOM_PREFIX": "boom", "SIMROOMS_MAX_ROOMS_PER_USER": "200",
         "SIMROOMS_RATE_LIMIT_PER_SECOND": "500", "SIMROOMS_RATE_LIMIT_BURST": "500"})
    yield srv
    srv.stop()


@pytest.fixture
def connect(server: Server) -> Iterator[Callable[..., Client]]:
    """connect(user) -> a Client signed in with a token; closed after the test."""
    clients: list[Client] = []
    tokens: dict[str, str] = {}

    def make(user: str = "alice") -> Client:
        if user not in tokens:
            tokens[user] = server.token(user)
        client = Client(server.url, token=tokens[user])
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()
