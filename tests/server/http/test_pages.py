"""server.http.pages over Flask's test client: redirects, the login template, sign-up, admin access."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.support.app import running_app
from tests.support.server import NS, PASSWORD, csrf_token

USERS = {"alice": False, "root": True}


@pytest.fixture
def app(tmp_path: Path) -> Iterator[Flask]:
    with running_app(tmp_path, USERS) as (flask_app, _):
        yield flask_app


def csrf(client: FlaskClient, path: str = "/login") -> str:
    return csrf_token(client.get(path).get_data(as_text=True))


def sign_in(client: FlaskClient, user: str, next_path: str | None = None) -> str:
    data = {"username": user, "password": PASSWORD, "csrf_token": csrf(client)}
    if next_path is not None:
        data["next"] = next_path
    answer = client.post("/login", data=data)
    assert answer.status_code == 303
    return str(answer.headers["Location"])


def test_pages_need_a_session(app: Flask) -> None:
    client = app.test_client()
    for path in ("/", "/rooms/Factory%201", "/admin"):
        answer = client.get(path)
        assert answer.status_code == 303 and answer.headers["Location"].startswith("/login"), path
    assert client.get("/rooms/Factory%201").headers["Location"] == "/login?next=/rooms/Factory%201"
    page = client.get("/login").get_data(as_text=True)
    for name in ("username", "password", "csrf_token"):
        assert f'name="{name}"' in page
    assert client.get("/healthz").json == {"status": "ok"}
    assert client.get("/api/rooms").status_code == 401
    assert client.get("/signup").status_code == 404  # sign-up is off by default


def test_login_goes_back_where_it_was_asked_and_nowhere_else(app: Flask) -> None:
    client = app.test_client()
    assert sign_in(client, "alice") == "/"
    client = app.test_client()
    assert sign_in(client, "alice", "/rooms/Factory%201") == "/rooms/Factory%201"
    for evil in ("//evil.example/x", "https://evil.example/", "/\\evil.example", "javascript:alert(1)"):
        assert sign_in(app.test_client(), "alice", evil) == "/", evil
    wrong = app.test_client()
    answer = wrong.post(
        "/login", data={"username": "alice", "password": "nope", "csrf_token": csrf(wrong), "next": "/admin"}
    )
    assert answer.status_code == 401
    text = answer.get_data(as_text=True)
    assert "Wrong user name or password" in text and 'name="next" value="/admin"' in text


def test_pages_render_for_users(app: Flask) -> None:
    client = app.test_client()
    sign_in(client, "alice")
    lobby = client.get("/").get_data(as_text=True)
    assert 'id="create-form"' in lobby and "socket.io.min.js" in lobby and "alice" in lobby
    assert "cdn" not in lobby.lower() and "https://" not in lobby
    assert client.get("/rooms/Factory%201").status_code == 404  # no such room yet
    sio = app.extensions["socketio"].test_client(app, namespace=NS, flask_test_client=client)
    made = sio.emit("create_room", {"name": "Factory 1", "policy": "random"}, namespace=NS, callback=True)
    assert made["ok"], made
    sio.disconnect(namespace=NS)
    room = client.get("/rooms/Factory%201").get_data(as_text=True)
    assert '"room": "Factory 1"' in room and 'id="board"' in room and "uPlot.iife.min.js" in room
    assert client.get("/admin").status_code == 403
    assert client.get("/api/admin/rooms").status_code == 403
    admin = app.test_client()
    sign_in(admin, "root")
    assert admin.get("/admin").status_code == 200
    data = admin.get("/api/admin/rooms").get_json()
    assert isinstance(data, dict)
    assert [room["name"] for room in data["rooms"]] == ["Factory 1"] and data["server"]["rooms"] == 1
    for path in (
        "/static/vendor/socket.io/socket.io.min.js",
        "/static/vendor/uplot/uPlot.iife.min.js",
        "/static/js/room.js",
        "/static/css/app.css",
        "/static/favicon.svg",
    ):
        assert client.get(path).status_code == 200, path


def test_signup_when_allowed(tmp_path: Path) -> None:
    with running_app(tmp_path, USERS, allow_signup=True) as (app, _):
        client = app.test_client()
        assert 'href="/signup"' in client.get("/login").get_data(as_text=True)
        token = csrf(client, "/signup")
        bad = client.post(
            "/signup",
            data={"csrf_token": token, "username": "x y", "password": "short", "password2": "short"},
        )
        assert bad.status_code == 400
        assert "needs at least 8" in bad.get_data(as_text=True)
        taken = client.post(
            "/signup",
            data={"csrf_token": token, "username": "ALICE", "password": PASSWORD, "password2": PASSWORD},
        )
        assert taken.status_code == 409 and "is taken" in taken.get_data(as_text=True)
        differ = client.post(
            "/signup",
            data={
                "csrf_token": token,
                "username": "carol",
                "password": PASSWORD,
                "password2": "x" + PASSWORD,
            },
        )
        assert differ.status_code == 400 and "differ" in differ.get_data(as_text=True)
        assert (
            client.post(
                "/signup", data={"username": "carol", "password": PASSWORD, "password2": PASSWORD}
            ).status_code
            == 400
        )
        made = client.post(
            "/signup",
            data={"csrf_token": token, "username": "carol", "password": PASSWORD, "password2": PASSWORD},
        )
        assert made.status_code == 303 and made.headers["Location"] == "/"
        assert client.get("/").status_code == 200
        assert app.extensions["simrooms"].storage.user_by_name("carol") is not None
