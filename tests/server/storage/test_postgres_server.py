"""`simrooms serve` on PostgreSQL: users, tokens, sockets and a restart on the same database."""

from __future__ import annotations

from pathlib import Path

import pytest
import requests

from tests.support.postgres import Postgres
from tests.support.server import Client, Server, make_room

pytestmark = pytest.mark.integration


def test_a_server_on_postgresql(postgres: Postgres, tmp_path: Path) -> None:
    url = postgres.create_database("serve")
    server = Server(tmp_path / "data", database_url=url)
    try:
        assert not (tmp_path / "data" / "simrooms.db").exists(), "no SQLite beside PostgreSQL"
        token = server.token("alice")
        client = Client(server.url, token=token)
        try:
            name = make_room(client, "pg")
            assert client.ok("get_state", {"room": name})["state"]["room"] == name
        finally:
            client.close()
        revoked = server.token("alice")
        answer = requests.post(
            server.url + "/api/token/revoke", headers={"Authorization": f"Bearer {revoked}"}, timeout=30
        )
        assert answer.status_code == 200
        server.stop()
        server.start()
        headers = {"Authorization": f"Bearer {revoked}"}
        assert requests.get(server.url + "/api/rooms", headers=headers, timeout=30).status_code == 401
        Client(server.url, token=token).close()
    finally:
        server.stop()
