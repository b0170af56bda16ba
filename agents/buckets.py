"""Buckets: the rooms of a Fleet that share one agent count, one policy and one number of worlds.

A bucket's rooms share a BatchedWorld (one slot per world of each room) and act in one call.
A learning bucket keeps every room's weights in one StackedLearner (one row each) and updates
them as the step's `Updates` allow; a scripted bucket holds a heuristic or random policy per room,
which neither learns nor has more than one world. Fleet drives both through `Bucket`.
"""

from __future__ import annotations

from typing import Any, Protocol

import numpy as np

from agents.learner import StackedLearner
from agents.policy import ActOutput, EpisodeFigures
from agents.ppo import LearningConfig
from agents.room_state import learner_room_state, restore_learner_room
from agents.scripted import HeuristicPolicy, RandomPolicy
from agents.updates import Updates
from env.config import WorldConfig
from env.core import BatchedWorld

SCRIPTED = ("heuristic", "random")
"""The policies of agents.policy.POLICIES that do not learn."""


class Bucket(Protocol):
    """Rooms of one agent count, one policy and one number of worlds, by row. A room's worlds
    are slots `row * envs` to `(row + 1) * envs - 1` of `world`."""

    num_agents: int
    policy: str
    envs: int
    world: BatchedWorld

    def add(self, seed: np.random.SeedSequence) -> int:
        """A row for a new room whose policy draws from `seed`."""
        ...

    def take_over(self, source: Bucket, row: int) -> int:
        """A row for the room that moves here from `row` of `source`, a bucket of the same kind;
        it goes on with its policy's state."""
        ...

    def remove(self, row: int) -> None:
        """Free `row` for a later room."""
        ...

    def worlds_for(self, envs: int) -> int:
        """How many worlds a room of this policy trains in when asked for `envs`."""
        ...

    def update_due(
        self, ids: list[int], rows: np.ndarray, observations: list[np.ndarray], updates: Updates
    ) -> list[int]:
        """Update the rooms `ids` (at `rows`, now seeing `observations`) whose policies are due,
        as `updates` allows; the ids that may step now."""
        ...

    def act(
        self, rows: np.ndarray, observations: np.ndarray, masks: np.ndarray
    ) -> tuple[np.ndarray, list[ActOutput]]:
        """Actions (rooms, envs * agents) for (rooms, envs * agents, ...) observations and
        masks, and what each room's agents of its first world did."""
        ...

    def record(self, rows: np.ndarray, rewards: np.ndarray, episode_over: np.ndarray) -> None:
        """The (rooms, envs * agents) rewards of the last actions, and the (rooms, envs) worlds
        whose episodes ended there."""
        ...

    def end_episode(self, row: int) -> None:
        """The episode of the room's first world was cut short (a reset)."""
        ...

    def take_figures(self, row: int) -> EpisodeFigures:
        """The room's training figures since the last call."""
        ...

    def digest(self, row: int) -> bytes:
        """The room's policy state as bytes, for hashing a run's final state."""
        ...

    def learner_of(self, row: int) -> tuple[StackedLearner, int] | None:
        """The learner holding the room's weights and its row there, if it has weights."""
        ...

    def rollout_ticks(self, row: int) -> int:
        """Ticks the room has gathered since its last update (0 for rooms that do not learn)."""
        ...

    def room_state(self, row: int) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        """The room's policy state as JSON-safe facts and numpy arrays (agents.room_state)."""
        ...

    def restore_room(self, facts: dict[str, Any], arrays: dict[str, np.ndarray]) -> int:
        """A row for a room that goes on from the policy state `room_state` gave."""
        ...


def make_bucket(
    num_agents: int, policy: str, envs: int, world: WorldConfig, learning: LearningConfig
) -> Bucket:
    """An empty bucket for rooms of `policy` (one of agents.policy.POLICIES)."""
    if policy == "learning":
        return LearningBucket(num_agents, envs, world, learning)
    return ScriptedBucket(num_agents, policy, world)


