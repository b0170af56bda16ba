"""The inspector's events (server.realtime.inspector) with real python-socketio clients and `simrooms serve`."""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import socketio

from tests.support.server import Server as WebServer

pytestmark = pytest.mark.integration
NS = "/sim"
_names = itertools.count(1)


class Client:
    def __init__(self, server: WebServer, user: str) -> None:
        self.sio = socketio.Client(reconnection=False)
        self.events: list[tuple[str, Any]] = []
        self._lock = threading.Lock()
        self.sio.on("*", self._record, namespace=NS)
        self.sio.connect(server.url, namespaces=[NS], auth={"token": server.token(user)}, transports=["websocket"], wait_timeout=10)

    def _record(self, event: str, data: Any = None) -> None:
        with self._lock:
            self.events.append((event, data))

    def call(self, event: str, payload: Any) -> dict[str, Any]:
        ack: dict[str, Any] = self.sio.call(event, payload, namespace=NS, timeout=30)
        return ack

    def named(self, event: str) -> list[Any]:
        with self._lock:
            return [data for name, data in self.events if name == event]

    def close(self) -> None:
        self.sio.disconnect()


@pytest.fixture
def clients(web_server: WebServer) -> Iterator[Any]:
    made: list[Client] = []

    def make(user: str) -> Client:
        client = Client(web_server, user)
        made.append(client)
        return client

    yield make
    for client in made:
        client.close()


def wait_for(predicate: Any, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError("condition not met in time")


def test_only_the_asking_connection_gets_agent_inspect_until_it_stops(clients: Any) -> None:
    alice, bob = clients("alice"), clients("bob")
    room = f"Inspect {next(_names)} {int(time.time())}"
    assert alice.call("create_room", {"name": room, "policy": "learning", "speed": 2.0, "seed": 3})["ok"]
    assert alice.call("join_room", {"room": room})["ok"]
    assert bob.call("join_room", {"room": room})["ok"]
    assert alice.call("start_game", {"room": room})["ok"]

    ack = alice.call("inspect_agent", {"room": room, "agent": 2})
    assert ack["ok"] and ack["agent"] == 2 and ack["room"] == room
    wait_for(lambda: len(alice.named("agent_inspect")) >= 5)
    figures = alice.named("agent_inspect")
    last = figures[-1]
    assert set(last) >= {"room", "tick", "episode", "agent", "x", "y", "action", "probabilities", "value", "view_radius"}
    assert last["agent"] == 2 and last["room"] == room and last["view_radius"] == 3
    assert set(last["probabilities"]) == {"stay", "up", "down", "left", "right", "pick", "drop"}
    assert abs(sum(last["probabilities"].values()) - 1.0) < 1e-3
    assert isinstance(last["value"], float)
    ticks = [f["tick"] for f in figures]
    assert ticks == sorted(set(ticks)), "one event per new tick, in order"
    assert not bob.named("agent_inspect")

    assert alice.call("inspect_agent", {"room": room, "agent": None}) == {"ok": True, "room": room, "agent": None, "inspect": None}
    time.sleep(0.3)
    count = len(alice.named("agent_inspect"))
    time.sleep(0.8)
    assert len(alice.named("agent_inspect")) == count
    assert not bob.named("agent_inspect")

    # Leaving the room stops it too.
    assert bob.call("inspect_agent", {"room": room, "agent": 0})["ok"]
    wait_for(lambda: len(bob.named("agent_inspect")) >= 2)
    assert bob.call("leave_room", {"room": room})["ok"]
    time.sleep(0.3)
    count = len(bob.named("agent_inspect"))
    time.sleep(0.8)
    assert len(bob.named("agent_inspect")) == count
    assert alice.call("delete_room", {"room": room})["ok"]


def test_inspect_agent_errors(clients: Any) -> None:
    alice, bob = clients("alice"), clients("bob")
    room = f"Inspect errors {next(_names)} {int(time.time())}"
    assert alice.call("create_room", {"name": room, "policy": "heuristic", "agents": 3})["ok"]

    def code(client: Client, payload: Any) -> str:
        ack = client.call("inspect_agent", payload)
        assert ack["ok"] is False and isinstance(ack["error"]["message"], str)
        return str(ack["error"]["code"])

    assert code(bob, {"room": room, "agent": 0}) == "invalid_state"  # not joined
    assert alice.call("join_room", {"room": room})["ok"]
    assert code(alice, {"room": room, "agent": 3}) == "not_found"
    assert code(alice, {"room": room, "agent": "1"}) == "invalid_payload"
    assert code(alice, {"room": room, "agent": 9}) == "invalid_payload"
    assert code(alice, {"room": room}) == "invalid_payload"
    assert code(alice, {"room": room, "agent": 0, "extra": 1}) == "invalid_payload"
    assert code(alice, {"room": "No such room", "agent": 0}) == "not_found"
    assert code(alice, [room, 0]) == "invalid_payload"
    # A policy without probabilities: the figures say so with nulls.
    ack = alice.call("inspect_agent", {"room": room, "agent": 1})
    assert ack["ok"] and ack["inspect"]["probabilities"] is None and ack["inspect"]["value"] is None
    assert alice.call("delete_room", {"room": room})["ok"]


def test_metrics_history(clients: Any) -> None:
    alice = clients("alice")
    room = f"History {next(_names)} {int(time.time())}"
    assert alice.call("create_room", {"name": room, "policy": "heuristic", "public": False})["ok"]
    assert alice.call("metrics_history", {"room": room}) == {"ok": True, "room": room, "episodes": []}
    for _ in range(3):
        assert alice.call("step_game", {"room": room})["ok"]
        assert alice.call("reset_game", {"room": room})["ok"]
    ack = alice.call("metrics_history", {"room": room})
    assert ack["ok"] and [e["episode"] for e in ack["episodes"]] == [1, 2, 3]
    assert all({"return", "products", "ticks"} <= set(e) for e in ack["episodes"])
    bob = clients("bob")
    assert bob.call("metrics_history", {"room": room})["error"]["code"] == "not_found"  # private
    assert alice.call("delete_room", {"room": room})["ok"]
