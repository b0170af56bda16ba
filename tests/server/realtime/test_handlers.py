"""The /sim handlers through Flask-SocketIO's test client (threading mode, engine thread real)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask_socketio import SocketIO, SocketIOTestClient

from simrooms.protocol import (
    GameEnded,
    Presence,
    RoomInfo,
    Snapshot,
    StateUpdateDelta,
    StateUpdateFull,
)
from tests.support.app import app_token, running_app
from tests.support.server import NS, replay


@pytest.fixture
def app(tmp_path: Path) -> Iterator[tuple[Flask, SocketIO]]:
    with running_app(
        tmp_path, rate_limit_per_second=1000, rate_limit_burst=1000, max_rooms_per_user=5
    ) as app:
        yield app


@pytest.fixture
def client(app: tuple[Flask, SocketIO]) -> Callable[[str], SocketIOTestClient]:
    flask_app, socketio = app
    http = flask_app.test_client()

    def make(user: str) -> SocketIOTestClient:
        sio = socketio.test_client(flask_app, namespace=NS, auth={"token": app_token(http, user)})
        assert sio.is_connected(NS)
        return sio

    return make


def call(sio: SocketIOTestClient, event: str, *args: Any) -> dict[str, Any]:
    ack: dict[str, Any] = sio.emit(event, *args, namespace=NS, callback=True)
    return ack


def received(sio: SocketIOTestClient, name: str, seen: list[dict[str, Any]]) -> list[Any]:
    seen.extend(sio.get_received(NS))
    return [m["args"][0] for m in seen if m["name"] == name]


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
    with running_app(tmp_path, {"alice": False}, rate_limit_per_second=1, rate_limit_burst=3) as (
        flask_app,
        socketio,
    ):
        token = app_token(flask_app.test_client(), "alice")
        sio = socketio.test_client(flask_app, namespace=NS, auth={"token": token})
        codes = [call(sio, "list_rooms", {}).get("error", {}).get("code") for _ in range(6)]
        assert codes[:3] == [None, None, None] and set(codes[3:]) == {"rate_limited"}
        assert sio.is_connected(NS)
