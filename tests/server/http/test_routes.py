"""HTTP routes and signing in (server.http.api, server.http.auth), against a real `simrooms serve`."""

from __future__ import annotations

import re

import pytest
import requests
import socketio

from tests.support.server import (
    NS,
    PASSWORD,
    Client,
    Server,
    csrf_token,
    login_session,
    make_room,
)

pytestmark = pytest.mark.integration


def test_http_routes(server: Server) -> None:
    assert requests.get(server.url + "/healthz").json() == {"status": "ok"}
    form = requests.get(server.url + "/login")
    assert form.status_code == 200
    assert 'name="username"' in form.text and 'name="password"' in form.text
    assert requests.get(server.url + "/api/rooms").status_code == 401
    assert (
        requests.get(server.url + "/api/rooms", headers={"Authorization": "Bearer nonsense"}).status_code
        == 401
    )
    bad = requests.post(server.url + "/api/token", json={"username": "alice", "password": "wrong password"})
    assert bad.status_code == 401
    answer = requests.post(server.url + "/api/token", json={"username": "alice", "password": PASSWORD}).json()
    assert set(answer) == {"token", "expires_at"}
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(Z|[+-]\d\d:\d\d)", answer["expires_at"])
    rooms = requests.get(server.url + "/api/rooms", headers={"Authorization": f"Bearer {answer['token']}"})
    assert rooms.status_code == 200 and isinstance(rooms.json()["rooms"], list)
    metrics = requests.get(server.url + "/metrics")
    assert metrics.status_code == 200 and "text/plain" in metrics.headers["Content-Type"]
    for name in ("simrooms_connections", "simrooms_ticks_total", "simrooms_event_loop_lag_seconds_bucket"):
        assert name in metrics.text
    schema = requests.get(server.url + "/api/schema").json()
    assert "create_room" in schema["client_events"] and "state_update" in schema["server_events"]


def test_login_refuses_cross_site_posts_and_wrong_tokens(server: Server) -> None:
    credentials = {"username": "alice", "password": PASSWORD}
    for headers, extra in (
        ({"Origin": "http://evil.example"}, {}),
        ({"Sec-Fetch-Site": "cross-site"}, {}),
        ({}, {"csrf_token": "not-the-session-token"}),
    ):
        session = requests.Session()
        session.get(server.url + "/login")
        answer = session.post(
            server.url + "/login", data={**credentials, **extra}, headers=headers, allow_redirects=False
        )
        assert answer.status_code == 400, headers
        assert session.get(server.url + "/api/rooms").status_code == 401


def test_a_program_logs_in_with_username_and_password_alone(server: Server) -> None:
    session = requests.Session()
    answer = session.post(
        server.url + "/login", data={"username": "alice", "password": PASSWORD}, allow_redirects=False
    )
    assert answer.status_code in (302, 303) and answer.headers["Location"].endswith("/")
    assert session.get(server.url + "/api/rooms").status_code == 200


def test_cookie_login_connects_and_logout_disconnects(server: Server) -> None:
    session = login_session(server.url, "alice")
    assert session.get(server.url + "/api/rooms").status_code == 200
    cookies = session.cookies.get_dict()
    client = Client(server.url, cookies=cookies)
    try:
        name = make_room(client)
        assert client.ok("join_room", {"room": name})["role"] == "owner"
        csrf = csrf_token(session.get(server.url + "/logout").text)
        out = session.post(server.url + "/logout", data={"csrf_token": csrf}, allow_redirects=False)
        assert out.status_code in (302, 303)
        assert client.disconnected.wait(10), "logout must disconnect the user's sockets"
        # The old cookie no longer signs anybody in.
        assert requests.get(server.url + "/api/rooms", cookies=cookies).status_code == 401
        with pytest.raises(socketio.exceptions.ConnectionError):
            Client(server.url, cookies=cookies)
    finally:
        client.close()


def test_connect_without_credentials_is_refused_with_unauthorized(server: Server) -> None:
    for kwargs in ({}, {"token": "forged.token.value"}):
        sio = socketio.Client(reconnection=False)
        errors: list[object] = []
        sio.on("connect_error", errors.append, namespace=NS)
        with pytest.raises(socketio.exceptions.ConnectionError):
            sio.connect(
                server.url, namespaces=[NS], auth=kwargs or None, transports=["websocket"], wait_timeout=10
            )
        assert errors and errors[0]["message"] == "unauthorized"
        assert errors[0]["data"]["code"] == "unauthorized" and errors[0]["data"]["message"]
