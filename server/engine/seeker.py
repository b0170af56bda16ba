"""Seeking: a stored room's state at any past tick, re-simulated in a fleet of its own.

The seeker runs on the archive's thread (server.engine.archive), never the engine's, so a long
replay does not hold up the live rooms; its MLX arrays are made on that thread and stay there. It
keeps the last few rooms it replayed: a timeline dragged forward, or the past played back, goes on
from where the last seek left off instead of from a checkpoint.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from agents.fleet import Fleet
from agents.room_checkpoint import RoomCheckpoint, read_room_checkpoint
from server.engine.history import replay
from server.storage.database import Storage

KEPT_ROOMS = 4
"""Rooms the seeker keeps replayed, the least recently sought dropped first."""


class TickNotFound(LookupError):
    """The room never had that tick (or nothing stored reaches it)."""


@dataclass
class _Replay:
    fleet_id: int
    tick: int
    seq: int


class Seeker:
    """Past states of stored rooms. Not thread-safe: one thread (the archive's) calls it."""

    def __init__(self, storage: Storage, data_dir: Path) -> None:
        self.storage = storage
        self.data_dir = data_dir
        self._fleet: Fleet | None = None
        self._kept: OrderedDict[int, _Replay] = OrderedDict()

    @property
    def fleet(self) -> Fleet:
        # Made on first use, on the calling thread: MLX arrays belong to the thread that made them.
        if self._fleet is None:
            self._fleet = Fleet()
        return self._fleet

    def snapshot(self, room_id: int, tick: int, **meta: Any) -> dict[str, Any]:
        """The Snapshot stored room `room_id` had at the end of `tick`, with `meta` (its name,
        running and speed) as `Fleet.snapshot` takes them."""
        return self.fleet.snapshot(self._at(room_id, tick), **meta)

    def checkpoint(self, room_id: int, tick: int) -> RoomCheckpoint:
        """The whole state of stored room `room_id` at the end of `tick` (for a fork)."""
        return self.fleet.checkpoint(self._at(room_id, tick))

    def forget(self, room_id: int) -> None:
        """Drop what was replayed of a room (its past changed, as after a restart)."""
        kept = self._kept.pop(room_id, None)
        if kept is not None:
            self.fleet.remove(kept.fleet_id)

    def _at(self, room_id: int, tick: int) -> int:
        """The id in the seeker's fleet of room `room_id` (or of the origin whose past it is)
        replayed to the end of `tick`."""
        owner = self._owner(room_id, tick)
        stored = self.storage.checkpoint_before(owner, tick)
        if stored is None:
            raise TickNotFound(f"Nothing stored reaches tick {tick} of that room.")
        kept = self._kept.get(owner)
        if kept is None or kept.tick > tick or stored.tick > kept.tick:
            self.forget(owner)
            restored = self.fleet.restore(read_room_checkpoint(self.data_dir / stored.path))
            kept = _Replay(restored, stored.tick, stored.seq)
            self._kept[owner] = kept
            while len(self._kept) > KEPT_ROOMS:
                self.forget(next(iter(self._kept)))
        self._kept.move_to_end(owner)
        controls = self.storage.controls(owner, after_seq=kept.seq, up_to_tick=tick)
        try:
            done = replay(self.fleet, kept.fleet_id, kept.seq, controls, tick)
        except BaseException:
            self.forget(owner)
            raise
        kept.tick, kept.seq = done.tick, done.seq
        return kept.fleet_id

    def _owner(self, room_id: int, tick: int) -> int:
        """The stored room whose own past holds `tick` of room `room_id`: the room, or for a
        tick before a fork, the room it was forked from (and so on)."""
        for record in self.storage.fork_chain(room_id):
            if record.forked_from is None or tick >= (record.fork_tick or 0):
                return record.id
        raise TickNotFound(f"No stored room holds tick {tick} of that room's past.")
