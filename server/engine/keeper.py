"""What the engine keeps of its rooms: each control and finished episode as it happens, and now
and then a room's whole state (a checkpoint), handed to the archive (server.engine.archive).

Checkpoints bound two things. A restart after SIGKILL loses at most ``checkpoint_seconds`` of a
room. And a seek replays from the checkpoint before it, so a room is also checkpointed once
replaying it from its last checkpoint would take ``replay_seconds``: a learning room's tick costs
about REPLAY_SECONDS_PER_TICK plus REPLAY_SECONDS_PER_WORLD for each world it trains in
(bench/checkpoint.py: a restored 4-agent room replays 640-760 ticks a second in one world, 123-131
in 16, learning updates included). A learning room is checkpointed at its next update once due
(its rollout is then empty: 0.6 MB instead of up to 10 MB in 16 worlds), unless it has gone twice
past its due point without one. The interval in seconds is never stretched.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from agents.fleet import EpisodeSummary, Fleet
from agents.room_checkpoint import RoomCheckpoint, read_room_checkpoint
from server.engine.archive import Archive
from server.engine.room import EngineRoom
from server.storage.records import ControlRecord, EpisodeRecord

log = logging.getLogger(__name__)
REPLAY_SECONDS_PER_TICK = 0.001
REPLAY_SECONDS_PER_WORLD = 0.00045
EMPTY_ROLLOUT = 1
"""Rollout ticks a learning room holds right after its update (that tick is recorded after it)."""


class Keeper:
    """Hands the archive what a room's future and past are rebuilt from (engine thread only)."""

    def __init__(self, archive: Archive, seconds: float, replay_seconds: float, per_cycle: int) -> None:
        self.archive = archive
        self.seconds = seconds
        self.replay_seconds = replay_seconds
        self.per_cycle = per_cycle

    @staticmethod
    def tick_cost(worlds: int) -> float:
        """Seconds a replay takes for one tick of a room training in `worlds` worlds, about."""
        return REPLAY_SECONDS_PER_TICK + REPLAY_SECONDS_PER_WORLD * worlds

    def control(self, room: EngineRoom, kind: str, value: Any = None, user_id: int | None = None) -> None:
        """Record a control that came at the room's current tick."""
        room.seq += 1
        self.archive.control(room.record_id, ControlRecord(room.seq, room.tick, kind, value, user_id))

    def episode(self, room: EngineRoom, summary: EpisodeSummary) -> None:
        self.archive.episode(room.record_id, episode_record(summary))

    def restored(self, room: EngineRoom, episode: int) -> None:
        """The room came back from its newest checkpoint (see Archive.restored)."""
        self.archive.restored(room.record_id, room.seq, episode)

    def restore(self, fleet: Fleet, room: EngineRoom, paths: list[Path]) -> bool:
        """Bring `room` back into `fleet` from the first of its checkpoint files (newest first)
        that reads, as it was then, with what the engine kept beside it; False when none reads."""
        for path in paths:
            try:
                checkpoint = read_room_checkpoint(path)
                room.fleet_id = fleet.restore(checkpoint)
            except Exception:
                log.exception("Room %r could not be restored from %s", room.name, path)
                continue
            kept = checkpoint.facts.get("room", {})
            room.speed, room.seq = kept.get("speed", room.speed), int(kept.get("seq", 0))
            room.worlds = fleet.envs(room.fleet_id)
            room.tick, room.episode = fleet.tick(room.fleet_id), fleet.episode(room.fleet_id)
            self.restored(room, room.episode)
            room.checkpoint_tick, room.checkpoint_seq = room.tick, room.seq
            room.checkpointed_at = time.monotonic()
            return True
        return False

    def checkpoint(self, fleet: Fleet, room: EngineRoom, reason: str, now: float) -> None:
        """Take the room's whole state now and hand it to the archive to write."""
        checkpoint = take_checkpoint(fleet, room)
        self.archive.checkpoint(room.record_id, room.seq, reason, checkpoint)
        room.checkpoint_tick, room.checkpoint_seq = room.tick, room.seq
        room.checkpointed_at, room.replay_cost = now, 0.0

    def due(
        self, rooms: Iterable[EngineRoom], now: float, rollout_ticks: Callable[[int], int]
    ) -> list[EngineRoom]:
        """The rooms to checkpoint this cycle, the most overdue first, at most ``per_cycle``;
        `rollout_ticks` gives a room's gathered rollout by its fleet id (Fleet.rollout_ticks)."""
        due = []
        for room in rooms:
            if (room.tick, room.seq) == (room.checkpoint_tick, room.checkpoint_seq):
                continue
            by_time = (now - room.checkpointed_at) / self.seconds
            by_replay = room.replay_cost / self.replay_seconds
            if (
                by_time >= 1
                or by_replay >= 2
                or (by_replay >= 1 and rollout_ticks(room.fleet_id) <= EMPTY_ROLLOUT)
            ):
                due.append((max(by_time, by_replay), room))
        due.sort(key=lambda entry: -entry[0])
        return [room for _, room in due[: self.per_cycle]]


def take_checkpoint(fleet: Fleet, room: EngineRoom) -> RoomCheckpoint:
    """The room's whole state now, with what the engine keeps of it beside the fleet's (its speed,
    whether it runs, its last control), which a restore takes back."""
    checkpoint = fleet.checkpoint(room.fleet_id)
    checkpoint.facts["room"] = {"speed": room.speed, "running": room.running, "seq": room.seq}
    return checkpoint


def episode_record(summary: EpisodeSummary) -> EpisodeRecord:
    """A finished episode as it is stored."""
    stats = summary.stats
    return EpisodeRecord(
        episode=int(summary.episode),
        end_tick=int(summary.tick),
        reason=summary.reason,
        products_created=int(stats["products_created"]),
        total_reward=float(stats["total_reward"]),
        efficiency=float(stats["efficiency"]),
        stats=dict(stats),
        metrics=dict(summary.metrics),
    )
