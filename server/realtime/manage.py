"""Managing a room as a whole: start its training over (``restart_training``) and rename it
(``rename_room``), the events of simrooms.protocol_manage, through the room manager
(server.realtime.rooms).

A rename keeps the room whole: its record (and so its episodes, checkpoints, grants, sweep and
the server process holding it) changes only its name, the engine's room its key, and its
members stay members. The engine hands the rename back through the bridge after every update it
posted under the old key, and only then are the members' sockets moved to the Socket.IO room of
the new name, so none of them misses an update. Rooms never move between processes (each
brings back the rooms it holds, by ``Settings.server_name``), and names are unique across them in
the database, so a rename changes nothing another process relies on.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from server.engine.updates import encode_event
from server.realtime.rooms import RoomManager
from server.realtime.stored import Room, channel
from server.realtime.validation import ProtocolError
from server.storage.records import RoomNameTaken, User
from simrooms.config import LEARNING_POLICIES


class RoomManagement:
    def __init__(self, rooms: RoomManager) -> None:
        self.rooms = rooms
        self.on_rename: list[Callable[[str, str, str], None]] = []
        """Called on the event loop with a renamed room's old key, key and name (the agent
        inspector's watches follow it)."""

    def restart_training(self, user: User, name: str) -> int:
        """End the episode of a learning room and start its learning over; the room's tick."""
        rooms = self.rooms
        room = rooms.controlled(user, name, "Restarting the training")
        if room.policy not in LEARNING_POLICIES:
            raise ProtocolError(
                "invalid_state", f"Room {room.name!r} does not learn: its policy is {room.policy!r}."
            )
        tick = int(rooms.call(room, rooms.engine.op_reset, user.id, True))
        rooms.events.record(room, "training_restarted", user.name, None, tick)
        return tick

    def rename(self, user: User, name: str, new_name: str) -> dict[str, Any]:
        """Call the room `name` `new_name` from now on; its RoomInfo."""
        rooms = self.rooms
        room = rooms.managed(user, name, "rename it")
        if new_name == room.name:
            return room.info()
        old_name = room.name
        rooms.reserve_name(user, room, new_name)
        try:
            rooms.stored.update(room, name=new_name)
            moved = partial(self._moved, room, new_name)
            rooms.call(room, rooms.engine.op_rename, new_name.lower(), new_name, moved)
        except RoomNameTaken:  # by a room of another process
            raise ProtocolError(
                "conflict", f"The room name {new_name!r} is taken (names ignore case)."
            ) from None
        finally:
            rooms.release_name(new_name)
        rooms.events.record(room, "renamed", user.name, old_name, room.live.tick)
        rooms.room_list_changed()
        return room.info()

    def _moved(self, room: Room, name: str) -> None:
        """On the event loop, once the engine calls the room `name` and everything it sent under
        the old name went out: the room is found and sent to under `name`; its members' sockets
        move to its new Socket.IO room and hear `room_renamed`."""
        rooms = self.rooms
        old_name = room.name
        old_key = rooms.rekey(room, name)
        if old_key != room.key:
            transport = rooms.transport
            for sid in transport.participants(channel(old_key)):
                transport.enter_room(sid, room.channel)
                transport.leave_room(sid, channel(old_key))
            for follow in self.on_rename:
                follow(old_key, room.key, room.name)
            # What the engine was told under the old key meanwhile (members leaving) is lost there.
            rooms.engine.tell(rooms.engine.op_set_members, room.key, len(room.members))
        rooms.send_room(
            room.key, "room_renamed", encode_event("room_renamed", {"room": old_name, "name": name})
        )
