"""The learning updates of a Fleet's steps: each step's budget, and the updates with the trainer.

A room whose rollout is full updates before it acts again. A step makes at most its budget of
updates, here or, with a BackgroundTrainer, by handing them to the trainer's thread; the rooms
due beyond it, and those whose update is with the trainer, are deferred: they do not step, and
step on a later step once their update is done. A room's run does not depend on when it updates.
"""

from __future__ import annotations

import numpy as np

from agents.learner import StackedLearner
from agents.trainer import BackgroundTrainer

QUEUED_JOBS = 1
"""Update jobs with the trainer at once. While one computes, the rooms whose rollouts fill gather
for the next, which updates them in one batch; a second job queued behind it would take them one
or two at a time, at ~1.7x the cost per room (10 ms a room in a batch of 8, 17 ms alone)."""


class Updates:
    """The updates of one Fleet's rooms, which are named by their ids."""

    def __init__(self, trainer: BackgroundTrainer | None) -> None:
        self.trainer = trainer
        self.updating: set[int] = set()
        """Rooms whose update is with the trainer."""
        self.deferred: list[int] = []
        """Rooms the current step leaves unstepped: their update is put off, or is with the trainer."""
        self._left = 0
        self._background = False

    def begin_step(self, budget: int, background: bool) -> None:
        """A step that makes at most `budget` updates, with the trainer if `background`."""
        self.deferred = []
        self._left = budget
        self._background = background

    def make(
        self, learner: StackedLearner, ids: list[int], rows: np.ndarray, observations: list[np.ndarray]
    ) -> list[int]:
        """Update the rooms `ids` (rows `rows` of `learner`, now seeing `observations`) whose
        rollouts are full, as many as the step's budget allows, here or by handing them to the
        trainer; the ids that may step now (the others are deferred, in the order given)."""
        full = learner.full(rows)
        # Positions in `ids`, as are `chosen` and `deferred`.
        waiting = [k for k in range(len(ids)) if full[k]]
        allowed = max(self._left, 0)
        trainer = self.trainer if self._background else None
        if trainer is not None:
            fresh = [k for k in waiting if ids[k] not in self.updating]
            chosen = fresh[:allowed] if trainer.outstanding < QUEUED_JOBS else []
            deferred = waiting
        else:
            chosen, deferred = waiting[:allowed], waiting[allowed:]
        if chosen:
            chosen_ids = [ids[k] for k in chosen]
            next_observations = np.stack([observations[k] for k in chosen])
            if trainer is not None:
                trainer.submit(chosen_ids, learner, learner.prepare(rows[chosen], next_observations))
                self.updating.update(chosen_ids)
            else:
                learner.update(rows[chosen], next_observations)
            self._left -= len(chosen)
        self.deferred.extend(ids[k] for k in deferred)
        skipped = set(deferred)
        return [i for k, i in enumerate(ids) if k not in skipped]

    def take_finished(self, wait: bool) -> list[BaseException]:
        """Apply the updates the trainer has finished (with `wait`, every one it holds); the
        errors of those that failed, whose rooms stay due: their update is tried again, alike."""
        if self.trainer is None:
            return []
        errors = []
        for rooms, learner, job, result in self.trainer.finished(wait):
            self.updating.difference_update(rooms)
            if isinstance(result, BaseException):
                learner.abandon(job)
                errors.append(result)
            else:
                learner.apply(result)
        return errors

    def settle(self, room_id: int) -> None:
        """Wait for the room's update, if the trainer has it, and apply it. Should it fail, the
        room is as before it was handed over, and the next step tries it again."""
        if room_id in self.updating:
            self.take_finished(wait=True)
