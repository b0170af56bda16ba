"""Checkpoints round-trip: a loaded policy acts, and goes on learning, exactly as the saved one."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from agents import checkpoint
from agents.learning import LearningPolicy
from agents.ppo import LearningConfig
from env.config import NUM_ACTIONS, WorldConfig
from env.core import observation_size


def _drive(policy: LearningPolicy, rng: np.random.Generator, ticks: int) -> list[np.ndarray]:
    actions = []
    size = observation_size(WorldConfig())
    for _ in range(ticks):
        out = policy.act(
            rng.random((policy.num_agents, size), dtype=np.float32),
            np.ones((policy.num_agents, NUM_ACTIONS), bool),
        )
        policy.record(rng.random(policy.num_agents).astype(np.float32), False)
        actions.append(out.actions)
    return actions


@pytest.mark.parametrize("shared", [True, False])
def test_round_trip(tmp_path: Path, shared: bool) -> None:
    config = LearningConfig(shared=shared, rollout_ticks=16)
    policy = LearningPolicy(3, np.random.SeedSequence(7), WorldConfig(), config)
    _drive(policy, np.random.default_rng(0), 40)
    path = tmp_path / "policy.safetensors"
    checkpoint.save(policy, path)
    loaded = checkpoint.load(path)

    assert loaded.config == policy.config
    assert loaded.state_digest_bytes() == policy.state_digest_bytes()
    # The next rollout starts afresh in both, so both see the same data from here on.
    policy.learner.filled[policy.room] = 0
    assert [a.tolist() for a in _drive(policy, np.random.default_rng(1), 50)] == [
        a.tolist() for a in _drive(loaded, np.random.default_rng(1), 50)
    ]
    assert loaded.state_digest_bytes() == policy.state_digest_bytes()


def test_rejects_other_files(tmp_path: Path) -> None:
    import mlx.core as mx

    path = tmp_path / "other.safetensors"
    mx.save_safetensors(str(path), {"x": mx.zeros(3)}, metadata={"format": "something-else"})
    with pytest.raises(ValueError, match="not a simrooms policy checkpoint"):
        checkpoint.load(path)


def test_rejects_arrays_of_another_layout() -> None:
    three = LearningPolicy(3, np.random.SeedSequence(1), WorldConfig(), LearningConfig(shared=False))
    two = LearningPolicy(2, np.random.SeedSequence(1), WorldConfig(), LearningConfig(shared=False))
    arrays = checkpoint.room_arrays(three.learner, three.room)
    with pytest.raises(ValueError, match=r"Array params/actor\.\w+ has shape \(3, .*\), not \(2, "):
        checkpoint.set_room_arrays(two.learner, two.room, arrays)
