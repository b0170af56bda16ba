"""The PPO algorithm's pure parts: advantage estimates, and the train step's group isolation."""

from __future__ import annotations

import mlx.core as mx
import numpy as np

from agents.network import init_params
from agents.ppo import LearningConfig, gae, make_train_step


def _rollout(rows: list[list[float]]) -> np.ndarray:
    """(rollouts, ticks, 1) float32: rollouts of one agent."""
    return np.array(rows, dtype=np.float32)[:, :, None]


def test_gae_by_hand_with_an_episode_cut_in_the_middle() -> None:
    """gamma = lambda = 0.5 (exact in binary); the episode ends with tick 1, so tick 1 neither
    bootstraps from tick 2's value nor carries tick 2's advantage back."""
    rewards = _rollout([[1.0, 2.0, 3.0, 4.0]])
    values = _rollout([[0.5, 1.0, 1.5, 2.0]])
    dones = np.array([[False, True, False, False]])[:, :, None]
    next_values = np.array([[4.0]], dtype=np.float32)
    advantages, returns = gae(rewards, values, next_values, dones, gamma=0.5, gae_lambda=0.5)
    # t=3: 4 + .5*4 - 2 = 4;  t=2: (3 + .5*2 - 1.5) + .25*4 = 3.5
    # t=1: 2 - 1 = 1 (cut);   t=0: (1 + .5*1 - .5) + .25*1 = 1.25
    assert advantages[0, :, 0].tolist() == [1.25, 1.0, 3.5, 4.0]
    assert returns[0, :, 0].tolist() == [1.75, 2.0, 5.0, 6.0]
    assert advantages.dtype == np.float32


def test_gae_with_lambda_one_is_the_discounted_return_less_the_value() -> None:
    rewards = _rollout([[1.0, 0.0, 2.0]])
    values = _rollout([[0.25, 0.5, 0.75]])
    next_values = np.array([[8.0]], dtype=np.float32)
    dones = np.zeros((1, 3, 1), dtype=bool)
    advantages, returns = gae(rewards, values, next_values, dones, gamma=0.5, gae_lambda=1.0)
    discounted = [1 + 0.5 * 0 + 0.25 * 2 + 0.125 * 8, 0 + 0.5 * 2 + 0.25 * 8, 2 + 0.5 * 8]
    np.testing.assert_allclose(returns[0, :, 0], discounted)
    np.testing.assert_allclose(advantages[0, :, 0], np.array(discounted) - values[0, :, 0])


def test_gae_rollouts_and_agents_do_not_mix() -> None:
    rng = np.random.default_rng(0)
    rewards, values = (rng.random((3, 5, 2), dtype=np.float32) for _ in range(2))
    next_values = rng.random((3, 2), dtype=np.float32)
    dones = rng.random((3, 5, 2)) < 0.3
    together = gae(rewards, values, next_values, dones, 0.99, 0.95)
    for r in range(3):
        for a in range(2):
            alone = gae(
                rewards[r : r + 1, :, a],
                values[r : r + 1, :, a],
                next_values[r : r + 1, a],
                dones[r : r + 1, :, a],
                0.99,
                0.95,
            )
            np.testing.assert_array_equal(together[0][r, :, a], alone[0][0])
            np.testing.assert_array_equal(together[1][r, :, a], alone[1][0])


def test_a_groups_train_step_is_the_same_alone_or_stacked() -> None:
    config = LearningConfig(hidden=8)
    inputs, actions, samples = 5, 3, 16
    params = init_params(np.random.default_rng(1), 2, inputs, config.hidden, actions)
    moments = {name: mx.zeros_like(value) for name, value in params.items()}
    rng = np.random.default_rng(2)
    batch = {
        "observations": mx.array(rng.random((2, samples, inputs), dtype=np.float32)),
        "masks": mx.array(np.ones((2, samples, actions), dtype=bool)),
        "actions": mx.array(rng.integers(0, actions, (2, samples)).astype(np.int32)),
        "log_probs": mx.array(np.full((2, samples), -np.log(actions), dtype=np.float32)),
        "advantages": mx.array(rng.standard_normal((2, samples)).astype(np.float32)),
        "returns": mx.array(rng.standard_normal((2, samples)).astype(np.float32)),
    }
    step = make_train_step(config)
    stacked = step(params, moments, moments, mx.array([0.0, 3.0]), batch)

    def first(tree: dict[str, mx.array]) -> dict[str, mx.array]:
        return {name: value[:1] for name, value in tree.items()}

    alone = step(first(params), first(moments), first(moments), mx.array([0.0]), first(batch))
    for name in params:
        np.testing.assert_allclose(
            np.array(stacked[0][name][:1]), np.array(alone[0][name]), rtol=1e-5, atol=1e-7
        )
    assert np.array(stacked[3]).tolist() == [1.0, 4.0], "each group counts its own Adam steps"
    np.testing.assert_allclose(np.array(stacked[4][:, :1]), np.array(alone[4]), rtol=1e-5, atol=1e-7)
