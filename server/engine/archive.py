"""The archive: the OS thread that stores what the engine hands it, and answers seeks.

The engine never waits for the disk. It hands the archive each control as it happens (with its
tick), each finished episode, and now and then a room's whole state (a checkpoint, already taken
out of the fleet as numpy arrays); the archive writes them in the order they came, controls and
episodes batched into one transaction per wake-up. Seeks and forks queue behind those writes, so
a seek always sees every control the engine recorded before it was asked.

A checkpoint is written to a temporary file and renamed into place before its row is stored:
a write that fails (a full disk) leaves the last good checkpoint where it was, and says so in the
log and in ``failed_checkpoints`` (exported to /metrics).
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from agents.room_checkpoint import RoomCheckpoint, write_room_checkpoint
from server.engine.handoff import Bridge, Future, real_modules
from server.engine.seeker import Seeker
from server.storage.database import Storage
from server.storage.records import ControlRecord, EpisodeRecord

log = logging.getLogger(__name__)

CHECKPOINT_DIR = "checkpoints"
"""Where checkpoints go, under the data dir: one folder per stored room."""


class Archive:
    """Writes controls, episodes and checkpoints on its own thread; seeks there too."""

    def __init__(self, storage: Storage, data_dir: Path, bridge: Bridge) -> None:
        self.storage = storage
        self.data_dir = data_dir
        self.bridge = bridge
        self.seeker = Seeker(storage, data_dir)
        self.failed_checkpoints = 0
        self.written_checkpoints = 0
        self.written_bytes = 0
        threading, queue = real_modules()
        self._jobs: Any = queue.SimpleQueue()
        self._empty: type[Exception] = queue.Empty
        self._thread: Any = threading.Thread(target=self._run, name="simrooms-archive", daemon=True)
        self._closed = False
        self._controls: list[tuple[int, ControlRecord]] = []
        self._episodes: list[tuple[int, EpisodeRecord]] = []
        self.stored_episodes: Callable[[int, list[EpisodeRecord]], None] | None = None
        """Called on this thread with each stored room's episodes once they are stored (live
        tracking's ``Tracker.offer``, which never waits)."""

    def start(self) -> None:
        self._thread.start()

    def close(self, timeout: float = 30.0) -> None:
        """Write everything handed over so far, then end the thread."""
        if not self._thread.is_alive():
            return
        self._jobs.put(None)
        self._thread.join(timeout)
        if self._thread.is_alive():
            log.error("The archive did not finish its writes within %.0f s", timeout)

    @property
    def backlog(self) -> int:
        """Jobs waiting (a rough figure: the queue's size)."""
        size: int = self._jobs.qsize()
        return size

    # ----------------------------------------------------------- from the engine thread

    def control(self, room_id: int, control: ControlRecord) -> None:
        self._jobs.put(_Stored(room_id, control))

    def episode(self, room_id: int, episode: EpisodeRecord) -> None:
        self._jobs.put(_Stored(room_id, episode))

    def checkpoint(self, room_id: int, seq: int, reason: str, checkpoint: RoomCheckpoint) -> None:
        self._jobs.put((self._write_checkpoint, (room_id, seq, reason, checkpoint), None))

    # ----------------------------------------------------------- from the event loop

    def submit(self, fn: Callable[..., Any], *args: Any) -> Future:
        """Run `fn(*args)` on the archive's thread after everything handed over before; its
        result comes back through the Future."""
        future = Future(self.bridge)
        self._jobs.put((fn, args, future))
        return future

    def restored(self, room_id: int, seq: int, episode: int) -> None:
        """A room came back from a checkpoint whose last control is `seq`, in episode `episode`:
        what was stored after that checkpoint (controls, episodes from `episode` on) is a past
        the room will live again, differently if its controls come differently, so it goes."""
        self._jobs.put((self._restored, (room_id, seq, episode), None))

    def _restored(self, room_id: int, seq: int, episode: int) -> None:
        self.storage.truncate_room_past(room_id, seq, episode)
        self.seeker.forget(room_id)

    # ----------------------------------------------------------- the thread

    def _run(self) -> None:
        while True:
            jobs = [self._jobs.get()]
            while jobs[-1] is not None:
                try:
                    jobs.append(self._jobs.get_nowait())
                except self._empty:
                    break
            for job in jobs:
                if job is None:
                    self._flush()
                    self.storage.dispose_thread()
                    return
                if isinstance(job, _Stored):
                    if isinstance(job.record, ControlRecord):
                        self._controls.append((job.room_id, job.record))
                    else:
                        self._episodes.append((job.room_id, job.record))
                else:
                    self._flush()
                    self._run_job(*job)
            self._flush()

    def _run_job(self, fn: Callable[..., Any], args: tuple[Any, ...], future: Future | None) -> None:
        try:
            value = fn(*args)
        except Exception as error:
            if future is None:
                log.exception("An archive job (%s) failed", getattr(fn, "__name__", fn))
            else:
                future.set(error=error)
            return
        if future is not None:
            future.set(value)

    def _flush(self) -> None:
        """Store the controls and episodes gathered so far, one transaction per room and table."""
        controls, self._controls = self._controls, []
        episodes, self._episodes = self._episodes, []
        try:
            for room_id, batch in _by_room(controls).items():
                self.storage.add_controls(room_id, batch)
            for room_id, ended in _by_room(episodes).items():
                self.storage.add_episodes(room_id, ended)
                if self.stored_episodes is not None:
                    self.stored_episodes(room_id, ended)
        except Exception:
            log.exception(
                "Storing %d controls and %d episodes failed; they are lost", len(controls), len(episodes)
            )

    def _write_checkpoint(self, room_id: int, seq: int, reason: str, checkpoint: RoomCheckpoint) -> None:
        tick = int(checkpoint.facts["tick"])
        relative = (
            Path(CHECKPOINT_DIR) / str(room_id) / f"{tick:012d}-{seq:06d}-{uuid.uuid4().hex[:8]}.safetensors"
        )
        path = self.data_dir / relative
        started = time.perf_counter()
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            size = write_room_checkpoint(path, checkpoint)
            self.storage.add_checkpoint(room_id, tick, seq, relative.as_posix(), size, reason)
        except Exception:
            self.failed_checkpoints += 1
            log.exception(
                "Writing a checkpoint of stored room %d at tick %d failed; its last good checkpoint stays",
                room_id,
                tick,
            )
            path.unlink(missing_ok=True)
            return
        self.written_checkpoints += 1
        self.written_bytes += size
        log.debug(
            "Checkpoint of room %d at tick %d: %d bytes in %.1f ms",
            room_id,
            tick,
            size,
            1000 * (time.perf_counter() - started),
        )


@dataclass(frozen=True)
class _Stored:
    """A control or an episode to store, gathered with the others of its wake-up."""

    room_id: int
    record: ControlRecord | EpisodeRecord


def _by_room(items: list[tuple[int, Any]]) -> dict[int, list[Any]]:
    grouped: dict[int, list[Any]] = {}
    for room_id, item in items:
        grouped.setdefault(room_id, []).append(item)
    return grouped
