"""Online PPO with GAE for all agents of a room, in MLX, readable top to bottom.

The agents act together in one batched call per tick; every `rollout_ticks` ticks the policy
updates on what it gathered (clipped surrogate, value loss, entropy bonus, Adam), then goes on.
Sampling noise comes from the counter-based generator in env.rng, so a policy's actions are a
pure function of its weights, its seed and how many times it has acted.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import mlx.core as mx
import numpy as np

from agents.network import Params, forward, init_params, masked_log_probs
from agents.policy import ActOutput, EpisodeFigures
from env import rng
from env.config import NUM_ACTIONS, WorldConfig
from env.core import observation_size

_NOISE_STREAM = 101


@dataclass(frozen=True)
class LearningConfig:
    """Hyper-parameters of the learning policy."""

    shared: bool = True
    """One network for all agents of a room (the agent id is among its inputs); else one per agent."""
    hidden: int = 64
    """Width of the two hidden layers of the actor and of the critic."""
    learning_rate: float = 1e-3
    """Adam step size."""
    adam_eps: float = 1e-5
    """Adam's epsilon."""
    gamma: float = 0.99
    """Discount factor."""
    gae_lambda: float = 0.95
    """GAE's lambda: the bias-variance trade-off of the advantage estimate."""
    rollout_ticks: int = 128
    """Ticks gathered between two updates."""
    epochs: int = 2
    """Passes over a rollout per update."""
    minibatches: int = 4
    """Minibatches per pass."""
    clip: float = 0.2
    """PPO's ratio clip."""
    entropy_coef: float = 0.01
    """Weight of the entropy bonus."""
    value_coef: float = 0.5
    """Weight of the value loss."""
    max_grad_norm: float = 0.5
    """Gradients are rescaled to at most this global norm."""


def _act(params: Params, observations: mx.array, masks: mx.array, gumbel: mx.array) -> tuple[mx.array, ...]:
    """Gumbel-max sampling under the action mask, with log-probabilities and values."""
    logits, values = forward(params, observations)
    log_probs = masked_log_probs(logits, masks)
    actions = mx.argmax(log_probs + gumbel, axis=-1)
    chosen = mx.take_along_axis(log_probs, actions[..., None], axis=-1)[..., 0]
    return actions, chosen, values, mx.exp(log_probs)


def _values(params: Params, observations: mx.array) -> mx.array:
    return forward(params, observations)[1]


def _make_train_step(config: LearningConfig) -> Any:
    """One clipped-PPO gradient step with Adam, as a pure function fit for mx.compile.

    Every group of weights learns on its own: advantages are normalised, losses averaged and
    gradients clipped per group, and the groups' losses are summed, so a group's update is the
    same whether it trains alone or stacked with others.
    """

    def loss_fn(params: Params, batch: dict[str, mx.array]) -> tuple[mx.array, mx.array]:
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
        loss = policy_loss - config.entropy_coef * entropy + config.value_coef * value_loss
        approx_kl = ((ratio - 1.0) - log_ratio).mean(axis=1)
        figures = mx.stack([policy_loss, value_loss, entropy, approx_kl]).mean(axis=1)
        return loss.sum(), figures

    value_and_grad = mx.value_and_grad(loss_fn)

    def train_step(
        params: Params, moment1: Params, moment2: Params, step: mx.array, batch: dict[str, mx.array]
    ) -> tuple[Params, Params, Params, mx.array, mx.array]:
        (_, figures), grads = value_and_grad(params, batch)
        # Per-group global norm, summed in name order so that dict order does not matter.
        squares = [mx.square(grads[name]).reshape(grads[name].shape[0], -1).sum(axis=1) for name in sorted(grads)]
        norm = mx.sqrt(mx.stack(squares).sum(axis=0))
        scale = mx.minimum(1.0, config.max_grad_norm / (norm + 1e-6))[:, None, None]
        step = step + 1
        correction1 = 1.0 - 0.9**step
        correction2 = 1.0 - 0.999**step
        new_params, new_m1, new_m2 = {}, {}, {}
        for name, param in params.items():
            grad = grads[name] * scale
            new_m1[name] = 0.9 * moment1[name] + 0.1 * grad
            new_m2[name] = 0.999 * moment2[name] + 0.001 * mx.square(grad)
            update = (new_m1[name] / correction1) / (mx.sqrt(new_m2[name] / correction2) + config.adam_eps)
            new_params[name] = param - config.learning_rate * update
        return new_params, new_m1, new_m2, step, figures

    return train_step


