"""What a Fleet holds of each room: its bucket and row, its configs, seeds, observations and totals.

Kept apart from agents.fleet so that the fleet's module holds its steps and nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from agents.buckets import Bucket
from agents.policy import ActOutput
from agents.ppo import LearningConfig
from env.config import WorldConfig
from env.layout import Layout
from env.seeding import EpisodeSeeds

FINISHED_KEPT = 100
"""Finished episodes a room's Totals keep."""
RESTART_SEED_STREAM = 3
"""After its k-th training restart the policy of a room seeded s draws from SeedSequence(s,
spawn_key=(3, k)) (agents.fleet's POLICY_SEED_STREAM and TRAINING_WORLD_STREAM are 1 and 2)."""


@dataclass
class EpisodeSummary:
    """An episode that ended: why, when, and its figures."""

    episode: int
    tick: int
    stats: dict[str, float | int]
    reason: str
    """"terminated" (every agent out of energy), "truncated" (tick limit) or "reset"."""
    metrics: dict[str, float | int]
    """Training figures of the episode: mean return per agent, products, ticks, and for learning
    policies the number of updates and their mean losses, entropy, KL and return."""


@dataclass
class Totals:
    """A room's figures since it was added."""

    products: int = 0
    """Products of the finished episodes."""
    reward: float = 0.0
    """Reward of every tick, summed over agents."""
    episodes: int = 0
    """Finished episodes."""
    agent_steps: int = 0
    """Agent-steps of every world the room stepped (a learning room in turbo steps several)."""
    finished: list[EpisodeSummary] = field(default_factory=list)
    """The most recent finished episodes (at most FINISHED_KEPT)."""


@dataclass
class FleetRoom:
    """One room of a Fleet, as the fleet holds it."""

    bucket: Bucket
    row: int
    """The room's row in its bucket; its worlds are slots row*envs onwards."""
    seeds: list[EpisodeSeeds]
    """The episode seeds of each of its worlds (the first is the room's own)."""
    world: WorldConfig
    """The room's world config (its bucket's: rooms of different configs never share one)."""
    learning: LearningConfig
    """The room's learning config; learning rooms share a bucket only with rooms of the same one."""
    observations: np.ndarray = field(default_factory=lambda: np.zeros(0))
    """(envs * agents, obs): every world's observations, world by world."""
    masks: np.ndarray = field(default_factory=lambda: np.zeros(0))
    last_act: ActOutput | None = None
    """What the agents of the first world did last."""
    totals: Totals = field(default_factory=Totals)
    laid: dict[int, Layout] = field(default_factory=dict)
    """Layouts laid ahead for the next episodes of its worlds, by world."""
    restarts: int = 0
    """How many times its training was started over (Fleet.restart_training)."""

    def restart_seed(self) -> np.random.SeedSequence:
        """Count one more restart of the room's training: the seed its fresh policy draws from."""
        self.restarts += 1
        return np.random.SeedSequence(self.seeds[0].entropy, spawn_key=(RESTART_SEED_STREAM, self.restarts))

    @property
    def slot(self) -> int:
        """The slot of the world people see."""
        return self.row * self.bucket.envs

    @property
    def slots(self) -> np.ndarray:
        """The slots of all its worlds, in order."""
        return np.arange(self.slot, self.slot + self.bucket.envs)


def rows_of(rooms: list[FleetRoom]) -> np.ndarray:
    """The rooms' rows in their bucket."""
    return np.array([room.row for room in rooms], dtype=np.int64)
