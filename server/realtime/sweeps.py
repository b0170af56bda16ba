"""Sweeps: rooms made together over seeds and a grid of config values, to be compared.

A sweep is a stored record (its name, owner and what create_sweep was given) and the rooms it
made, each an ordinary room whose record points to the sweep and holds its grid point. Every
room's config is checked before any is made, so a bad grid value makes nothing; the rooms count
against the sender's room limits like any others.
"""

from __future__ import annotations

import itertools
from typing import Any

from pydantic import ValidationError

from server.realtime.rooms import RoomManager
from server.realtime.stored import Room
from server.realtime.validation import ProtocolError
from server.storage.records import SweepNameTaken, SweepRecord, User
from simrooms.config import RoomConfig, describe_error
from simrooms.protocol import CreateRoom
from simrooms.protocol_sweeps import CreateSweep

ROOM_NUMBER_DIGITS = 2


def room_names(sweep: str, count: int) -> list[str]:
    """The names of a sweep's rooms: the sweep's name (cut to fit) and a number."""
    prefix = sweep[: 40 - ROOM_NUMBER_DIGITS - 1].rstrip()
    return [f"{prefix} {number:0{ROOM_NUMBER_DIGITS}d}" for number in range(1, count + 1)]


def grid_points(grid: dict[str, list[Any]]) -> list[dict[str, Any]]:
    """Every combination of the grid's values, by dotted field, in the order given."""
    fields = list(grid)
    return [dict(zip(fields, values, strict=True)) for values in itertools.product(*grid.values())]


def config_at(base: RoomConfig, point: dict[str, Any]) -> RoomConfig:
    """`base` with the point's values put in; ProtocolError naming the field and value when the
    config refuses one."""
    given = base.model_dump(mode="json", exclude_unset=True)
    whole = base.whole()
    for field, value in point.items():
        part, name = field.split(".", 1)
        if name not in whole[part]:
            raise ProtocolError(
                "invalid_payload", f"create_sweep: grid field {field!r} is not a config field."
            )
        given.setdefault(part, {})[name] = value
    try:
        return RoomConfig.model_validate(given)
    except ValidationError as error:
        raise ProtocolError(
            "invalid_payload", f"create_sweep: at grid point {point}: {describe_error(error)}"
        ) from None


class SweepManager:
    """Makes, describes and deletes sweeps through the room manager."""

    def __init__(self, rooms: RoomManager) -> None:
        self.rooms = rooms
        self.storage = rooms.storage

    def create(self, user: User, request: CreateSweep) -> dict[str, Any]:
        base = request.room.config or RoomConfig()
        planned = [
            (point, seed, config_at(base, point))
            for point in grid_points(request.grid)
            for seed in request.seeds
        ]
        self._check_room_limits(user, len(planned))
        try:
            sweep = self.storage.create_sweep(request.name, user.id, request.model_dump(mode="json"))
        except SweepNameTaken:
            raise ProtocolError(
                "conflict", f"The sweep name {request.name!r} is taken (names ignore case)."
            ) from None
        made: list[Room] = []
        try:
            for name, (point, seed, config) in zip(
                room_names(request.name, len(planned)), planned, strict=True
            ):
                asked = CreateRoom(
                    name=name,
                    agents=request.room.agents,
                    policy=request.room.policy,
                    seed=seed,
                    speed=request.room.speed,
                    public=request.room.public,
                    config=config,
                )
                info = self.rooms.create(user, asked, sweep, point)
                made.append(self.rooms.find(user, info["name"]))
            for room in made:
                self.rooms.start(user, room.name)
        except BaseException:
            for room in made:
                self.rooms.delete(user, room.name)
            self.storage.delete_sweep(sweep.id)
            raise
        return {"sweep": {"name": sweep.name, "rooms": [room.info() for room in made]}}

    def _check_room_limits(self, user: User, count: int) -> None:
        owned = sum(1 for room in list(self.rooms.rooms.values()) if room.owner_id == user.id)
        limit = self.rooms.settings.max_rooms_per_user
        if owned + count > limit:
            raise ProtocolError(
                "limit_reached",
                f"The sweep makes {count} rooms and {user.name!r} owns {owned}: a user may own at most {limit}.",
            )
        held, most = len(self.rooms.rooms), self.rooms.settings.max_rooms
        if held + count > most:
            raise ProtocolError(
                "limit_reached", f"The sweep makes {count} rooms; this server holds {held} of at most {most}."
            )

    def find(self, user: User, name: str) -> SweepRecord:
        """The sweep called `name`; not_found when there is none."""
        sweep = self.storage.sweep_by_key(name)
        if sweep is None:
            raise ProtocolError("not_found", f"There is no sweep named {name!r}.")
        return sweep

    def delete(self, user: User, name: str) -> None:
        sweep = self.find(user, name)
        if not (user.is_admin or user.id == sweep.owner_id):
            raise ProtocolError(
                "forbidden", f"Only the owner of sweep {sweep.name!r} or an admin may delete it."
            )
        for room in self._rooms_of(sweep):
            self.rooms.delete(user, room.name)
        self.storage.delete_sweep(sweep.id)

    def _rooms_of(self, sweep: SweepRecord) -> list[Room]:
        return [room for room in list(self.rooms.rooms.values()) if room.sweep == sweep.name]

    def describe(self, user: User, name: str) -> dict[str, Any]:
        """A sweep as the API gives it, with the rooms the user may see."""
        return self._described(user, self.find(user, name))

    def _described(self, user: User, sweep: SweepRecord) -> dict[str, Any]:
        spec = sweep.spec
        rooms = sorted(self._rooms_of(sweep), key=lambda room: room.key)
        return {
            "name": sweep.name,
            "owner": sweep.owner,
            "seeds": spec.get("seeds", []),
            "grid": spec.get("grid", {}),
            "room": spec.get("room", {}),
            "rooms": [room.info() for room in rooms if self.rooms.may_see(user, room)],
        }

    def listed(self, user: User) -> list[dict[str, Any]]:
        """Every sweep with at least one room the user may see."""
        found = [self._described(user, sweep) for sweep in self.storage.live_sweeps()]
        return [sweep for sweep in found if sweep["rooms"]]
