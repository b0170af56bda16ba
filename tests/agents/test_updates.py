"""A step's learning updates: its budget, and the rooms that wait for the trainer."""

from __future__ import annotations

import numpy as np

from agents.learner import StackedLearner
from agents.ppo import LearningConfig
from agents.trainer import BackgroundTrainer
from agents.updates import Updates
from env.config import NUM_ACTIONS, WorldConfig

SMALL = LearningConfig(hidden=8, rollout_ticks=4, minibatches=2, rollout_cohorts=1)


def _full_rollouts(rooms: int) -> tuple[StackedLearner, np.ndarray, list[np.ndarray]]:
    """A learner of `rooms` rooms of 2 agents whose rollouts are full, and what they see next."""
    learner = StackedLearner(2, WorldConfig(), SMALL)
    rows = np.array([learner.add(np.random.SeedSequence(seed)) for seed in range(rooms)], dtype=np.int64)
    rng = np.random.default_rng(0)
    masks = np.ones((rooms, 2, NUM_ACTIONS), dtype=bool)
    for _ in range(SMALL.rollout_ticks):
        learner.act(rows, rng.random((rooms, 2, learner.inputs), dtype=np.float32), masks)
        learner.record(rows, rng.random((rooms, 2)).astype(np.float32), np.zeros(rooms, dtype=bool))
    observations = list(rng.random((rooms, 2, learner.inputs), dtype=np.float32))
    return learner, rows, observations


def test_a_budget_updates_the_first_rooms_due_and_defers_the_rest() -> None:
    learner, rows, observations = _full_rollouts(3)
    ids = [10, 11, 12]
    updates = Updates(trainer=None)
    updates.begin_step(budget=2, background=False)
    assert updates.make(learner, ids, rows, observations) == [10, 11]
    assert updates.deferred == [12]
    assert learner.full(rows).tolist() == [False, False, True]

    updates.begin_step(budget=2, background=False)
    assert updates.make(learner, ids, rows, observations) == ids
    assert updates.deferred == []


def test_rooms_with_the_trainer_wait_until_their_update_is_applied() -> None:
    learner, rows, observations = _full_rollouts(2)
    ids = [4, 7]
    trainer = BackgroundTrainer()
    try:
        updates = Updates(trainer)
        updates.begin_step(budget=8, background=True)
        assert updates.make(learner, ids, rows, observations) == []
        assert updates.deferred == ids and updates.updating == {4, 7}
        assert trainer.outstanding == 1, "both rooms go in one job"
        updates.settle(7)
        assert updates.updating == set()
        assert learner.full(rows).tolist() == [False, False]
        assert [figures.updates for figures in learner.figures[:2]] == [1, 1]
    finally:
        trainer.close()
