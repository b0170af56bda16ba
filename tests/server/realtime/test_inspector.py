"""The inspector's events (server.realtime.inspector) with real python-socketio clients and `simrooms serve`."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from tests.support.server import Client, room_name

pytestmark = pytest.mark.integration


def test_only_the_asking_connection_gets_agent_inspect_until_it_stops(connect: Callable[..., Client]) -> None:
    alice, bob = connect("alice"), connect("bob")
    room = room_name("Inspect", " ")
    assert alice.call("create_room", {"name": room, "policy": "learning", "speed": 2.0, "seed": 3})["ok"]
    assert alice.call("join_room", {"room": room})["ok"]
    assert bob.call("join_room", {"room": room})["ok"]
    assert alice.call("start_game", {"room": room})["ok"]

    ack = alice.call("inspect_agent", {"room": room, "agent": 2})
    assert ack["ok"] and ack["agent"] == 2 and ack["room"] == room
    alice.wait_for(lambda: len(alice.received("agent_inspect")) >= 5)
    figures = alice.received("agent_inspect")
    last = figures[-1]
    assert set(last) >= {
        "room",
        "tick",
        "episode",
        "agent",
        "x",
        "y",
        "action",
        "probabilities",
        "value",
        "view_radius",
    }
    assert last["agent"] == 2 and last["room"] == room and last["view_radius"] == 3
    assert set(last["probabilities"]) == {"stay", "up", "down", "left", "right", "pick", "drop"}
    assert abs(sum(last["probabilities"].values()) - 1.0) < 1e-3
    assert isinstance(last["value"], float)
    ticks = [f["tick"] for f in figures]
    assert ticks == sorted(set(ticks)), "one event per new tick, in order"
    assert not bob.received("agent_inspect")

    assert alice.call("inspect_agent", {"room": room, "agent": None}) == {
        "ok": True,
        "room": room,
        "agent": None,
        "inspect": None,
    }
    time.sleep(0.3)
    count = len(alice.received("agent_inspect"))
    time.sleep(0.8)
    assert len(alice.received("agent_inspect")) == count
    assert not bob.received("agent_inspect")

    # Leaving the room stops it too.
    assert bob.call("inspect_agent", {"room": room, "agent": 0})["ok"]
    bob.wait_for(lambda: len(bob.received("agent_inspect")) >= 2)
    assert bob.call("leave_room", {"room": room})["ok"]
    time.sleep(0.3)
    count = len(bob.received("agent_inspect"))
    time.sleep(0.8)
    assert len(bob.received("agent_inspect")) == count
    assert alice.call("delete_room", {"room": room})["ok"]


def test_inspect_agent_errors(connect: Callable[..., Client]) -> None:
    alice, bob = connect("alice"), connect("bob")
    room = room_name("Inspect errors", " ")
    assert alice.call("create_room", {"name": room, "policy": "heuristic", "agents": 3})["ok"]

    def code(client: Client, payload: object) -> str:
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


def test_metrics_history(connect: Callable[..., Client]) -> None:
    alice = connect("alice")
    room = room_name("History", " ")
    assert alice.call("create_room", {"name": room, "policy": "heuristic", "public": False})["ok"]
    assert alice.call("metrics_history", {"room": room}) == {"ok": True, "room": room, "episodes": []}
    for _ in range(3):
        assert alice.call("step_game", {"room": room})["ok"]
        assert alice.call("reset_game", {"room": room})["ok"]
    ack = alice.call("metrics_history", {"room": room})
    assert ack["ok"] and [e["episode"] for e in ack["episodes"]] == [1, 2, 3]
    assert all({"return", "products", "ticks"} <= set(e) for e in ack["episodes"])
    bob = connect("bob")
    assert bob.call("metrics_history", {"room": room})["error"]["code"] == "not_found"  # private
    assert alice.call("delete_room", {"room": room})["ok"]
