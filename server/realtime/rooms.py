"""The room manager: every room's lifecycle, roles, limits, membership and presence.

It runs on the event loop's side. Everything about a room's simulation is a command to the engine
(server.engine.engine); everything about who may do what, who is in the room and what the clients hear
about rooms is here. It is also the engine's ``Hub``: the engine's results reach the clients
through it.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from server.engine.engine import Engine, InvalidState
from server.engine.updates import EngineFigures, encode_event
from server.metrics import Metrics
from server.ratelimit import KeyedLimiter, TokenBucket
from server.realtime import roles
from server.realtime.admission import Admission
from server.realtime.room_events import RoomEvents, speed_detail
from server.realtime.room_lists import room_list_bodies
from server.realtime.stored import Room, StoredRooms, channel
from server.realtime.transport import Transport
from server.realtime.validation import ProtocolError
from server.settings import Settings
from server.storage.database import Storage, User
from server.storage.records import SweepRecord
from simrooms.protocol import CreateRoom, Role
from simrooms.protocol_sharing import RoomEventKind

log = logging.getLogger(__name__)
T = TypeVar("T")
ROOM_LIST_DELAY = 0.05
"""Seconds room_list waits, so that a burst of changes sends one list."""


@dataclass
class Connection:
    """One Socket.IO connection to /sim and the user behind it."""

    sid: str
    user: User
    bucket: TokenBucket
    rooms: set[str] = field(default_factory=set)
    token_id: int | None = None
    """The bearer token the connection signed in with (None: the session cookie); revoking
    that token disconnects it."""


class RoomManager:
    def __init__(
        self,
        settings: Settings,
        storage: Storage,
        transport: Transport,
        metrics: Metrics,
        spawn: Callable[..., Any],
        sleep: Callable[[float], None],
    ) -> None:
        self.settings = settings
        self.storage = storage
        self.transport = transport
        self.metrics = metrics
        self.spawn = spawn
        self.sleep = sleep
        self.engine: Engine  # set by the app once the engine exists (it needs this hub)
        self.stored: StoredRooms  # set with the engine
        self.rooms: dict[str, Room] = {}
        self.connections: dict[str, Connection] = {}
        self.events = RoomEvents(transport, metrics)
        self.by_user: dict[int, set[str]] = {}
        self._reserved: dict[str, int] = {}
        """Names of rooms being made (the engine builds them meanwhile), and who makes each."""
        self._lock = threading.RLock()
        self._room_list_pending = False
        self._admission = Admission(settings)
        self._probes = KeyedLimiter(
            settings.name_probes_per_user_per_second, settings.name_probes_per_user_burst
        )
        metrics.connections.set_function(lambda: len(self.connections))
        metrics.direct_frames.set_function(lambda: transport.direct_sends)
        metrics.rooms.labels("running").set_function(
            lambda: sum(r.live.running for r in list(self.rooms.values()))
        )
        metrics.rooms.labels("stopped").set_function(
            lambda: sum(not r.live.running for r in list(self.rooms.values()))
        )

    # --------------------------------------------------------------- connections

    def connect(self, sid: str, user: User, token_id: int | None = None) -> Connection:
        """Admit connection `sid` of `user` (signed in with token `token_id`, if any), or
        ProtocolError when the user connects too often or holds as many connections as one user may."""
        conn = Connection(
            sid,
            user,
            TokenBucket(self.settings.rate_limit_per_second, self.settings.rate_limit_burst),
            token_id=token_id,
        )
        with self._lock:
            if self.settings.connections_limited():
                self._admission.check(user, len(self.by_user.get(user.id, ())))
            self.connections[sid] = conn
            self.by_user.setdefault(user.id, set()).add(sid)
        return conn

    def disconnect(self, sid: str) -> None:
        with self._lock:
            conn = self.connections.pop(sid, None)
            if conn is None:
                return
            sids = self.by_user.get(conn.user.id)
            if sids is not None:
                sids.discard(sid)
                if not sids:
                    del self.by_user[conn.user.id]
            left = [self.rooms[key] for key in conn.rooms if key in self.rooms]
            for room in left:
                room.members.pop(sid, None)
        for room in left:
            self.engine.tell(self.engine.op_set_members, room.key, len(room.members))
            self._presence(room)

    def sids_of(self, user_id: int) -> list[str]:
        return list(self.by_user.get(user_id, ()))

    def sids_of_token(self, user_id: int, token_id: int) -> list[str]:
        """The connections of `user_id` that signed in with token `token_id`."""
        with self._lock:
            return [
                sid
                for sid in self.by_user.get(user_id, ())
                if (conn := self.connections.get(sid)) is not None and conn.token_id == token_id
            ]

    # --------------------------------------------------------------- permissions

    may_see = staticmethod(roles.may_see)
    may_control = staticmethod(roles.may_control)
    may_manage = staticmethod(roles.may_manage)
    role = staticmethod(roles.role)

    def find(self, user: User, name: str) -> Room:
        """The room called `name` if `user` may see it; else not_found (private rooms hide)."""
        room = self.rooms.get(name.lower())
        if room is None or not self.may_see(user, room):
            raise ProtocolError("not_found", f"There is no room named {name!r}.")
        return room

    def controlled(self, user: User, name: str, action: str) -> Room:
        room = self.find(user, name)
        if not self.may_control(user, room):
            raise ProtocolError(
                "forbidden",
                f"{action} in room {room.name!r} needs control: ask its owner {room.owner!r} for it.",
            )
        return room

    def managed(self, user: User, name: str, action: str) -> Room:
        room = self.find(user, name)
        if not self.may_manage(user, room):
            raise ProtocolError(
                "forbidden", f"Only the owner of room {room.name!r} or an admin may {action}."
            )
        return room

    # --------------------------------------------------------------- views

    def visible_rooms(self, user: User) -> list[dict[str, Any]]:
        rooms = sorted(list(self.rooms.values()), key=lambda r: r.key)
        return [room.info() for room in rooms if self.may_see(user, room)]

    # --------------------------------------------------------------- operations

    def create(
        self,
        user: User,
        request: CreateRoom,
        sweep: SweepRecord | None = None,
        point: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Make room `request` (a fork, or one of `sweep`'s rooms at grid `point`); its RoomInfo."""
        key = request.name.lower()
        self._may_probe(user, "create_room")
        with self._lock:
            self._check_name_free(user, request.name)
            if len(self.rooms) + len(self._reserved) >= self.settings.max_rooms:
                raise ProtocolError(
                    "limit_reached",
                    f"This server holds at most {self.settings.max_rooms} rooms; delete one first.",
                )
            # Rooms being made count: creates sent at once must not each find the limit unreached.
            owned = sum(1 for room in self.rooms.values() if room.owner_id == user.id)
            owned += sum(1 for owner in self._reserved.values() if owner == user.id)
            if owned >= self.settings.max_rooms_per_user:
                raise ProtocolError(
                    "limit_reached",
                    f"A user may own at most {self.settings.max_rooms_per_user} rooms; {user.name!r} owns {owned}.",
                )
            self._reserved[key] = user.id
        try:
            room = self.stored.create(user, request, self._fork_origin(user, request), sweep, point)
            with self._lock:
                self.rooms[key] = room
        finally:
            with self._lock:
                self._reserved.pop(key, None)
        self.room_list_changed()
        return room.info()

    def _check_name_free(self, user: User, name: str, renamed: Room | None = None) -> None:
        """conflict (the same for rooms visible or not), spending a name probe, when a room but
        `renamed` has `name` or is being made or renamed to it, ignoring case. Under the lock."""
        held = self.rooms.get(name.lower())
        if (held is not None and held is not renamed) or name.lower() in self._reserved:
            self._probes.take(str(user.id))
            raise ProtocolError("conflict", f"The room name {name!r} is taken (names ignore case).")

    def reserve_name(self, user: User, room: Room, name: str) -> None:
        """Hold `name` for `room` while it is renamed, refused as create_room would; then `rekey`
        or `release_name`."""
        self._may_probe(user, "rename_room")
        with self._lock:
            self._check_name_free(user, name, room)
            self._reserved[name.lower()] = user.id

    def release_name(self, name: str) -> None:
        with self._lock:
            self._reserved.pop(name.lower(), None)

    def rekey(self, room: Room, name: str) -> str:
        """`room` goes by `name` (reserved until `release_name`) from now on; its old key."""
        with self._lock:
            old, room.key, room.name = room.key, name.lower(), name
            if self.rooms.pop(old, None) is room:
                self.rooms[room.key] = room
            for conn in (self.connections.get(sid) for sid in room.members):
                if conn is not None:
                    conn.rooms.discard(old)
                    conn.rooms.add(room.key)
        return old

    def _fork_origin(self, user: User, request: CreateRoom) -> Room | None:
        """The room `request` forks, if it forks one the user may see (else not_found)."""
        if request.fork is None:
            return None
        try:
            return self.find(user, request.fork.room)
        except ProtocolError:
            raise ProtocolError(
                "not_found", f"There is no room named {request.fork.room!r} to fork."
            ) from None

    def restore(self) -> None:
        """Bring back every stored room (at start, before the server takes connections)."""
        for room in self.stored.restore():
            self.rooms[room.key] = room

    def join(self, conn: Connection, name: str) -> tuple[Role, dict[str, Any], list[dict[str, Any]]]:
        """Make `conn` a member: its role, the room's state it was sent and its recent room events."""
        room = self.find(conn.user, name)
        with self._lock:
            if conn.sid not in room.members and len(room.members) >= self.settings.max_members_per_room:
                raise ProtocolError(
                    "limit_reached",
                    f"Room {room.name!r} holds at most {self.settings.max_members_per_room} members at once.",
                )
            room.members[conn.sid] = conn.user
            conn.rooms.add(room.key)
        try:
            state = self.engine.join(room.key, conn.sid, len(room.members))
        except KeyError:
            self._drop_member(room, conn)
            raise ProtocolError("not_found", f"There is no room named {name!r}.") from None
        except BaseException:
            self._drop_member(room, conn)
            raise
        self._presence(room)
        return self.role(conn.user, room), state, self.events.recent(room)

    def _drop_member(self, room: Room, conn: Connection) -> None:
        with self._lock:
            room.members.pop(conn.sid, None)
            conn.rooms.discard(room.key)

    def leave(self, conn: Connection, name: str) -> None:
        room = self.find(conn.user, name)
        if conn.sid not in room.members:
            return
        self._drop_member(room, conn)
        self.transport.leave_room(conn.sid, room.channel)
        self.engine.tell(self.engine.op_set_members, room.key, len(room.members))
        self._presence(room)

    def get_state(self, user: User, name: str, tick: int | None = None) -> dict[str, Any]:
        """The room's Snapshot now, or at the end of a past `tick` (re-simulated)."""
        room = self.find(user, name)
        if tick is None:
            return self.call(room, self.engine.op_snapshot)
        return self.stored.past_state(room, tick)

    def episodes(self, user: User, name: str) -> list[dict[str, Any]]:
        """Every finished episode of the room's life, oldest first (not_found as `find`)."""
        return self.stored.episodes(self.find(user, name))

    def start(self, user: User, name: str) -> int:
        return self._switch(user, name, "Starting the game", self.engine.op_start, "game_started", "started")

    def stop(self, user: User, name: str) -> int:
        return self._switch(user, name, "Stopping the game", self.engine.op_stop, "game_stopped", "stopped")

    def _switch(
        self, user: User, name: str, action: str, op: Callable[..., Any], event: str, kind: RoomEventKind
    ) -> int:
        """Start or stop a room with the engine's `op`; tell its members and the lobby when that
        changed anything. The room's tick."""
        room = self.controlled(user, name, action)
        changed, tick, episode = self.call(room, op, user.id)
        if changed:
            self.stored.update(room, running=room.live.running)
            self._send(room, event, {"room": room.name, "tick": tick, "episode": episode})
            self.events.record(room, kind, user.name, None, tick)
            self.room_list_changed()
        return int(tick)

    def step(self, user: User, name: str) -> int:
        return self._control(user, name, "Stepping the game", self.engine.op_step, "stepped")

    def reset(self, user: User, name: str) -> int:
        return self._control(user, name, "Resetting the game", self.engine.op_reset, "reset")

    def _control(
        self, user: User, name: str, action: str, op: Callable[..., int], kind: RoomEventKind
    ) -> int:
        """Run the engine's control `op` on a room `user` controls; its members hear of it. The tick."""
        room = self.controlled(user, name, action)
        tick = int(self.call(room, op, user.id))
        self.events.record(room, kind, user.name, None, tick)
        return tick

    def set_speed(self, user: User, name: str, speed: float | str) -> float | str:
        room = self.controlled(user, name, "Changing the speed")
        before = room.live.speed
        speed = self.call(room, self.engine.op_set_speed, speed, user.id)
        self.stored.update(room, speed=speed)
        if speed != before:
            self.events.record(room, "speed", user.name, speed_detail(speed), room.live.tick)
        return speed

    def grant(self, user: User, name: str, target_name: str, allow: bool) -> None:
        room = self.managed(user, name, "grant control")
        self._may_probe(user, "grant_control")
        target = self.storage.user_by_name(target_name)
        if target is None:
            self._probes.take(str(user.id))
            raise ProtocolError("not_found", f"There is no user named {target_name!r}.")
        with self._lock:
            had = target.id in room.controllers
            if allow and target.id != room.owner_id:
                room.controllers.add(target.id)
            else:
                room.controllers.discard(target.id)
        self.stored.grant(room, target.id, target.id in room.controllers)
        if had != (target.id in room.controllers):
            self.events.record(
                room, "granted" if allow else "revoked", user.name, target.name, room.live.tick
            )
        if not self.may_see(target, room):
            self._end_memberships(
                room, target, "Your control of this private room was revoked: you can no longer see it."
            )
        self._presence(room)
        if not room.public:
            self.room_list_changed()

    def _may_probe(self, user: User, event: str) -> None:
        """rate_limited while `user` has no name probe left (Settings.name_probes_per_user_*)."""
        if not self._probes.ready(str(user.id)):
            raise ProtocolError(
                "rate_limited",
                f"Too many answers about names that are taken or unknown: {event} waits "
                f"{1 / self.settings.name_probes_per_user_per_second:g} s between them now. Retry later.",
            )

    def _end_memberships(self, room: Room, user: User, reason: str) -> None:
        """Take every connection of `user` out of `room` now, telling each why."""
        with self._lock:
            ended = [sid for sid, member in room.members.items() if member.id == user.id]
            for sid in ended:
                del room.members[sid]
                conn = self.connections.get(sid)
                if conn is not None:
                    conn.rooms.discard(room.key)
        if not ended:
            return
        body = encode_event("membership_ended", {"room": room.name, "reason": reason})
        for sid in ended:
            with contextlib.suppress(Exception):  # the connection may be gone already
                self.transport.leave_room(sid, room.channel)
            self.metrics.deliveries.inc(self.transport.send_sid(sid, body))
        self.engine.tell(self.engine.op_set_members, room.key, len(room.members))

    def delete(self, user: User, name: str) -> None:
        room = self.managed(user, name, "delete it")
        with self._lock:
            if self.rooms.get(room.key) is not room:
                raise ProtocolError("not_found", f"There is no room named {name!r}.")
            del self.rooms[room.key]
            members = list(room.members)
            room.members.clear()
            for sid in members:
                conn = self.connections.get(sid)
                if conn is not None:
                    conn.rooms.discard(room.key)
        self.engine.call(self.engine.op_delete, room.key)
        self.stored.delete(room)
        self.events.forget(room)
        body = encode_event("room_deleted", {"room": room.name})
        self.transport.send_room(room.channel, body)
        for sid in members:
            with contextlib.suppress(Exception):  # already gone
                self.transport.leave_room(sid, room.channel)
        self.room_list_changed()

    def call(self, room: Room, op: Callable[..., T], *args: Any) -> T:
        try:
            return self.engine.call(op, room.key, *args)
        except KeyError:
            raise ProtocolError("not_found", f"There is no room named {room.name!r}.") from None
        except InvalidState as error:
            raise ProtocolError("invalid_state", str(error)) from None

    # --------------------------------------------------------------- what clients hear

    def _send(self, room: Room, event: str, payload: dict[str, Any]) -> None:
        if room.members:
            sent = self.transport.send_room(room.channel, encode_event(event, payload))
            self.metrics.deliveries.inc(sent)

    def _presence(self, room: Room) -> None:
        self.events.presence(room)
        users: dict[int, dict[str, str]] = {}
        for member in list(room.members.values()):
            users.setdefault(member.id, {"name": member.name, "role": self.role(member, room)})
        listed = sorted(users.values(), key=lambda u: u["name"].lower())
        self._send(room, "presence", {"room": room.name, "users": listed})

    def room_list_changed(self) -> None:
        """Send every connection the rooms its user may see, soon (bursts send one list)."""
        if self._room_list_pending:
            return
        self._room_list_pending = True
        self.spawn(self._room_list_later)

    def _room_list_later(self) -> None:
        self.sleep(ROOM_LIST_DELAY)
        self._room_list_pending = False
        try:
            self.send_room_lists()
        except Exception:
            log.exception("Sending room_list failed")

    def send_room_lists(self) -> None:
        held: list[tuple[User, list[str]]] = []
        for user_sids in list(self.by_user.values()):
            conn = next((self.connections[sid] for sid in user_sids if sid in self.connections), None)
            if conn is not None:
                held.append((conn.user, list(user_sids)))
        bodies = room_list_bodies(list(self.rooms.values()), [user for user, _ in held], self.may_see)
        for user, sids in held:
            for sid in sids:
                self.metrics.deliveries.inc(self.transport.send_sid(sid, bodies[user.id]))

    # --------------------------------------------------------------- the engine's hub

    def send_room(self, key: str, event: str, body: str) -> int:
        sent = self.transport.send_room(channel(key), body)
        self.metrics.deliveries.inc(sent)
        return sent

    def join_member(self, key: str, sid: str, body: str) -> None:
        conn = self.connections.get(sid)
        if conn is None or key not in conn.rooms:
            return
        self.transport.enter_room(sid, channel(key))
        self.metrics.deliveries.inc(self.transport.send_sid(sid, body))

    def room_failed(self, key: str, message: str, stopped_at: int | None) -> None:
        self.metrics.room_errors.inc()
        room = self.rooms.get(key)
        if room is not None and stopped_at is not None:  # the server stopped it: nobody did
            self.events.record(room, "stopped", None, None, stopped_at)
        self.room_list_changed()

    def engine_figures(self, figures: EngineFigures) -> None:
        self.metrics.engine_figures(figures)
