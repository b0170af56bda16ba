"""One room's production world behind an API shaped like PettingZoo's parallel API."""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
from gymnasium import spaces

from env import snapshot
from env.config import ACTION_NAMES, NUM_ACTIONS, WorldConfig
from env.core import BatchedWorld, StepResult, observation_size
from env.layout import lay_out
from env.seeding import EpisodeSeeds

_ONLY_SLOT = np.zeros(1, dtype=np.int64)

SPACES_SEED_STREAM = 3
"""The spaces of an env seeded with s sample from SeedSequence(s, spawn_key=(3,)): a stream of
its own, apart from the episodes' (0, env.seeding) and those agents.fleet takes of a room's seed
(1 and 2)."""


def observation_space(config: WorldConfig) -> spaces.Dict:
    """An agent's observation: the float32 vector and the 0/1 int8 mask of the actions it may take
    (PettingZoo's convention for action masks)."""
    return spaces.Dict(
        {
            "observation": spaces.Box(-1.0, 1.0, (observation_size(config),), np.float32),
            "action_mask": spaces.Box(0, 1, (NUM_ACTIONS,), np.int8),
        }
    )


class ProductionEnv:
    """A production world with `num_agents` agents, deterministic from its seed.

    ``reset(seed)`` starts an episode (a seed re-seeds the room's seed sequence; without one the
    next episode seed of the sequence is used) and ``step(actions)`` advances one tick. The
    observation of each agent is ``{"observation": float32 vector, "action_mask": int8 vector}``,
    in its Gymnasium ``observation_space``; its actions are ``Discrete`` and its spaces are seeded
    whenever the env is (a reset with a seed, or the first). ``tick`` counts every tick since the env was made and never goes back; ``episode`` counts
    resets from 1.
    """

    metadata: ClassVar[dict[str, Any]] = {"name": "simrooms_production_v0", "is_parallelizable": True}

    def __init__(self, num_agents: int = 4, config: WorldConfig | None = None) -> None:
        self.config = config or WorldConfig()
        self.world = BatchedWorld(self.config, slots=1, max_agents=num_agents)
        self.possible_agents = [f"agent_{i}" for i in range(num_agents)]
        self.agents: list[str] = []
        # One space per agent, as PettingZoo keeps them: each samples from a stream of its own.
        self.observation_spaces = {agent: observation_space(self.config) for agent in self.possible_agents}
        self.action_spaces = {agent: spaces.Discrete(NUM_ACTIONS) for agent in self.possible_agents}
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

    def observation_space(self, agent: str) -> spaces.Dict:
        return self.observation_spaces[agent]

    def action_space(self, agent: str) -> spaces.Discrete:
        return self.action_spaces[agent]

    # ---------------------------------------------------------------- arrays

    def reset_arrays(self, seed: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Start an episode; (agents, obs) float32 observations and (agents, actions) masks."""
        if seed is not None or self.seeds is None:
            self.seeds = EpisodeSeeds(seed)
            self._seed_spaces(self.seeds.spawn(SPACES_SEED_STREAM))
        self.world.reset_slot(
            0, lay_out(self.world.config, self.seeds.next(), self.num_agents), new_episode=True
        )
        self.agents = list(self.possible_agents)
        return self.observe_arrays()

    def step_arrays(self, actions: np.ndarray) -> StepResult:
        """Advance one tick with (agents,) int actions; the arrays form of ``step``."""
        return self.world.step(_ONLY_SLOT, np.asarray(actions).reshape(1, -1))

    def _seed_spaces(self, sequence: np.random.SeedSequence) -> None:
        """Seed every agent's spaces from `sequence`, so that what they sample follows the env's seed."""
        seeds = iter(sequence.generate_state(2 * self.num_agents).tolist())
        for agent in self.possible_agents:
            self.observation_spaces[agent].seed(next(seeds))
            self.action_spaces[agent].seed(next(seeds))

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
