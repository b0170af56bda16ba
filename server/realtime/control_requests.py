"""``request_control``: a user who may see a room asks those who may grant control of it.

The request goes to the connections of the room's owner and admins that have joined it
(``control_requested``), and to all its members as a ``control_requested`` room event. A user asks
for one room at most once every CONTROL_REQUEST_SECONDS.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

from server.engine.updates import encode_event, now_ms
from server.realtime.rooms import RoomManager
from server.realtime.validation import ProtocolError
from server.storage.database import User
from simrooms.protocol_sharing import CONTROL_REQUEST_SECONDS


class ControlRequests:
    """Answers request_control through the room manager, keeping when each user last asked for
    each room (by the room's storage id, which a rename keeps). Runs on the event loop."""

    def __init__(self, rooms: RoomManager, clock: Callable[[], float] = time.monotonic) -> None:
        self.rooms = rooms
        self.clock = clock
        self._asked: dict[tuple[int, int], float] = {}
        """(user id, room id) -> when that user last asked for that room."""

    def request(self, user: User, name: str) -> None:
        """Ask for control of room `name` as `user`; ProtocolError when the room is invisible to
        the user (not_found), the user controls it already or nobody who may grant control has
        joined it (invalid_state), or the user asked less than CONTROL_REQUEST_SECONDS ago
        (rate_limited)."""
        rooms = self.rooms
        room = rooms.find(user, name)
        if rooms.may_control(user, room):
            raise ProtocolError(
                "invalid_state",
                f"You ({user.name!r}) already control room {room.name!r} as its {rooms.role(user, room)}.",
            )
        granters = [sid for sid, member in list(room.members.items()) if rooms.may_manage(member, room)]
        if not granters:
            raise ProtocolError(
                "invalid_state",
                f"Nobody who can grant control of room {room.name!r} is in it now; ask its owner {room.owner!r}.",
            )
        now = self.clock()
        self._forget_before(now - CONTROL_REQUEST_SECONDS)
        asked = self._asked.get((user.id, room.record_id))
        if asked is not None:
            wait = math.ceil(asked + CONTROL_REQUEST_SECONDS - now)
            raise ProtocolError(
                "rate_limited",
                f"{user.name!r} asked for control of room {room.name!r} {now - asked:.0f} s ago; "
                f"ask again in {wait} s (once every {CONTROL_REQUEST_SECONDS} s).",
            )
        self._asked[(user.id, room.record_id)] = now
        body = encode_event("control_requested", {"room": room.name, "user": user.name, "ts": now_ms()})
        for sid in granters:
            rooms.metrics.deliveries.inc(rooms.transport.send_sid(sid, body))
        rooms.events.record(room, "control_requested", user.name, None, room.live.tick)

    def _forget_before(self, limit: float) -> None:
        """Drop the requests made before `limit`: they limit nothing now."""
        for key in [key for key, asked in self._asked.items() if asked <= limit]:
            del self._asked[key]
