"""Room events (server.realtime.room_events): what people and the server do to a room reaches every
member with who did it and at which tick, and ``join_room``'s ack holds the recent ones; with real
python-socketio clients of a real `simrooms serve`."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from simrooms.protocol_sharing import RECENT_ROOM_EVENTS, RoomEvent
from tests.support.server import Client, make_room

pytestmark = pytest.mark.integration


def room_events(client: Client, room: str) -> list[tuple[str, str | None, str | None, int]]:
    """The room events `client` got of `room`: (kind, user, detail, tick) each, every one checked
    with the protocol's model."""
    got = [RoomEvent.model_validate(event) for event in client.received("room_event", room)]
    return [(e.kind, e.user, e.detail, e.tick) for e in got]


def wait_events(client: Client, room: str, count: int) -> list[tuple[str, str | None, str | None, int]]:
    client.wait_for(lambda: len(room_events(client, room)) >= count, what=f"{count} room events of {room}")
    return room_events(client, room)


def test_every_member_hears_each_control_with_its_user_detail_and_tick(
    connect: Callable[..., Client],
) -> None:
    alice, bob, carol = connect("alice"), connect("bob"), connect("carol")
    name = make_room(alice)
    alice.ok("join_room", {"room": name})
    bob.ok("join_room", {"room": name})
    step = alice.ok("step_game", {"room": name})["tick"]
    alice.ok("set_speed", {"room": name, "speed": 2.5})
    alice.ok("set_speed", {"room": name, "speed": 2.5})  # no change: no event
    alice.ok("start_game", {"room": name})
    alice.ok("start_game", {"room": name})  # already running: no event
    time.sleep(0.6)  # a running room's ticks make no room events
    stop = alice.ok("stop_game", {"room": name})["tick"]
    reset = alice.ok("reset_game", {"room": name})["tick"]
    alice.ok("grant_control", {"room": name, "user": "bob", "allow": True})
    bob.ok("set_speed", {"room": name, "speed": "max"})
    alice.ok("grant_control", {"room": name, "user": "bob", "allow": False})
    alice.ok("grant_control", {"room": name, "user": "bob", "allow": False})  # no change: no event
    assert stop > step and reset >= stop
    expected = [
        ("joined", "bob", None, 0),
        ("stepped", "alice", None, step),
        ("speed", "alice", "2.5", step),
        ("started", "alice", None, step),
        ("stopped", "alice", None, stop),
        ("reset", "alice", None, reset),
        ("granted", "alice", "bob", reset),
        ("speed", "bob", "max", reset),
        ("revoked", "alice", "bob", reset),
    ]
    assert wait_events(alice, name, 10) == [("joined", "alice", None, 0), *expected]
    assert wait_events(bob, name, 9) == expected
    time.sleep(0.3)
    assert len(room_events(alice, name)) == 10 and len(room_events(bob, name)) == 9
    assert carol.received("room_event") == []
    ts = [event["ts"] for event in alice.received("room_event", name)]
    assert ts == sorted(ts) and abs(ts[-1] / 1000 - time.time()) < 30


def test_join_ack_holds_the_recent_events_oldest_first(connect: Callable[..., Client]) -> None:
    alice, bob = connect("alice"), connect("bob")
    name = make_room(alice)
    assert alice.ok("join_room", {"room": name})["events"][-1]["kind"] == "joined"
    for _ in range(RECENT_ROOM_EVENTS + 5):
        alice.ok("step_game", {"room": name})
    joined = bob.ok("join_room", {"room": name})
    events = [RoomEvent.model_validate(event) for event in joined["events"]]
    assert len(events) == RECENT_ROOM_EVENTS
    assert [(e.kind, e.user, e.tick) for e in events[:-1]] == [
        ("stepped", "alice", tick) for tick in range(7, RECENT_ROOM_EVENTS + 6)
    ]
    assert (events[-1].kind, events[-1].user, events[-1].tick) == ("joined", "bob", RECENT_ROOM_EVENTS + 5)
    assert all(e.room == name for e in events)
    assert [e.ts for e in events] == sorted(e.ts for e in events)
    # The members there heard every one, bob's joining too.
    assert wait_events(alice, name, RECENT_ROOM_EVENTS + 6)[-1] == (
        "joined",
        "bob",
        None,
        RECENT_ROOM_EVENTS + 5,
    )


def test_joined_and_left_come_once_per_user_not_per_connection(connect: Callable[..., Client]) -> None:
    alice = connect("alice")
    tabs = [connect("bob"), connect("bob")]
    name = make_room(alice)
    alice.ok("join_room", {"room": name})
    for tab in tabs:
        tab.ok("join_room", {"room": name})
    alice.ok("step_game", {"room": name})
    tabs[0].ok("leave_room", {"room": name})
    alice.ok("step_game", {"room": name})
    tabs[1].close()
    alice.wait_for(lambda: ("left", "bob", None, 2) in room_events(alice, name), what="bob left")
    assert room_events(alice, name) == [
        ("joined", "alice", None, 0),
        ("joined", "bob", None, 0),
        ("stepped", "alice", None, 1),
        ("stepped", "alice", None, 2),
        ("left", "bob", None, 2),
    ]
    # Back with one tab: joined again, once.
    tabs.append(connect("bob"))
    tabs[2].ok("join_room", {"room": name})
    tabs[2].ok("join_room", {"room": name})
    assert wait_events(alice, name, 6)[5:] == [("joined", "bob", None, 2)]
    time.sleep(0.3)
    assert len(room_events(alice, name)) == 6


def test_a_room_the_server_stops_has_no_user(connect: Callable[..., Client]) -> None:
    alice, bob = connect("alice"), connect("bob")
    name = make_room(alice, prefix="boom", speed=5.0)  # the fault hook: its step fails after 3 ticks
    alice.ok("join_room", {"room": name})
    bob.ok("join_room", {"room": name})
    alice.ok("start_game", {"room": name})
    bob.wait_for(lambda: bob.received("room_error", name), what="room_error")
    tick = alice.ok("get_state", {"room": name})["state"]["tick"]
    assert tick == 3
    # A stopped room whose step fails was not stopped by it: no event.
    assert alice.error("step_game", {"room": name}) == "invalid_state"
    alice.ok("set_speed", {"room": name, "speed": 1.0})
    assert wait_events(bob, name, 4) == [
        ("joined", "bob", None, 0),
        ("started", "alice", None, 0),
        ("stopped", None, None, tick),
        ("speed", "alice", "1", tick),
    ]
