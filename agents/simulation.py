"""One room of a Fleet, with the calls of a room run on its own.

``simrooms simulate`` runs one in a Fleet of its own; the server's engine puts every room in one
shared Fleet and steps all rooms that are due with one ``Fleet.step``. Like the Fleet, it is not
thread-safe: every call must come from the one thread that owns the MLX work.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from agents import checkpoint
from agents.fleet import EpisodeSummary, Fleet
from agents.policy import ActOutput
from agents.ppo import LearningConfig
from env.config import WorldConfig
from env.snapshot import SlotState


class RoomSimulation:
    """A production world stepped by one policy; episodes start again by themselves."""

    def __init__(
        self,
        num_agents: int,
        policy: str,
        seed: int | None,
        config: WorldConfig | None = None,
        learning: LearningConfig | None = None,
        fleet: Fleet | None = None,
    ) -> None:
        """A room of `config` and `learning` (None: the fleet's defaults) in `fleet`, or in a
        Fleet of its own."""
        self.fleet = fleet if fleet is not None else Fleet(config, learning)
        self.room = self.fleet.add(num_agents, policy, seed, config, learning)
        self.num_agents = num_agents
        self.policy = policy
        self.seed = self.fleet.seed(self.room)

    @property
    def config(self) -> WorldConfig:
        """The room's world config."""
        return self.fleet.configs(self.room)[0]

    @property
    def learning(self) -> LearningConfig:
        """The room's learning config (which only a learning policy uses)."""
        return self.fleet.configs(self.room)[1]

    def positions(self) -> np.ndarray:
        """(agents, 2) each agent's (x, y) now."""
        return self.fleet.positions(self.room)

    @property
    def tick(self) -> int:
        return self.fleet.tick(self.room)

    @property
    def episode(self) -> int:
        return self.fleet.episode(self.room)

    @property
    def last_act(self) -> ActOutput | None:
        return self.fleet.last_act(self.room)

    @property
    def observations(self) -> np.ndarray:
        return self.fleet.observation(self.room)[0]

    @property
    def masks(self) -> np.ndarray:
        return self.fleet.observation(self.room)[1]

    @property
    def finished(self) -> list[EpisodeSummary]:
        """The most recent finished episodes (at most agents.fleet.FINISHED_KEPT)."""
        return self.fleet.totals(self.room).finished

    @property
    def episodes_finished(self) -> int:
        return self.fleet.totals(self.room).episodes

    @property
    def total_products(self) -> int:
        """Products of the finished episodes."""
        return self.fleet.totals(self.room).products

    @property
    def total_reward(self) -> float:
        """Reward of every tick so far, summed over agents."""
        return self.fleet.totals(self.room).reward

    @property
    def envs(self) -> int:
        """How many worlds the room trains in (see Fleet.set_envs)."""
        return self.fleet.envs(self.room)

    def set_envs(self, envs: int) -> None:
        """Train in `envs` worlds from the next step on (learning rooms; see Fleet.set_envs)."""
        self.fleet.set_envs(self.room, envs)

    def step(self) -> EpisodeSummary | None:
        """Advance one tick: all agents act in one call, the world steps, the policy learns.

        Returns the summary of the episode that this tick ended, if any; the next episode has
        then already begun.
        """
        return self.fleet.step_one(self.room)

    def reset(self) -> EpisodeSummary:
        """End the current episode now and start the next one of the room's seed sequence."""
        return self.fleet.reset(self.room)

    def close(self) -> None:
        """Take the room out of its fleet, freeing its slot."""
        self.fleet.remove(self.room)

    def stats(self) -> dict[str, float | int]:
        return self.fleet.stats(self.room)

    def snapshot(self, **meta: Any) -> dict[str, Any]:
        return self.fleet.snapshot(self.room, **meta)

    def state(self) -> SlotState:
        """The room's Snapshot as arrays, to take deltas between (see env.snapshot.SlotState)."""
        return self.fleet.state(self.room)

    def state_digest_bytes(self) -> bytes:
        return self.fleet.state_digest_bytes(self.room)

    def save_checkpoint(self, path: str) -> None:
        """Write the learning policy's checkpoint (see agents.checkpoint)."""
        found = self.fleet.learner_of(self.room)
        if found is None:
            raise ValueError(f"A {self.policy} room has no weights to save.")
        checkpoint.save_room(*found, path)
