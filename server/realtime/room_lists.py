"""The room_list each connected user is sent: the public rooms, or for admins and users a private
room lets in, every room they may see."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from server.engine.updates import encode_event
from server.realtime.stored import Room
from server.storage.records import User


def room_list_bodies(
    rooms: Iterable[Room], users: Iterable[User], may_see: Callable[[User, Room], bool]
) -> dict[int, str]:
    """The encoded room_list event of each of `users`, by user id: most share one body."""
    listed = sorted(rooms, key=lambda r: r.key)
    infos = [(room, room.info()) for room in listed]
    public_body = encode_event("room_list", {"rooms": [info for room, info in infos if room.public]})
    special = {room.owner_id for room in listed if not room.public}
    for room in listed:
        if not room.public:
            special |= room.controllers
    return {
        user.id: encode_event("room_list", {"rooms": [i for r, i in infos if may_see(user, r)]})
        if user.is_admin or user.id in special
        else public_body
        for user in users
    }
