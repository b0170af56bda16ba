"""One room's run as TensorBoard event files, written with tensorboardX's synchronous writer.

tensorboardX's ``SummaryWriter`` hands events to a thread and a multiprocessing queue of its own;
under eventlet's monkey patching that thread would be green and its queue shared across OS
threads. Its ``EventsWriter`` writes an event file from the calling thread alone, which is what
the export (one process, one pass) and the tracker (its own OS thread) need. Each episode figure
is a scalar tagged ``episode/FIELD`` at the episode's number as its step; the room's config is
the run's hyper-parameters (TensorBoard's HParams dashboard).
"""

from __future__ import annotations

import itertools
import os
import time
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from tensorboardX.event_file_writer import EventsWriter
from tensorboardX.proto.event_pb2 import Event, SessionLog
from tensorboardX.summary import hparams, scalar

from server.episodes import figures

TAG_PREFIX = "episode/"
"""Every episode figure's tag starts so: ``episode/products_created``."""
_files = itertools.count(1)


class TensorBoardRun:
    """An event file in `directory` (made if missing) for one room's episodes."""

    def __init__(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self.directory = directory
        # Event files are named by the second they were made in: a run reopened within that
        # second (a tracker evicting and reopening it) would truncate the first without a suffix
        # of its own, and TensorBoard reads a run's files in name order: so pid, then a count.
        suffix = f".{os.getpid()}.{next(_files):06d}"
        self._writer = EventsWriter(str(directory / "events"), suffix)

    def hyperparameters(self, values: Mapping[str, Any], metrics: Iterable[str], finished: bool) -> None:
        """The run's hyper-parameters, with the tags of the figures they are read against; a
        finished run (an export) also says that its session ended."""
        experiment, start, end = hparams(dict(values), {TAG_PREFIX + name: 0 for name in metrics})
        summaries = [experiment, start, end] if finished else [experiment, start]
        for summary in summaries:
            self._writer.write_event(Event(summary=summary, wall_time=time.time(), step=0))

    def resume_at(self, step: int) -> None:
        """Go on from episode `step`: TensorBoard hides what earlier files of the run hold at that
        step and after. A room brought back after a SIGKILL runs again the episodes since its
        checkpoint, which its run already has; without this they would show twice."""
        start = SessionLog(status=SessionLog.START)
        self._writer.write_event(Event(session_log=start, wall_time=time.time(), step=step))

    def episode(self, row: Mapping[str, Any], wall_time: float | None = None) -> None:
        """One scalar per figure of the episode `row` (server.episodes.figures), at its number."""
        step, when = int(row["episode"]), time.time() if wall_time is None else wall_time
        for name, value in figures(row).items():
            self._writer.write_event(
                Event(summary=scalar(TAG_PREFIX + name, value), wall_time=when, step=step)
            )

    def flush(self) -> None:
        self._writer.flush()

    def close(self) -> None:
        self._writer.close()
