"""Buckets of rooms: learning rooms in one learner, scripted rooms with a policy each."""

from __future__ import annotations

import numpy as np
import pytest

from agents.buckets import LearningBucket, ScriptedBucket, make_bucket
from agents.ppo import LearningConfig
from env.config import NUM_ACTIONS, WorldConfig
from env.core import observation_size

SMALL = LearningConfig(hidden=8)


def test_each_policy_gets_its_kind_of_bucket() -> None:
    learning = make_bucket(2, "learning", 3, WorldConfig(), SMALL)
    assert isinstance(learning, LearningBucket) and learning.worlds_for(4) == 4
    for policy in ("heuristic", "random"):
        scripted = make_bucket(2, policy, 1, WorldConfig(), SMALL)
        assert isinstance(scripted, ScriptedBucket) and scripted.policy == policy
        assert scripted.worlds_for(4) == 1


def test_a_scripted_bucket_grows_its_world_and_reuses_freed_rows() -> None:
    bucket = ScriptedBucket(2, "random", WorldConfig())
    assert [bucket.add(np.random.SeedSequence(seed)) for seed in range(3)] == [0, 1, 2]
    assert bucket.world.slots == 4
    bucket.remove(1)
    assert bucket.add(np.random.SeedSequence(9)) == 1
    with pytest.raises(ValueError, match="keeps its one world"):
        bucket.take_over(bucket, 0)


def test_a_scripted_bucket_acts_per_room_and_has_no_weights() -> None:
    bucket = ScriptedBucket(3, "heuristic", WorldConfig())
    rows = np.array([bucket.add(np.random.SeedSequence(seed)) for seed in range(2)])
    observations = np.zeros((2, 3, observation_size(WorldConfig())), dtype=np.float32)
    masks = np.ones((2, 3, NUM_ACTIONS), dtype=bool)
    actions, first = bucket.act(rows, observations, masks)
    assert actions.shape == (2, 3) and [output.actions.tolist() for output in first] == actions.tolist()
    assert bucket.take_figures(0).updates == 0
    assert bucket.digest(0) == b"" and bucket.learner_of(0) is None


def test_a_learning_bucket_grows_its_world_with_its_learner_and_takes_rooms_over() -> None:
    bucket = LearningBucket(2, 3, WorldConfig(), SMALL)
    rows = [bucket.add(np.random.SeedSequence(seed)) for seed in range(3)]
    assert bucket.world.slots == bucket.learner.capacity * 3
    assert bucket.learner_of(rows[2]) == (bucket.learner, rows[2])

    one_world = LearningBucket(2, 1, WorldConfig(), SMALL)
    row = one_world.add(np.random.SeedSequence(5))
    moved = bucket.take_over(one_world, row)
    assert bucket.digest(moved) == one_world.digest(row)
    with pytest.raises(TypeError, match="cannot move here from a bucket of random rooms"):
        bucket.take_over(ScriptedBucket(2, "random", WorldConfig()), 0)
