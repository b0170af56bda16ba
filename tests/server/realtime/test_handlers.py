"""The /sim handlers through Flask-SocketIO's test client (threading mode, engine thread real)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask_socketio import SocketIO, SocketIOTestClient

from server.app import Services, create_app
from server.http.auth import hash_password
from server.realtime.events import CLIENT_EVENTS, SERVER_EVENTS
from server.realtime.protocol import (
    ERROR_CODES,
    GameEnded,
    Presence,
    RoomInfo,
    Snapshot,
    StateUpdateDelta,
    StateUpdateFull,
)
from server.settings import Settings
from tests.support.server import NS, replay

PASSWORD = "password123"


@pytest.fixture
def app(tmp_path: Path) -> Iterator[tuple[Flask, SocketIO]]:
    settings = Settings(
        data_dir=tmp_path,
        async_mode="threading",
        rate_limit_per_second=1000,
        rate_limit_burst=1000,
        max_rooms_per_user=5,
        engine_warmup=False,
    )
    flask_app, socketio = create_app(settings)
    svc: Services = flask_app.extensions["simrooms"]
    hashed = hash_password(PASSWORD)
    for name, admin in (("alice", False), ("bob", False), ("root", True)):
        svc.storage.create_user(name, hashed, is_admin=admin)
    yield flask_app, socketio
    svc.shutdown()


@pytest.fixture
def client(app: tuple[Flask, SocketIO]) -> Callable[[str], SocketIOTestClient]:
    flask_app, socketio = app
    http = flask_app.test_client()

    def make(user: str) -> SocketIOTestClient:
        token = http.post("/api/token", json={"username": user, "password": PASSWORD}).json["token"]
        sio = socketio.test_client(flask_app, namespace=NS, auth={"token": token})
        assert sio.is_connected(NS)
        return sio

    return make


def call(sio: SocketIOTestClient, event: str, *args: Any) -> dict[str, Any]:
    ack: dict[str, Any] = sio.emit(event, *args, namespace=NS, callback=True)
    return ack


def received(sio: SocketIOTestClient, name: str, seen: list[dict[str, Any]]) -> list[Any]:
    seen.extend(sio.get_received(NS))
    return [m["args"][0] for m in seen if m["name"] == name]


def test_models_cover_every_event_and_examples_validate() -> None:
    assert set(CLIENT_EVENTS) == {
        "create_room",
        "list_rooms",
        "join_room",
        "leave_room",
        "get_state",
        "start_game",
        "stop_game",
        "step_game",
        "reset_game",
        "set_speed",
        "grant_control",
        "delete_room",
        "inspect_agent",
        "metrics_history",
    }
    assert {
        "state_update",
        "game_started",
        "game_stopped",
        "game_ended",
        "metrics",
        "presence",
        "room_error",
        "room_list",
        "agent_inspect",
    } <= set(SERVER_EVENTS)
    for spec in CLIENT_EVENTS.values():
        spec.model.model_validate(spec.example)
        spec.ack.model_validate(spec.example_ack)
    for server_event in SERVER_EVENTS.values():
        errors = []
        for model in server_event.models:
            try:
                model.model_validate(server_event.example)
                break
            except Exception as error:
                errors.append(error)
        else:
            raise AssertionError(errors)
    assert len(ERROR_CODES) == 9


def test_connect_needs_a_token(app: tuple[Flask, SocketIO]) -> None:
    flask_app, socketio = app
    anonymous = socketio.test_client(flask_app, namespace=NS)
    assert not anonymous.is_connected(NS)
    forged = socketio.test_client(flask_app, namespace=NS, auth={"token": "x.y.z"})
    assert not forged.is_connected(NS)


def test_room_lifecycle_with_models(client: Callable[[str], SocketIOTestClient]) -> None:
    alice = client("alice")
    seen: list[dict[str, Any]] = []
    created = call(alice, "create_room", {"name": "Lab", "policy": "random", "seed": 3, "speed": 5})
    assert created["ok"] and RoomInfo.model_validate(created["room"]).speed == 5.0
    joined = call(alice, "join_room", {"room": "lab"})
    assert joined["role"] == "owner"
    Snapshot.model_validate(joined["state"])
    assert call(alice, "start_game", {"room": "LAB"}) == {"ok": True, "tick": 0}
    time.sleep(0.6)
    stop = call(alice, "stop_game", {"room": "Lab"})
    assert stop["ok"] and stop["tick"] > 10
    time.sleep(0.2)
    updates = received(alice, "state_update", seen)
    assert updates[0]["full"] is True
    StateUpdateFull.model_validate(updates[0])
    for update in updates[1:]:
        StateUpdateDelta.model_validate(update)
    assert list(replay(updates))[-1] == call(alice, "get_state", {"room": "Lab"})["state"]
    Presence.model_validate(received(alice, "presence", seen)[0])
    assert call(alice, "reset_game", {"room": "Lab"})["ok"]
    time.sleep(0.1)
    GameEnded.model_validate(received(alice, "game_ended", seen)[0])
    assert received(alice, "metrics", seen)[0]["episode"] == 1
    assert call(alice, "leave_room", {"room": "Lab"}) == {"ok": True}
    assert call(alice, "delete_room", {"room": "Lab"}) == {"ok": True}
    assert call(alice, "get_state", {"room": "Lab"})["error"]["code"] == "not_found"


def test_roles_limits_and_errors(client: Callable[[str], SocketIOTestClient]) -> None:
    alice, bob, root = client("alice"), client("bob"), client("root")
    assert call(alice, "create_room", {"name": "Mine", "policy": "random", "public": False})["ok"]
    assert call(bob, "create_room", {"name": "MINE", "policy": "random"})["error"]["code"] == "conflict"
    assert call(bob, "get_state", {"room": "Mine"})["error"]["code"] == "not_found"
    assert call(bob, "list_rooms", {})["rooms"] == []
    assert [r["name"] for r in call(root, "list_rooms", {})["rooms"]] == ["Mine"]
    assert call(root, "join_room", {"room": "Mine"})["role"] == "admin"
    assert call(root, "grant_control", {"room": "Mine", "user": "bob", "allow": True})["ok"]
    assert (
        call(root, "grant_control", {"room": "Mine", "user": "nobody", "allow": True})["error"]["code"]
        == "not_found"
    )
    assert call(bob, "join_room", {"room": "Mine"})["role"] == "controller"
    assert call(bob, "delete_room", {"room": "Mine"})["error"]["code"] == "forbidden"
    assert call(bob, "set_speed", {"room": "Mine", "speed": "max"}) == {"ok": True, "speed": "max"}
    assert call(bob, "start_game", {"room": "Mine"})["ok"]
    assert call(bob, "step_game", {"room": "Mine"})["error"]["code"] == "invalid_state"
    for i in range(4):
        assert call(alice, "create_room", {"name": f"r{i}", "policy": "random"})["ok"]
    assert call(alice, "create_room", {"name": "r9", "policy": "random"})["error"]["code"] == "limit_reached"
    for payload in (None, [1], "x", b"\x00", {"room": "Mine", "x": 1}):
        assert call(alice, "get_state", payload)["error"]["code"] == "invalid_payload"
    assert call(alice, "get_state")["error"]["code"] == "invalid_payload"


def test_rate_limit_keeps_the_connection(tmp_path: Path) -> None:
    settings = Settings(
        data_dir=tmp_path,
        async_mode="threading",
        rate_limit_per_second=1,
        rate_limit_burst=3,
        engine_warmup=False,
    )
    flask_app, socketio = create_app(settings)
    svc: Services = flask_app.extensions["simrooms"]
    try:
        svc.storage.create_user("alice", hash_password(PASSWORD))
        token = (
            flask_app.test_client()
            .post("/api/token", json={"username": "alice", "password": PASSWORD})
            .json["token"]
        )
        sio = socketio.test_client(flask_app, namespace=NS, auth={"token": token})
        codes = [call(sio, "list_rooms", {}).get("error", {}).get("code") for _ in range(6)]
        assert codes[:3] == [None, None, None] and set(codes[3:]) == {"rate_limited"}
        assert sio.is_connected(NS)
    finally:
        svc.shutdown()


def test_http_login_logout_and_csrf(app: tuple[Flask, SocketIO]) -> None:
    import re

    flask_app, socketio = app
    http = flask_app.test_client()
    page = http.get("/login").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert csrf
    cross_site = {"Origin": "http://evil.example"}
    assert (
        http.post("/login", data={"username": "alice", "password": PASSWORD}, headers=cross_site).status_code
        == 400
    )
    assert (
        http.post("/login", data={"username": "alice", "password": PASSWORD, "csrf_token": "x"}).status_code
        == 400
    )
    assert (
        http.post(
            "/login", data={"username": "alice", "password": "nope", "csrf_token": csrf.group(1)}
        ).status_code
        == 401
    )
    answer = http.post(
        "/login", data={"username": "alice", "password": PASSWORD, "csrf_token": csrf.group(1)}
    )
    assert answer.status_code == 303 and answer.headers["Location"].endswith("/")
    assert http.get("/api/rooms").status_code == 200
    sio = socketio.test_client(flask_app, namespace=NS, flask_test_client=http)
    assert sio.is_connected(NS)
    assert http.post("/logout", data={"csrf_token": csrf.group(1)}).status_code == 303
    assert not sio.is_connected(NS)
    assert http.get("/api/rooms").status_code == 401


def test_user_create_command(tmp_path: Path) -> None:
    import subprocess
    import sys

    from tests.support.server import REPO

    def create(name: str, password: str, *extra: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [
                sys.executable,
                "-m",
                "server.cli",
                "user",
                "create",
                name,
                "--data-dir",
                str(tmp_path),
                "--password-stdin",
                *extra,
            ],
            input=password,
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=120,
        )

    assert create("dora", "longenough\n", "--admin").returncode == 0
    taken = create("DORA", "longenough\n")
    assert taken.returncode != 0 and len(taken.stderr.strip().splitlines()) == 1 and "taken" in taken.stderr
    short = create("eve", "short\n")
    assert short.returncode != 0 and len(short.stderr.strip().splitlines()) == 1
    from server.http.auth import Auth
    from server.settings import Settings
    from server.storage.database import Storage

    storage = Storage(Settings(data_dir=tmp_path).resolved_database_url())
    auth = Auth(storage, "k", 60)
    user = auth.authenticate("dora", "longenough")
    assert user is not None and user.is_admin
    assert auth.authenticate("dora", "longenough\n") is None
    storage.dispose()


def test_protocol_docs_are_current() -> None:
    from server.realtime.protocol_docs import DOC_PATH, markdown

    assert DOC_PATH.read_text() == markdown(), (
        "docs/protocol.md is stale: run python -m server.realtime.protocol_docs"
    )


def test_tokens_expire(tmp_path: Path) -> None:
    from server.http.auth import Auth
    from server.storage.database import Storage

    storage = Storage(Settings(data_dir=tmp_path).resolved_database_url())
    storage.create_all()
    user = storage.create_user("tim", hash_password(PASSWORD))
    auth = Auth(storage, "secret", token_lifetime=1)
    token, expires_at = auth.issue_token(user)
    assert expires_at.endswith("Z")
    assert auth.user_from_token(token) == user
    assert auth.user_from_token(token + "x") is None
    assert Auth(storage, "other secret", 60).user_from_token(token) is None
    time.sleep(2.2)
    assert auth.user_from_token(token) is None
    storage.dispose()


@pytest.mark.parametrize(
    ("payload", "ok"),
    [
        ({"name": "a" * 40}, True),
        ({"name": "a" * 41}, False),
        ({"name": "with space", "speed": 0.1}, True),
        ({"name": "x", "speed": 0.09}, False),
        ({"name": "x", "seed": 2**63 - 1}, True),
        ({"name": "x", "seed": 2**63}, False),
        ({"name": "x", "agents": 1}, True),
        ({"name": "x", "agents": 0}, False),
        ({"name": "x", "public": 1}, False),
        ({"name": "x", "speed": float("nan")}, False),
    ],
)
def test_create_room_bounds(payload: dict[str, Any], ok: bool) -> None:
    from server.realtime.validation import ProtocolError, parse

    if ok:
        parse("create_room", (payload,))
    else:
        with pytest.raises(ProtocolError) as error:
            parse("create_room", (payload,))
        assert error.value.code == "invalid_payload" and "create_room" in error.value.message
