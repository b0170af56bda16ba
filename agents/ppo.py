"""PPO with GAE, clipped surrogate, value loss, entropy bonus and Adam, in MLX, top to bottom.

The algorithm alone, as in CleanRL's ppo.py: its hyper-parameters, how an action is sampled,
the advantage estimate, the loss and one optimiser step. Every array carries a leading axis of
weight groups (see agents.network), and nothing crosses between groups: a group's step is the
same whether it trains alone or stacked with hundreds of others. Which rows are whose, and when
a room updates, is agents.learner's business.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

import mlx.core as mx
import numpy as np

from agents.learning_config import LearningConfig as LearningConfig
from agents.network import Params, forward, masked_log_probs

Batch = dict[str, mx.array]
"""A minibatch, (groups, samples, ...) each: observations, masks, actions, log_probs (at acting
time), advantages and returns."""

TrainStep = Callable[
    [Params, Params, Params, mx.array, Batch], tuple[Params, Params, Params, mx.array, mx.array]
]
"""(params, moment1, moment2, steps, batch) -> the same four updated, and the step's figures."""


def act(params: Params, observations: mx.array, masks: mx.array, gumbel: mx.array) -> tuple[mx.array, ...]:
    """Gumbel-max sampling under the action mask: actions, their log-probabilities, the values
    and every action's probability. `gumbel` is the caller's noise, so that sampling is a pure
    function of the weights and the noise."""
    logits, values = forward(params, observations)
    log_probs = masked_log_probs(logits, masks)
    actions = mx.argmax(log_probs + gumbel, axis=-1)
    chosen = mx.take_along_axis(log_probs, actions[..., None], axis=-1)[..., 0]
    return actions, chosen, values, mx.exp(log_probs)


def critic_values(params: Params, observations: mx.array) -> mx.array:
    """The critic's estimates, (groups, samples)."""
    return forward(params, observations)[1]


def gae(
    rewards: np.ndarray,
    values: np.ndarray,
    next_values: np.ndarray,
    dones: np.ndarray,
    gamma: float,
    gae_lambda: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Generalised advantage estimates and returns of rollouts (rollouts, ticks, ...).

    `rewards`, `values` and `dones` are (rollouts, ticks, ...) float32, float32 and bool, where
    `dones[:, t]` marks an episode that ended with tick t, so that nothing is carried back across
    it; `next_values` (rollouts, ...) are the values of what follows the last tick.
    """
    ticks = rewards.shape[1]
    carries = (~dones).astype(np.float32)
    advantages = np.zeros_like(rewards)
    running = np.zeros(rewards[:, 0].shape, dtype=np.float32)
    for t in reversed(range(ticks)):
        following = next_values if t == ticks - 1 else values[:, t + 1]
        carry = carries[:, t]
        delta = rewards[:, t] + gamma * following * carry - values[:, t]
        running = delta + gamma * gae_lambda * carry * running
        advantages[:, t] = running
    return advantages, advantages + values


def loss(params: Params, batch: Batch, config: LearningConfig) -> tuple[mx.array, mx.array]:
    """The clipped-PPO loss summed over groups, and per group (4, groups): policy loss, value
    loss, entropy and approximate KL.

    Advantages are normalised and losses averaged per group, so that a group's gradient does not
    depend on the groups beside it."""
    logits, values = forward(params, batch["observations"])
    log_probs = masked_log_probs(logits, batch["masks"])
    new_log_prob = mx.take_along_axis(log_probs, batch["actions"][..., None], axis=-1)[..., 0]
    log_ratio = new_log_prob - batch["log_probs"]
    ratio = mx.exp(log_ratio)
    advantages = batch["advantages"]
    advantages = (advantages - advantages.mean(axis=1, keepdims=True)) / (
        mx.sqrt(advantages.var(axis=1, keepdims=True)) + 1e-8
    )
    clipped = mx.clip(ratio, 1.0 - config.clip, 1.0 + config.clip)
    policy_loss = mx.maximum(-advantages * ratio, -advantages * clipped).mean(axis=1)
    value_loss = 0.5 * mx.square(values - batch["returns"]).mean(axis=1)
    entropy = -mx.where(batch["masks"], mx.exp(log_probs) * log_probs, 0.0).sum(axis=-1).mean(axis=1)
    total = policy_loss - config.entropy_coef * entropy + config.value_coef * value_loss
    approx_kl = ((ratio - 1.0) - log_ratio).mean(axis=1)
    return total.sum(), mx.stack([policy_loss, value_loss, entropy, approx_kl])


def clip_by_group_norm(grads: Params, max_norm: float) -> Params:
    """`grads` rescaled so that each group's global norm is at most `max_norm`."""
    # Summed in name order, so that the order of the dict does not change the norm.
    squares = [mx.square(grads[name]).reshape(grads[name].shape[0], -1).sum(axis=1) for name in sorted(grads)]
    norm = mx.sqrt(mx.stack(squares).sum(axis=0))
    scale = mx.minimum(1.0, max_norm / (norm + 1e-6))[:, None, None]
    return {name: grad * scale for name, grad in grads.items()}


# Our own Adam, not mlx.optimizers.Adam: that one keeps a single step count for all parameters,
# while every group (room) here has its own, since rooms join and update at different times; and
# it must be a pure function of the weights and their state, to compile and to run on the trainer.
def adam(
    params: Params, grads: Params, moment1: Params, moment2: Params, steps: mx.array, config: LearningConfig
) -> tuple[Params, Params, Params, mx.array]:
    """One Adam step with bias correction; `steps` holds each group's step count, (groups,)."""
    steps = steps + 1
    correction1 = (1.0 - 0.9**steps)[:, None, None]
    correction2 = (1.0 - 0.999**steps)[:, None, None]
    new_params, new_m1, new_m2 = {}, {}, {}
    for name, param in params.items():
        grad = grads[name]
        # Betas 0.9 and 0.999, written out: 1.0 - 0.9 is not the float 0.1.
        new_m1[name] = 0.9 * moment1[name] + 0.1 * grad
        new_m2[name] = 0.999 * moment2[name] + 0.001 * mx.square(grad)
        update = (new_m1[name] / correction1) / (mx.sqrt(new_m2[name] / correction2) + config.adam_eps)
        new_params[name] = param - config.learning_rate * update
    return new_params, new_m1, new_m2, steps


def make_train_step(config: LearningConfig) -> TrainStep:
    """One clipped-PPO gradient step with Adam, as a pure function fit for mx.compile."""
    value_and_grad = mx.value_and_grad(partial(loss, config=config))

    def train_step(
        params: Params, moment1: Params, moment2: Params, steps: mx.array, batch: Batch
    ) -> tuple[Params, Params, Params, mx.array, mx.array]:
        (_, figures), grads = value_and_grad(params, batch)
        grads = clip_by_group_norm(grads, config.max_grad_norm)
        return (*adam(params, grads, moment1, moment2, steps, config), figures)

    return train_step
