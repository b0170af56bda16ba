"""Room events: what people (or the server) did to a room, told to its members as it happens.

Each room keeps its last RECENT_ROOM_EVENTS in memory (``join_room``'s ack gives them; they do not
survive a restart). Only people's actions and the server's stops make them, never a running room's
ticks, so they cost nothing while rooms just run. They go to the room's Socket.IO room through the
transport, hence through the message queue when there is one, as the room's other events do.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Any

from server.engine.updates import encode_event, now_ms
from server.metrics import Metrics
from server.realtime.stored import Room
from server.realtime.transport import Transport
from simrooms.protocol_sharing import RECENT_ROOM_EVENTS, RoomEventKind

Kept = tuple[int, int, RoomEventKind, str | None, str | None]
"""A kept event without its room's name (a renamed room's events carry its new one): tick, ts,
kind, user, detail."""


@dataclass
class _Kept:
    events: deque[Kept] = field(default_factory=lambda: deque(maxlen=RECENT_ROOM_EVENTS))
    present: dict[int, str] = field(default_factory=dict)
    """The users with a connection in the room (id -> name), as its last presence had them."""


def speed_detail(speed: float | str) -> str:
    """A speed as a room event's detail: "2.5", "1", "max"."""
    return speed if isinstance(speed, str) else f"{speed:g}"


class RoomEvents:
    """Every room's recent room events (by the room's storage id, which a rename keeps), and
    their sending. Runs on the event loop, as the room manager does."""

    def __init__(self, transport: Transport, metrics: Metrics) -> None:
        self.transport = transport
        self.metrics = metrics
        self._rooms: dict[int, _Kept] = {}

    def record(
        self, room: Room, kind: RoomEventKind, user: str | None, detail: str | None, tick: int
    ) -> None:
        """Keep the event `kind` of `room` at `tick`, done by `user` (None: the server), and send
        it to the room's members."""
        kept: Kept = (tick, now_ms(), kind, user, detail)
        self._kept(room).events.append(kept)
        if room.members:
            body = encode_event("room_event", self._event(room, kept))
            self.metrics.deliveries.inc(self.transport.send_room(room.channel, body))

    def recent(self, room: Room) -> list[dict[str, Any]]:
        """The room's kept events (RoomEvent), oldest first."""
        kept = self._rooms.get(room.record_id)
        return [] if kept is None else [self._event(room, event) for event in kept.events]

    def presence(self, room: Room) -> None:
        """Record ``joined`` for each user whose first connection joined the room since the last
        call, ``left`` for each whose last one left (call it whenever the members change)."""
        kept = self._kept(room)
        now = {member.id: member.name for member in list(room.members.values())}
        before, kept.present = kept.present, now
        tick = room.live.tick
        for user_id, name in now.items():
            if user_id not in before:
                self.record(room, "joined", name, None, tick)
        for user_id, name in before.items():
            if user_id not in now:
                self.record(room, "left", name, None, tick)

    def forget(self, room: Room) -> None:
        """Drop a deleted room's events."""
        self._rooms.pop(room.record_id, None)

    def _kept(self, room: Room) -> _Kept:
        kept = self._rooms.get(room.record_id)
        if kept is None:
            kept = self._rooms[room.record_id] = _Kept()
        return kept

    @staticmethod
    def _event(room: Room, kept: Kept) -> dict[str, Any]:
        tick, ts, kind, user, detail = kept
        return {"room": room.name, "tick": tick, "ts": ts, "kind": kind, "user": user, "detail": detail}
