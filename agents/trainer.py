"""Learning updates on an OS thread of their own, beside the thread that acts.

MLX 0.32 runs on several threads (each has its own default stream and compile cache) and lets go
of the GIL while it computes, so an update computed here overlaps the world steps and act calls
of the acting thread: on a 2-core machine the rooms get most of a second core. The acting thread
prepares each update (`StackedLearner.prepare`) and applies its result (`StackedLearner.apply`);
this thread only runs `StackedLearner.compute`, which touches no learner state.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from types import ModuleType
from typing import Any

from agents.learner import StackedLearner, UpdateJob, UpdateResult

Finished = tuple[Any, StackedLearner, UpdateJob, UpdateResult | BaseException]
"""A job's tag, its learner, the job, and its result or the error that computing it raised."""


class BackgroundTrainer:
    """Computes submitted updates one after another, in order, on one thread."""

    def __init__(
        self,
        on_finished: Callable[[], None] | None = None,
        threads: ModuleType = threading,
        queues: ModuleType = queue,
    ) -> None:
        """`on_finished` is called on the trainer's thread after each job (to wake the acting
        thread). `threads` and `queues` are the threading and queue modules to use: pass the
        originals when the process runs eventlet's monkey patching, whose threads are green."""
        self._on_finished = on_finished
        self._jobs: Any = queues.SimpleQueue()
        self._finished: Any = queues.SimpleQueue()
        self._empty: type[Exception] = queues.Empty
        self.outstanding = 0
        """Jobs submitted and not yet taken back with `finished` (the submitting thread's count)."""
        self._thread: Any = threads.Thread(target=self._run, name="simrooms-trainer", daemon=True)
        self._thread.start()

    def submit(self, tag: Any, learner: StackedLearner, job: UpdateJob) -> None:
        self.outstanding += 1
        self._jobs.put((tag, learner, job))

    def finished(self, wait: bool = False) -> list[Finished]:
        """The jobs computed since the last call; with `wait`, every outstanding job, once done."""
        taken: list[Finished] = []
        while self.outstanding:
            try:
                item = self._finished.get() if wait else self._finished.get_nowait()
            except self._empty:
                break
            self.outstanding -= 1
            taken.append(item)
        return taken

    def close(self, timeout: float = 5.0) -> None:
        self._jobs.put(None)
        self._thread.join(timeout)

    def _run(self) -> None:
        while (item := self._jobs.get()) is not None:
            tag, learner, job = item
            result: UpdateResult | BaseException
            try:
                result = learner.compute(job)
            except BaseException as error:  # handed to the acting thread, which raises it
                result = error
            self._finished.put((tag, learner, job, result))
            if self._on_finished is not None:
                self._on_finished()
