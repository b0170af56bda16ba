"""The stacked learner: every room's own weights, updates, and worlds that share weights."""

from __future__ import annotations

import numpy as np
import pytest

from agents.learner import StackedLearner
from agents.ppo import LearningConfig
from agents.simulation import RoomSimulation
from env.config import NUM_ACTIONS, WorldConfig


def _learner(num_agents: int = 4, shared: bool = True, seed: int = 0) -> tuple[StackedLearner, int]:
    learner = StackedLearner(num_agents, WorldConfig(), LearningConfig(shared=shared))
    return learner, learner.add(np.random.SeedSequence(seed))


def test_per_agent_networks_differ_and_share_nothing() -> None:
    learner, room = _learner(shared=False)
    weights = np.array(learner.room_weights(room).params["actor.w1"])
    assert weights.shape[0] == 4
    assert not np.allclose(weights[0], weights[1])


def test_update_changes_weights_and_reports_figures() -> None:
    sim = RoomSimulation(4, "learning", 5, learning=LearningConfig(rollout_ticks=32, rollout_cohorts=1))
    found = sim.fleet.learner_of(sim.room)
    assert found is not None
    learner, row = found
    before = learner.digest(row)
    for _ in range(33):
        sim.step()
    assert learner.digest(row) != before
    figures = learner.take_figures(row)
    assert figures.updates == 1
    summary = figures.summary()
    assert {"policy_loss", "value_loss", "entropy", "approx_kl"} <= set(summary)
    assert 0.0 < float(summary["entropy"]) <= np.log(NUM_ACTIONS)


@pytest.mark.parametrize("shared", [True, False])
def test_every_world_of_a_room_acts_on_the_same_weights(shared: bool) -> None:
    """Agent a of each world uses the same network (per-agent networks: network a)."""
    config = LearningConfig(shared=shared, hidden=16)
    learner = StackedLearner(3, WorldConfig(), config, envs=2)
    room = learner.add(np.random.SeedSequence(4))
    one_world = np.random.default_rng(1).random((3, learner.inputs), dtype=np.float32)
    masks = np.ones((1, 6, NUM_ACTIONS), dtype=bool)
    _, probabilities, values = learner.act(
        np.array([room]), np.concatenate([one_world, one_world])[None], masks
    )
    np.testing.assert_allclose(probabilities[0, :3], probabilities[0, 3:], rtol=1e-6)
    np.testing.assert_allclose(values[0, :3], values[0, 3:], rtol=1e-6)
    assert not np.allclose(values[0, 0], values[0, 1])