class LearningPolicy:
    """PPO for the `num_agents` agents of one room; all MLX work stays on the calling thread."""

    name = "learning"

    def __init__(
        self, num_agents: int, seed: np.random.SeedSequence, world: WorldConfig, config: LearningConfig
    ) -> None:
        if config.rollout_ticks * (num_agents if config.shared else 1) % config.minibatches:
            raise ValueError(
                f"A rollout of {config.rollout_ticks} ticks does not split into {config.minibatches} minibatches."
            )
        self.config = config
        self.num_agents = num_agents
        self.groups = 1 if config.shared else num_agents
        init_seed, shuffle_seed, noise_seed = seed.spawn(3)
        self._shuffle = np.random.Generator(np.random.PCG64(shuffle_seed))
        self.noise_key = int(noise_seed.generate_state(1, np.uint64)[0])
        inputs = observation_size(world)
        self.params = init_params(np.random.Generator(np.random.PCG64(init_seed)), self.groups, inputs, config.hidden, NUM_ACTIONS)
        self.moment1 = {k: mx.zeros_like(v) for k, v in self.params.items()}
        self.moment2 = {k: mx.zeros_like(v) for k, v in self.params.items()}
        self.adam_step = mx.array(0.0)
        self.acted = 0
        """How many times the policy has acted: the counter its sampling noise is drawn at."""

        ticks = config.rollout_ticks
        self._observations = np.zeros((ticks, num_agents, inputs), dtype=np.float32)
        self._masks = np.zeros((ticks, num_agents, NUM_ACTIONS), dtype=bool)
        self._actions = np.zeros((ticks, num_agents), dtype=np.int32)
        self._log_probs = np.zeros((ticks, num_agents), dtype=np.float32)
        self._values = np.zeros((ticks, num_agents), dtype=np.float32)
        self._rewards = np.zeros((ticks, num_agents), dtype=np.float32)
        self._dones = np.zeros(ticks, dtype=bool)
        self._filled = 0
        self._figures = EpisodeFigures()

        self._act_fn = mx.compile(_act)
        self._values_fn = mx.compile(_values)
        self._train_fn = mx.compile(_make_train_step(config))

    # ---------------------------------------------------------------- acting

    def _grouped(self, per_agent: np.ndarray) -> mx.array:
        """(agents, ...) -> (groups, samples, ...): all agents in one group, or one agent each."""
        return mx.array(per_agent[None] if self.config.shared else per_agent[:, None])

    def _ungrouped(self, grouped: mx.array) -> np.ndarray:
        array = np.array(grouped)
        return array[0] if self.config.shared else array[:, 0]

    def act(self, observations: np.ndarray, masks: np.ndarray) -> ActOutput:
        if self._filled == self.config.rollout_ticks:
            self._update(observations)
        uniform = rng.uniform(np.array([self.noise_key]), np.array([self.acted]), _NOISE_STREAM, masks.size)
        gumbel = -np.log(-np.log(np.clip(uniform, 1e-12, 1.0 - 1e-12))).reshape(masks.shape).astype(np.float32)
        outputs = self._act_fn(self.params, self._grouped(observations), self._grouped(masks), self._grouped(gumbel))
        mx.eval(outputs)
        actions, log_probs, values, probabilities = (self._ungrouped(o) for o in outputs)
        row = self._filled
        self._observations[row] = observations
        self._masks[row] = masks
        self._actions[row] = actions
        self._log_probs[row] = log_probs
        self._values[row] = values
        self.acted += 1
        return ActOutput(actions.astype(np.int64), probabilities, values)

    def record(self, rewards: np.ndarray, episode_over: bool) -> None:
        self._rewards[self._filled] = rewards
        self._dones[self._filled] = episode_over
        self._filled += 1

    def end_episode(self) -> None:
        if self._filled:
            self._dones[self._filled - 1] = True

    def take_figures(self) -> EpisodeFigures:
        figures, self._figures = self._figures, EpisodeFigures()
        return figures

    # -------------------------------------------------------------- learning

    def _advantages(self, next_values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Generalised advantage estimates and returns over the rollout, newest tick first."""
        gamma, lam = self.config.gamma, self.config.gae_lambda
        advantages = np.zeros_like(self._rewards)
        running = np.zeros(self.num_agents, dtype=np.float32)
        for t in reversed(range(self.config.rollout_ticks)):
            following = next_values if t == self.config.rollout_ticks - 1 else self._values[t + 1]
            carry = 0.0 if self._dones[t] else 1.0
            delta = self._rewards[t] + gamma * following * carry - self._values[t]
            running = delta + gamma * lam * carry * running
            advantages[t] = running
        return advantages, advantages + self._values

    def _by_group(self, per_tick: np.ndarray) -> np.ndarray:
        """(ticks, agents, ...) -> (groups, samples, ...)."""
        if self.config.shared:
            return per_tick.reshape(1, -1, *per_tick.shape[2:])
        return np.swapaxes(per_tick, 0, 1)

    def _update(self, next_observations: np.ndarray) -> None:
        next_values = self._ungrouped(self._values_fn(self.params, self._grouped(next_observations)))
        advantages, returns = self._advantages(next_values)
        data = {
            "observations": self._by_group(self._observations),
            "masks": self._by_group(self._masks),
            "actions": self._by_group(self._actions),
            "log_probs": self._by_group(self._log_probs),
            "advantages": self._by_group(advantages),
            "returns": self._by_group(returns),
        }
        samples = data["actions"].shape[1]
        size = samples // self.config.minibatches
        figures = []
        for _ in range(self.config.epochs):
            order = self._shuffle.permutation(samples)
            for start in range(0, samples, size):
                index = order[start : start + size]
                batch = {name: mx.array(array[:, index]) for name, array in data.items()}
                self.params, self.moment1, self.moment2, self.adam_step, step_figures = self._train_fn(
                    self.params, self.moment1, self.moment2, self.adam_step, batch
                )
                figures.append(step_figures)
        mx.eval(self.params, self.moment1, self.moment2, self.adam_step)
        means = np.array(mx.stack(figures).mean(axis=0))
        self._figures.updates += 1
        self._figures.policy_loss.append(float(means[0]))
        self._figures.value_loss.append(float(means[1]))
        self._figures.entropy.append(float(means[2]))
        self._figures.approx_kl.append(float(means[3]))
        self._figures.mean_return.append(float(returns.mean()))
        self._filled = 0

    # ----------------------------------------------------------------- state

    def state_digest_bytes(self) -> bytes:
        """The weights as bytes, for hashing a run's final state."""
        return b"".join(np.array(self.params[name]).tobytes() for name in sorted(self.params))

    def shuffle_state(self) -> dict[str, Any]:
        """The minibatch shuffler's generator state, JSON-safe."""
        return dict(self._shuffle.bit_generator.state)

    def restore_shuffle_state(self, state: dict[str, Any]) -> None:
        self._shuffle.bit_generator.state = state

    def save(self, path: str) -> None:
        """Write a checkpoint (see agents.checkpoint)."""
        from agents import checkpoint

        checkpoint.save(self, path)

    def describe(self) -> dict[str, Any]:
        """JSON-safe facts that a checkpoint keeps beside the arrays."""
        return {
            "config": asdict(self.config),
            "num_agents": self.num_agents,
            "acted": self.acted,
            "noise_key": str(self.noise_key),
        }
