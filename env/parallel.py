"""One room's production world behind an API shaped like PettingZoo's parallel API."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from env import snapshot
from env.config import ACTION_NAMES, NUM_ACTIONS, WorldConfig
from env.core import BatchedWorld, StepResult, observation_size
from env.layout import lay_out
from env.seeding import EpisodeSeeds

_ONLY_SLOT = np.zeros(1, dtype=np.int64)


@dataclass(frozen=True)
class BoxSpace:
    """A fixed-shape real-valued space, like ``gymnasium.spaces.Box``."""

    shape: tuple[int, ...]
    low: float
    high: float
    dtype: type = np.float32

    def contains(self, value: np.ndarray) -> bool:
        array = np.asarray(value)
        return array.shape == self.shape and bool(np.all((array >= self.low) & (array <= self.high)))


@dataclass(frozen=True)
class DiscreteSpace:
    """Actions 0..n-1, like ``gymnasium.spaces.Discrete``."""

    n: int

    def contains(self, value: int) -> bool:
        return isinstance(value, (int, np.integer)) and 0 <= int(value) < self.n


class ProductionEnv:
    """A production world with `num_agents` agents, deterministic from its seed.

    ``reset(seed)`` starts an episode (a seed re-seeds the room's seed sequence; without one the
    next episode seed of the sequence is used) and ``step(actions)`` advances one tick. The
    observation of each agent is ``{"observation": float32 vector, "action_mask": int8 vector}``.
    ``tick`` counts every tick since the env was made and never goes back; ``episode`` counts
    resets from 1.
    """

    metadata: ClassVar[dict[str, Any]] = {"name": "simrooms_production_v0", "is_parallelizable": True}

    def __init__(self, num_agents: int = 4, config: WorldConfig | None = None) -> None:
        self.config = config or WorldConfig()
        self.world = BatchedWorld(self.config, slots=1, max_agents=num_agents)
        self.possible_agents = [f"agent_{i}" for i in range(num_agents)]
        self.agents: list[str] = []
        self._observation_space = BoxSpace((observation_size(self.config),), -1.0, 1.0)
        self._action_space = DiscreteSpace(NUM_ACTIONS)
        self.seeds: EpisodeSeeds | None = None

    @property
    def seed_entropy(self) -> int:
        """The entropy the episode seeds come from (drawn from the OS when no seed was given)."""
        if self.seeds is None:
            raise RuntimeError("The env has not been reset yet.")
        return self.seeds.entropy

    @property
    def num_agents(self) -> int:
        return len(self.possible_agents)

    @property
    def tick(self) -> int:
        return int(self.world.total_tick[0])

    @property
    def episode(self) -> int:
        return int(self.world.episode[0])

    def observation_space(self, agent: str) -> BoxSpace:
        return self._observation_space

    def action_space(self, agent: str) -> DiscreteSpace:
        return self._action_space

    # ---------------------------------------------------------------- arrays

    def reset_arrays(self, seed: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Start an episode; (agents, obs) float32 observations and (agents, actions) masks."""
        if seed is not None or self.seeds is None:
            self.seeds = EpisodeSeeds(seed)
        self.world.reset_slot(0, lay_out(self.world.config, self.seeds.next(), self.num_agents), new_episode=True)
        self.agents = list(self.possible_agents)
        return self.observe_arrays()

    def step_arrays(self, actions: np.ndarray) -> StepResult:
        """Advance one tick with (agents,) int actions; the arrays form of ``step``."""
        return self.world.step(_ONLY_SLOT, np.asarray(actions).reshape(1, -1))

    def observe_arrays(self) -> tuple[np.ndarray, np.ndarray]:
        observations, masks = self.world.observe(_ONLY_SLOT)
        return observations[0], masks[0]

    # ------------------------------------------------------- PettingZoo shape

    def reset(
        self, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[dict[str, dict[str, np.ndarray]], dict[str, dict[str, Any]]]:
        observations, masks = self.reset_arrays(seed)
        return self._per_agent(observations, masks), {a: {} for a in self.agents}

    def step(
        self, actions: dict[str, int]
    ) -> tuple[
        dict[str, dict[str, np.ndarray]],
        dict[str, float],
        dict[str, bool],
        dict[str, bool],
        dict[str, dict[str, Any]],
    ]:
        if not self.agents:
            raise RuntimeError("The episode has ended: call reset() before step().")
        unknown = set(actions) - set(self.agents)
        if unknown:
            raise KeyError(f"Agent {sorted(unknown)[0]!r} is not in this episode.")
        vector = np.array([actions.get(agent, 0) for agent in self.possible_agents], dtype=np.int64)
        result = self.step_arrays(vector)
        observations, masks = self.observe_arrays()
        names = self.agents
        rewards = {a: float(result.rewards[0, i]) for i, a in enumerate(names)}
        terminations = {a: bool(result.terminated[0]) for a in names}
        truncations = {a: bool(result.truncated[0]) for a in names}
        infos = {a: {"action": ACTION_NAMES[result.actions[0, i]]} for i, a in enumerate(names)}
        per_agent = self._per_agent(observations, masks)
        if result.terminated[0] or result.truncated[0]:
            self.agents = []
        return per_agent, rewards, terminations, truncations, infos

    def _per_agent(self, observations: np.ndarray, masks: np.ndarray) -> dict[str, dict[str, np.ndarray]]:
        return {
            agent: {"observation": observations[i], "action_mask": masks[i].astype(np.int8)}
            for i, agent in enumerate(self.possible_agents)
        }

    # ------------------------------------------------------------- snapshots

    def stats(self) -> dict[str, float | int]:
        """This episode's figures (see env.snapshot.stats)."""
        return snapshot.stats(self.world, 0)

    def snapshot(self, *, room: str = "", running: bool = False, speed: float | str = 1.0) -> dict[str, Any]:
        """The JSON-safe Snapshot of the acceptance interface."""
        return snapshot.snapshot(self.world, 0, room=room, running=running, speed=speed)

    def state_digest_bytes(self) -> bytes:
        """Every part of the world's state, for hashing: equal bytes mean equal states."""
        return snapshot.state_digest_bytes(self.world, 0)
