"""The learning policy of one room: batching, determinism, and that it learns."""

from __future__ import annotations

import numpy as np
import pytest

from agents.learning import LearningPolicy
from agents.ppo import LearningConfig
from agents.simulation import RoomSimulation
from env.config import NUM_ACTIONS, WorldConfig
from env.core import observation_size


def _policy(num_agents: int = 4, shared: bool = True, seed: int = 0) -> LearningPolicy:
    return LearningPolicy(
        num_agents, np.random.SeedSequence(seed), WorldConfig(), LearningConfig(shared=shared)
    )


@pytest.mark.parametrize("shared", [True, False])
def test_all_agents_act_in_one_call(shared: bool) -> None:
    policy = _policy(num_agents=6, shared=shared)
    calls = []
    inner = policy.learner._act_fn
    policy.learner._act_fn = lambda *args: calls.append(1) or inner(*args)
    observations = np.random.default_rng(0).random((6, observation_size(WorldConfig())), dtype=np.float32)
    out = policy.act(observations, np.ones((6, NUM_ACTIONS), dtype=bool))
    assert len(calls) == 1
    assert out.actions.shape == (6,)
    assert out.probabilities is not None and np.allclose(out.probabilities.sum(axis=1), 1.0, atol=1e-5)
    assert policy.learner.groups == (1 if shared else 6)


def test_actions_respect_masks() -> None:
    policy = _policy()
    rng = np.random.default_rng(1)
    for _ in range(50):
        masks = rng.random((4, NUM_ACTIONS)) < 0.4
        masks[:, 0] = True
        out = policy.act(rng.random((4, observation_size(WorldConfig())), dtype=np.float32), masks)
        policy.record(np.zeros(4, dtype=np.float32), False)
        assert masks[np.arange(4), out.actions].all()
        assert out.probabilities is not None
        assert (out.probabilities[~masks] < 1e-6).all()


@pytest.mark.parametrize("shared", [True, False])
def test_learning_runs_are_deterministic(shared: bool) -> None:
    def run() -> bytes:
        sim = RoomSimulation(3, "learning", 11, learning=LearningConfig(shared=shared, rollout_ticks=32))
        for _ in range(300):
            sim.step()
        return sim.state_digest_bytes()

    assert run() == run()


def test_learning_improves_products_and_return() -> None:
    """A short run on a fixed seed: later episodes make more products and earn more than the
    first ones, and far more than random agents."""
    config = WorldConfig(max_ticks=200)
    sim = RoomSimulation(4, "learning", 3, config=config)
    while len(sim.finished) < 70:
        sim.step()
    early, late = sim.finished[:10], sim.finished[-10:]
    early_products = np.mean([e.stats["products_created"] for e in early])
    late_products = np.mean([e.stats["products_created"] for e in late])
    early_return = np.mean([e.metrics["return"] for e in early])
    late_return = np.mean([e.metrics["return"] for e in late])
    value_losses = [e.metrics["value_loss"] for e in sim.finished if "value_loss" in e.metrics]

    random_sim = RoomSimulation(4, "random", 3, config=config)
    while len(random_sim.finished) < 10:
        random_sim.step()
    random_products = np.mean([e.stats["products_created"] for e in random_sim.finished])

    assert late_products > max(2 * early_products, 3 * random_products, 5.0)
    assert late_return > early_return
    assert value_losses and np.isfinite(value_losses).all()
