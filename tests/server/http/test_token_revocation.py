"""Revoking bearer tokens against a real server: POST /api/token/revoke and the /tokens page."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import requests

from tests.support.server import Client, Server, csrf_token, login_session, refusal

pytestmark = pytest.mark.integration


def rooms_status(server: Server, token: str) -> int:
    answer = requests.get(server.url + "/api/rooms", headers={"Authorization": f"Bearer {token}"}, timeout=30)
    return answer.status_code


def test_a_revoked_token_is_refused_and_its_sockets_are_closed(server: Server) -> None:
    token, kept = server.token("carol"), server.token("carol")
    revoked_socket = Client(server.url, token=token)
    kept_socket = Client(server.url, token=kept)
    try:
        assert rooms_status(server, token) == 200
        answer = server.revoke(token)
        assert answer.status_code == 200 and answer.json() == {"revoked": True}
        assert revoked_socket.disconnected.wait(10), "the token's open socket is closed at once"
        assert rooms_status(server, token) == 401
        assert refusal(server, token)["code"] == "unauthorized"
        assert server.revoke(token).status_code == 401, "a revoked token cannot revoke"
        assert not kept_socket.disconnected.is_set(), "the user's other token keeps its socket"
        assert kept_socket.ok("list_rooms", {})["rooms"] is not None
        assert rooms_status(server, kept) == 200
    finally:
        revoked_socket.close()
        kept_socket.close()


def test_revoke_needs_the_bearer_token_itself(server: Server) -> None:
    assert requests.post(server.url + "/api/token/revoke", timeout=30).status_code == 401
    assert server.revoke("not-a-token").status_code == 401
    session = login_session(server.url, "carol")
    answer = session.post(server.url + "/api/token/revoke", timeout=30)
    assert answer.status_code in (400, 401), "a session cookie revokes nothing here"


def test_revocation_survives_a_restart(tmp_path: Path) -> None:
    server = Server(tmp_path / "data")
    try:
        revoked, kept = server.token("alice"), server.token("alice")
        assert server.revoke(revoked).status_code == 200
        server.stop()
        server.start()
        assert rooms_status(server, revoked) == 401
        assert refusal(server, revoked)["code"] == "unauthorized"
        assert rooms_status(server, kept) == 200
        Client(server.url, token=kept).close()
    finally:
        server.stop()


def token_rows(page: str) -> dict[int, str]:
    """Token id -> state, as the /tokens page lists them."""
    return {int(i): state for i, state in re.findall(r'data-token-id="(\d+)" data-state="(\w+)"', page)}


def test_the_tokens_page_lists_and_revokes(server: Server) -> None:
    assert requests.get(server.url + "/tokens", allow_redirects=False, timeout=30).status_code in (302, 303)
    token = server.token("bob")
    socket = Client(server.url, token=token)
    session = login_session(server.url, "bob")
    try:
        lobby = session.get(server.url + "/", timeout=30).text
        assert 'href="/tokens"' in lobby
        page = session.get(server.url + "/tokens", timeout=30)
        assert page.status_code == 200
        rows = token_rows(page.text)
        assert rows and set(rows.values()) <= {"active", "revoked", "expired"}
        newest = max(rows)
        assert rows[newest] == "active"
        assert session.post(server.url + f"/tokens/{newest}/revoke", timeout=30).status_code == 400, "CSRF"
        answer = session.post(
            server.url + f"/tokens/{newest}/revoke",
            data={"csrf_token": csrf_token(page.text)},
            allow_redirects=False,
            timeout=30,
        )
        assert answer.status_code == 303
        after = session.get(server.url + answer.headers["Location"], timeout=30).text
        assert token_rows(after)[newest] == "revoked" and f"Token {newest} is revoked" in after
        assert socket.disconnected.wait(10)
        assert rooms_status(server, token) == 401
        missing = session.post(
            server.url + "/tokens/999999/revoke", data={"csrf_token": csrf_token(after)}, timeout=30
        )
        assert missing.status_code == 404
        alice = login_session(server.url, "alice")
        alices_page = alice.get(server.url + "/tokens", timeout=30).text
        assert newest not in token_rows(alices_page), "a user sees only their own tokens"
        bobs = server.token("bob")
        bobs_id = max(token_rows(session.get(server.url + "/tokens", timeout=30).text))
        refused = alice.post(
            server.url + f"/tokens/{bobs_id}/revoke", data={"csrf_token": csrf_token(alices_page)}, timeout=30
        )
        assert refused.status_code == 404, "alice may not revoke bob's token"
        assert rooms_status(server, bobs) == 200
    finally:
        socket.close()
