"""Rooms that last: the stored side of the room manager (server.realtime.rooms).

Every room is a row in storage from the moment it is made: its owner, agents, policy, seed,
config, grants, speed and whether it runs, kept current as they change. The engine records its
controls, episodes and checkpoints through the archive (server.engine.archive); from those this
module brings every room back at start, answers for a room's past (a seek re-simulates it on the
archive's thread) and takes the state a fork starts from.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from agents.room_checkpoint import RoomCheckpoint
from server.engine.archive import Archive
from server.engine.engine import Engine
from server.engine.room import EngineRoom
from server.engine.seeker import TickNotFound
from server.engine.updates import plain
from server.episodes import room_episodes
from server.realtime.validation import ProtocolError
from server.settings import Settings
from server.storage.database import Storage
from server.storage.records import RoomNameTaken, SweepRecord, User
from simrooms.config import RoomConfig
from simrooms.protocol import MAX_SEED, CreateRoom

log = logging.getLogger(__name__)


@dataclass
class Room:
    key: str
    """The name in lower case: names are unique ignoring case."""
    name: str
    owner_id: int
    owner: str
    agents: int
    policy: str
    public: bool
    seed: int
    live: EngineRoom
    """The engine's side of the room; the event loop reads its published fields only."""
    record_id: int
    """Its row in storage."""
    config: RoomConfig = field(default_factory=RoomConfig)
    sweep: str | None = None
    """The sweep that made it, if any, and its point in that sweep's grid."""
    sweep_point: dict[str, Any] | None = None
    controllers: set[int] = field(default_factory=set)
    members: dict[str, User] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # Listed with every room list: taken once, not per list.
        self.config_whole = self.config.whole()
        self.config_changes = self.config.differences()

    @property
    def channel(self) -> str:
        return channel(self.key)

    def info(self) -> dict[str, Any]:
        """The room's RoomInfo (simrooms.protocol)."""
        live = self.live
        return {
            "name": self.name,
            "owner": self.owner,
            "agents": self.agents,
            "policy": self.policy,
            "public": self.public,
            "running": live.running,
            "tick": live.tick,
            "episode": live.episode,
            "speed": live.speed,
            "observers": len(self.members),
            "seed": self.seed,
            "worlds": live.worlds,
            "config": self.config_whole,
            "config_changes": self.config_changes,
            "sweep": self.sweep,
            "sweep_point": self.sweep_point,
        }


def channel(key: str) -> str:
    return f"room:{key}"


