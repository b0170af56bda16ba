"""Signing in over HTTP (server.http.api, server.http.auth) through Flask's test client, and tokens."""

from __future__ import annotations

import time
from pathlib import Path

from server.http.auth import Auth, hash_password
from server.settings import Settings
from server.storage.database import Storage
from tests.support.app import running_app
from tests.support.server import NS, PASSWORD, csrf_token


def test_http_login_logout_and_csrf(tmp_path: Path) -> None:
    with running_app(tmp_path) as (flask_app, socketio):
        http = flask_app.test_client()
        csrf = csrf_token(http.get("/login").get_data(as_text=True))
        cross_site = {"Origin": "http://evil.example"}
        assert (
            http.post(
                "/login", data={"username": "alice", "password": PASSWORD}, headers=cross_site
            ).status_code
            == 400
        )
        assert (
            http.post(
                "/login", data={"username": "alice", "password": PASSWORD, "csrf_token": "x"}
            ).status_code
            == 400
        )
        assert (
            http.post(
                "/login", data={"username": "alice", "password": "nope", "csrf_token": csrf}
            ).status_code
            == 401
        )
        answer = http.post("/login", data={"username": "alice", "password": PASSWORD, "csrf_token": csrf})
        assert answer.status_code == 303 and answer.headers["Location"].endswith("/")
        assert http.get("/api/rooms").status_code == 200
        sio = socketio.test_client(flask_app, namespace=NS, flask_test_client=http)
        assert sio.is_connected(NS)
        assert http.post("/logout", data={"csrf_token": csrf}).status_code == 400, "sign-in rotates the token"
        assert sio.is_connected(NS)
        fresh = csrf_token(http.get("/logout").get_data(as_text=True))
        assert fresh != csrf
        assert http.post("/logout", data={"csrf_token": fresh}).status_code == 303
        assert not sio.is_connected(NS)
        assert http.get("/api/rooms").status_code == 401


def test_tokens_expire(tmp_path: Path) -> None:
    storage = Storage(Settings(data_dir=tmp_path).resolved_database_url())
    storage.upgrade()
    user = storage.create_user("tim", hash_password(PASSWORD))
    auth = Auth(storage, token_lifetime=1)
    token, expires_at = auth.issue_token(user)
    assert expires_at.endswith("Z")
    assert auth.user_from_token(token) == user
    assert auth.user_from_token(token + "x") is None
    time.sleep(2.2)
    assert auth.user_from_token(token) is None
    storage.dispose()
