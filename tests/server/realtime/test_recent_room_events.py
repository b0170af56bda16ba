"""RoomEvents (server.realtime.room_events) on its own: each room keeps its last RECENT_ROOM_EVENTS,
oldest first, under its current name, and presence changes make joined/left once per user."""

from __future__ import annotations

from flask_socketio import SocketIO

from server.engine.room import EngineRoom
from server.metrics import Metrics
from server.realtime.room_events import RoomEvents, speed_detail
from server.realtime.stored import Room
from server.realtime.transport import Transport
from server.storage.records import User
from simrooms.protocol_sharing import RECENT_ROOM_EVENTS


def a_room(name: str, record_id: int) -> Room:
    live = EngineRoom(key=name.lower(), name=name, fleet_id=record_id, agents=2)
    return Room(
        key=name.lower(), name=name, owner_id=1, owner="alice", agents=2, policy="heuristic",
        public=True, seed=1, live=live, record_id=record_id,
    )  # fmt: skip


def a_user(user_id: int, name: str) -> User:
    return User(user_id, name, False, "", 0)


def room_events() -> RoomEvents:
    # No room below has members, so nothing is sent: the transport is never used.
    return RoomEvents(Transport(SocketIO(), use_queue=False), Metrics())


def test_each_room_keeps_its_last_events_oldest_first() -> None:
    events = room_events()
    one, two = a_room("One", 1), a_room("Two", 2)
    for tick in range(RECENT_ROOM_EVENTS + 20):
        events.record(one, "stepped", "alice", None, tick)
    events.record(two, "speed", None, speed_detail(2.5), 4)
    kept = events.recent(one)
    assert [e["tick"] for e in kept] == list(range(20, RECENT_ROOM_EVENTS + 20))
    assert kept[0].keys() == {"room", "tick", "ts", "kind", "user", "detail"}
    assert [e["ts"] for e in kept] == sorted(e["ts"] for e in kept)
    assert events.recent(two) == [
        dict(events.recent(two)[0], room="Two", kind="speed", user=None, detail="2.5")
    ]
    one.name = "Renamed"  # kept by the room's storage id: a renamed room keeps its events
    assert {e["room"] for e in events.recent(one)} == {"Renamed"}
    events.forget(one)
    assert events.recent(one) == [] and len(events.recent(two)) == 1


def test_presence_makes_joined_and_left_once_per_user() -> None:
    events = room_events()
    room = a_room("Shared", 3)
    alice, bob = a_user(1, "alice"), a_user(2, "bob")
    room.members = {"a1": alice, "b1": bob, "b2": bob}
    events.presence(room)
    room.live.tick = 9
    del room.members["b1"]
    events.presence(room)  # bob still has a connection there
    del room.members["b2"]
    events.presence(room)
    room.members.clear()
    events.presence(room)
    assert [(e["kind"], e["user"], e["tick"]) for e in events.recent(room)] == [
        ("joined", "alice", 0),
        ("joined", "bob", 0),
        ("left", "bob", 9),
        ("left", "alice", 9),
    ]


def test_speed_details() -> None:
    assert [speed_detail(s) for s in (2.5, 1.0, 0.1, "max")] == ["2.5", "1", "0.1", "max"]