class LearningBucket:
    """Learning rooms: rows of one StackedLearner, whose rows are the bucket's rows."""

    policy = "learning"

    def __init__(self, num_agents: int, envs: int, world: WorldConfig, learning: LearningConfig) -> None:
        self.num_agents = num_agents
        self.envs = envs
        self.world = BatchedWorld(world, slots=envs, max_agents=num_agents)
        self.learner = StackedLearner(num_agents, world, learning, envs=envs)

    def add(self, seed: np.random.SeedSequence) -> int:
        return self._fit_world(self.learner.add(seed))

    def take_over(self, source: Bucket, row: int) -> int:
        if not isinstance(source, LearningBucket):
            raise TypeError(f"A learning room cannot move here from a bucket of {source.policy} rooms.")
        return self._fit_world(self.learner.take_over(source.learner, row))

    def _fit_world(self, row: int) -> int:
        """`row`, once the world has grown with the learner, so that a room's learner row names
        its slots."""
        self.world.grow(self.learner.capacity * self.envs)
        return row

    def remove(self, row: int) -> None:
        self.learner.remove(row)

    def worlds_for(self, envs: int) -> int:
        return envs

    def update_due(
        self, ids: list[int], rows: np.ndarray, observations: list[np.ndarray], updates: Updates
    ) -> list[int]:
        return updates.make(self.learner, ids, rows, observations)

    def act(
        self, rows: np.ndarray, observations: np.ndarray, masks: np.ndarray
    ) -> tuple[np.ndarray, list[ActOutput]]:
        actions, probabilities, values = self.learner.act(rows, observations, masks)
        n = self.num_agents
        first = [ActOutput(actions[i, :n], probabilities[i, :n], values[i, :n]) for i in range(len(rows))]
        return actions, first

    def record(self, rows: np.ndarray, rewards: np.ndarray, episode_over: np.ndarray) -> None:
        self.learner.record(rows, rewards, episode_over)

    def end_episode(self, row: int) -> None:
        self.learner.end_episode(row)

    def take_figures(self, row: int) -> EpisodeFigures:
        return self.learner.take_figures(row)

    def digest(self, row: int) -> bytes:
        return self.learner.digest(row)

    def learner_of(self, row: int) -> tuple[StackedLearner, int] | None:
        return self.learner, row

    def rollout_ticks(self, row: int) -> int:
        return int(self.learner.filled[row])

    def room_state(self, row: int) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        return learner_room_state(self.learner, row)

    def restore_room(self, facts: dict[str, Any], arrays: dict[str, np.ndarray]) -> int:
        return self._fit_world(restore_learner_room(self.learner, facts, arrays))


class ScriptedBucket:
    """Rooms of a policy that does not learn (heuristic or random), one world each."""

    envs = 1

    def __init__(self, num_agents: int, policy: str, world: WorldConfig) -> None:
        if policy not in SCRIPTED:
            raise ValueError(f"Policy {policy!r} is not one of the scripted policies {', '.join(SCRIPTED)}.")
        self.num_agents = num_agents
        self.policy = policy
        self.world_config = world
        self.world = BatchedWorld(world, slots=1, max_agents=num_agents)
        self.policies: list[HeuristicPolicy | RandomPolicy | None] = [None]
        """Each row's policy; None for free rows."""
        self._free = [0]

    def add(self, seed: np.random.SeedSequence) -> int:
        row = self._free_row()
        if self.policy == "heuristic":
            self.policies[row] = HeuristicPolicy(seed, self.world_config)
        else:
            self.policies[row] = RandomPolicy(seed)
        return row

    def take_over(self, source: Bucket, row: int) -> int:
        raise ValueError(f"A {self.policy} room does not learn, so it keeps its one world.")

    def _free_row(self) -> int:
        if not self._free:
            slots = self.world.slots
            self._free = list(range(2 * slots - 1, slots - 1, -1))
            self.world.grow(2 * slots)
            self.policies.extend([None] * slots)
        return self._free.pop()

    def _policy(self, row: int) -> HeuristicPolicy | RandomPolicy:
        policy = self.policies[row]
        if policy is None:
            raise KeyError(f"Row {row} holds no room.")
        return policy

    def remove(self, row: int) -> None:
        self.policies[row] = None
        self._free.append(row)

    def worlds_for(self, envs: int) -> int:
        return 1

    def update_due(
        self, ids: list[int], rows: np.ndarray, observations: list[np.ndarray], updates: Updates
    ) -> list[int]:
        return ids

    def act(
        self, rows: np.ndarray, observations: np.ndarray, masks: np.ndarray
    ) -> tuple[np.ndarray, list[ActOutput]]:
        outputs = [
            self._policy(row).act(room_observations, room_masks)
            for row, room_observations, room_masks in zip(rows.tolist(), observations, masks, strict=True)
        ]
        return np.stack([output.actions for output in outputs]), outputs

    def record(self, rows: np.ndarray, rewards: np.ndarray, episode_over: np.ndarray) -> None:
        """Nothing to learn from."""

    def end_episode(self, row: int) -> None:
        """Nothing to learn from."""

    def take_figures(self, row: int) -> EpisodeFigures:
        return EpisodeFigures()

    def digest(self, row: int) -> bytes:
        return b""

    def learner_of(self, row: int) -> tuple[StackedLearner, int] | None:
        return None

    def rollout_ticks(self, row: int) -> int:
        return 0

    def room_state(self, row: int) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        return {"rng_state": self._policy(row).rng_state()}, {}

    def restore_room(self, facts: dict[str, Any], arrays: dict[str, np.ndarray]) -> int:
        row = self.add(np.random.SeedSequence(0))
        try:
            self._policy(row).set_rng_state(facts["rng_state"])
        except (KeyError, TypeError, ValueError) as error:
            self.remove(row)
            raise ValueError(
                f"The room's random generator state does not fit a {self.policy} room: {error}"
            ) from None
        return row
