"""One room's simulation: the world, its policy, episodes that roll on, and their figures.

This is the unit the server's engine steps and ``simrooms simulate`` runs headless. It is not
thread-safe: every call must come from the one thread that owns the MLX work.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from agents.learning import LearningConfig, LearningPolicy
from agents.policy import ActOutput, Policy
from agents.scripted import HeuristicPolicy, RandomPolicy
from env.config import WorldConfig
from env.parallel import ProductionEnv

POLICIES = ("learning", "heuristic", "random")
FINISHED_KEPT = 100
POLICY_SEED_STREAM = 1
"""The policy of a room seeded s draws from SeedSequence(s, spawn_key=(1,))."""


@dataclass
class EpisodeSummary:
    """An episode that ended: why, when, and its figures."""

    episode: int
    tick: int
    stats: dict[str, float | int]
    reason: str
    """"terminated" (every agent out of energy), "truncated" (tick limit) or "reset"."""
    metrics: dict[str, float | int]
    """Training figures of the episode: mean return per agent, products, and for learning
    policies the mean losses, entropy and KL of the updates made during it."""


def make_policy(
    name: str, num_agents: int, seed: np.random.SeedSequence, config: WorldConfig, learning: LearningConfig | None
) -> Policy:
    """Build the policy called `name` for a room of `num_agents` agents."""
    if name == "random":
        return RandomPolicy(seed)
    if name == "heuristic":
        return HeuristicPolicy(seed, config)
    if name == "learning":
        return LearningPolicy(num_agents, seed, config, learning or LearningConfig())
    raise ValueError(f"Policy {name!r} is not one of {', '.join(POLICIES)}.")


class RoomSimulation:
    """A production world stepped by one policy; episodes start again by themselves."""

    def __init__(
        self,
        num_agents: int,
        policy: str,
        seed: int | None,
        config: WorldConfig | None = None,
        learning: LearningConfig | None = None,
    ) -> None:
        self.env = ProductionEnv(num_agents, config)
        self.observations, self.masks = self.env.reset_arrays(seed)
        self.seed = self.env.seed_entropy
        policy_seed = np.random.SeedSequence(self.seed, spawn_key=(POLICY_SEED_STREAM,))
        self.policy = make_policy(policy, num_agents, policy_seed, self.env.config, learning)
        self.last_act: ActOutput | None = None
        self.total_products = 0
        self.total_reward = 0.0
        self.finished: list[EpisodeSummary] = []
        """The most recent finished episodes (at most FINISHED_KEPT)."""
        self.episodes_finished = 0

    @property
    def tick(self) -> int:
        return self.env.tick

    @property
    def episode(self) -> int:
        return self.env.episode

    def step(self) -> EpisodeSummary | None:
        """Advance one tick: all agents act in one call, the world steps, the policy learns.

        Returns the summary of the episode that this tick ended, if any; the next episode has
        then already begun.
        """
        self.last_act = self.policy.act(self.observations, self.masks)
        result = self.env.step_arrays(self.last_act.actions)
        over = bool(result.terminated[0] or result.truncated[0])
        self.policy.record(result.rewards[0], over)
        self.total_reward += float(result.rewards[0].sum())
        if over:
            return self._end_episode("terminated" if result.terminated[0] else "truncated")
        self.observations, self.masks = self.env.observe_arrays()
        return None

    def reset(self) -> EpisodeSummary:
        """End the current episode now and start the next one of the room's seed sequence."""
        self.policy.end_episode()
        return self._end_episode("reset")

    def _end_episode(self, reason: str) -> EpisodeSummary:
        stats = self.env.stats()
        world = self.env.world
        metrics: dict[str, float | int] = {
            "return": round(float(world.agent_reward[0].mean()), 4),
            "products": int(stats["products_created"]),
            "ticks": int(world.episode_tick[0]),
        }
        metrics.update(self.policy.take_figures().summary())
        summary = EpisodeSummary(self.env.episode, self.env.tick, stats, reason, metrics)
        self.total_products += int(stats["products_created"])
        self.episodes_finished += 1
        self.finished.append(summary)
        del self.finished[:-FINISHED_KEPT]
        self.observations, self.masks = self.env.reset_arrays()
        return summary

    def snapshot(self, **meta: Any) -> dict[str, Any]:
        return self.env.snapshot(**meta)