class StoredRooms:
    """Makes, keeps and brings back the rooms' records; answers for their past."""

    def __init__(self, settings: Settings, storage: Storage, archive: Archive, engine: Engine) -> None:
        self.settings = settings
        self.storage = storage
        self.archive = archive
        self.engine = engine

    def create(
        self,
        user: User,
        request: CreateRoom,
        origin: Room | None,
        sweep: SweepRecord | None = None,
        sweep_point: dict[str, Any] | None = None,
    ) -> Room:
        """A new room stored and made on the engine: a fresh one, or a fork of `origin` at the
        request's tick, or one of `sweep`'s rooms. ProtocolError `conflict` when another server
        took the name meanwhile."""
        source: RoomCheckpoint | None = None
        if origin is not None and request.fork is not None:
            source = self._fork_source(origin, request.fork.tick)
            agents, policy, seed, config = origin.agents, origin.policy, origin.seed, origin.config
        else:
            agents, policy, config = request.agents, request.policy, request.config or RoomConfig()
            seed = request.seed if request.seed is not None else secrets.randbelow(MAX_SEED + 1)
        try:
            record = self.storage.create_room(
                request.name,
                user.id,
                agents,
                policy,
                str(seed),
                config.whole(),
                request.public,
                request.speed,
                forked_from=None if origin is None else origin.record_id,
                fork_tick=None if source is None else int(source.facts["tick"]),
                server=self.settings.server_name,
                sweep_id=None if sweep is None else sweep.id,
                sweep_point=sweep_point,
            )
        except RoomNameTaken:
            raise ProtocolError(
                "conflict", f"The room name {request.name!r} is taken (names ignore case)."
            ) from None
        key = record.key
        try:
            if source is None:
                world, learning = config.to_configs()
                live = self.engine.call(
                    self.engine.op_create,
                    key,
                    request.name,
                    record.id,
                    agents,
                    policy,
                    seed,
                    request.speed,
                    world,
                    learning,
                )
            else:
                live = self.engine.call(self.engine.op_create_from, key, request.name, record.id, source)
                if request.speed != live.speed:
                    self.engine.call(self.engine.op_set_speed, key, request.speed, user.id)
        except BaseException:
            self.storage.delete_room(record.id)
            raise
        return Room(
            key=key,
            name=request.name,
            owner_id=user.id,
            owner=user.name,
            agents=agents,
            policy=policy,
            public=request.public,
            seed=seed,
            live=live,
            record_id=record.id,
            config=config,
            sweep=None if sweep is None else sweep.name,
            sweep_point=sweep_point,
        )

    def _fork_source(self, origin: Room, tick: int | None) -> RoomCheckpoint:
        """The whole state of `origin` at `tick` (None: now)."""
        if tick is None:
            checkpoint: RoomCheckpoint = self.engine.call(self.engine.op_take_checkpoint, origin.key)
            return checkpoint
        self._check_tick(origin, tick)
        try:
            past: RoomCheckpoint = self.archive.submit(
                self.archive.seeker.checkpoint, origin.record_id, tick
            ).wait()
        except TickNotFound:
            raise ProtocolError(
                "not_found", f"Room {origin.name!r} has no stored state at tick {tick}."
            ) from None
        return past

    def _check_tick(self, room: Room, tick: int) -> None:
        if not 0 <= tick <= room.live.tick:
            raise ProtocolError(
                "not_found", f"Room {room.name!r} never had tick {tick}: its ticks run 0 to {room.live.tick}."
            )

    def restore(self) -> list[Room]:
        """Every stored room of this server, each queued on the engine to come back from its
        newest checkpoint (the engine runs those before any other command)."""
        rooms = []
        sweeps = {sweep.id: sweep.name for sweep in self.storage.live_sweeps()}
        for record in self.storage.live_rooms(self.settings.server_name):
            checkpoints = [
                checkpoint
                for checkpoint in sorted(
                    self.storage.checkpoints(record.id), key=lambda c: (c.tick, c.seq), reverse=True
                )
                if (self.settings.data_dir / checkpoint.path).is_file()
            ]
            if not checkpoints:
                log.error(
                    "Stored room %r has no checkpoint file left in %s; it cannot come back",
                    record.name,
                    self.settings.data_dir,
                )
                continue
            latest = checkpoints[0]
            live = EngineRoom(
                key=record.key,
                name=record.name,
                fleet_id=-1,
                agents=record.agents,
                speed=record.speed,
                record_id=record.id,
                tick=latest.tick,
                # What lists say until the engine has it back (its first command after start).
                running=record.running,
            )
            paths = [self.settings.data_dir / checkpoint.path for checkpoint in checkpoints]
            self.engine.tell(self.engine.op_restore, live, paths, record.running)
            rooms.append(
                Room(
                    key=record.key,
                    name=record.name,
                    owner_id=record.owner_id,
                    owner=record.owner,
                    agents=record.agents,
                    policy=record.policy,
                    public=record.public,
                    seed=int(record.seed),
                    live=live,
                    record_id=record.id,
                    config=RoomConfig.from_stored(record.config),
                    sweep=sweeps.get(record.sweep_id) if record.sweep_id is not None else None,
                    sweep_point=record.sweep_point,
                    controllers=set(record.grants),
                )
            )
        return rooms

    def update(self, room: Room, **fields: Any) -> None:
        self.storage.update_room(room.record_id, **fields)

    def grant(self, room: Room, user_id: int, allowed: bool) -> None:
        self.storage.set_grant(room.record_id, user_id, allowed)

    def delete(self, room: Room) -> None:
        self.storage.delete_room(room.record_id)

    def past_state(self, room: Room, tick: int) -> dict[str, Any]:
        """The room's Snapshot at the end of `tick`, re-simulated from the checkpoint before it."""
        self._check_tick(room, tick)
        live = room.live
        try:
            seek = partial(
                self.archive.seeker.snapshot, room=room.name, running=live.running, speed=live.speed
            )
            state: dict[str, Any] = self.archive.submit(seek, room.record_id, tick).wait()
        except TickNotFound:
            raise ProtocolError(
                "not_found", f"Room {room.name!r} has no stored state at tick {tick}."
            ) from None
        return dict(plain(state))

    def episodes(self, room: Room) -> list[dict[str, Any]]:
        """Every finished episode of the room's life, oldest first: for a fork, its origin's up
        to the fork, then its own. Read on the archive's thread, after the writes queued before."""
        found: list[dict[str, Any]] = self.archive.submit(room_episodes, self.storage, room.record_id).wait()
        return found
