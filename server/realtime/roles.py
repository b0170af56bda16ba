"""Who may do what in a room: pure functions of a user and a room (the room manager's rules)."""

from __future__ import annotations

from server.realtime.stored import Room
from server.storage.database import User
from simrooms.protocol import Role


def may_see(user: User, room: Room) -> bool:
    return room.public or user.is_admin or user.id == room.owner_id or user.id in room.controllers


def may_control(user: User, room: Room) -> bool:
    return user.is_admin or user.id == room.owner_id or user.id in room.controllers


def may_manage(user: User, room: Room) -> bool:
    """May grant control, and delete the room: its owner and admins."""
    return user.is_admin or user.id == room.owner_id


def role(user: User, room: Room) -> Role:
    if user.id == room.owner_id:
        return "owner"
    if user.is_admin:
        return "admin"
    if user.id in room.controllers:
        return "controller"
    return "observer"
