"""Where a room's agents sit among the stacked weight groups of a learner (pure numpy).

A room's agents are listed world by world: agent `a` of world `e` is the room's agent
`e * num_agents + a`. With a shared network a room is one group holding all its agents; with
per-agent networks it is `num_agents` groups, group `a` holding agent `a` of every world.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class GroupLayout:
    """The weight groups of rooms of `num_agents` agents in each of `envs` worlds."""

    num_agents: int
    envs: int
    shared: bool
    """One network for all agents of a room; else one per agent."""

    @property
    def groups(self) -> int:
        """Weight groups per room."""
        return 1 if self.shared else self.num_agents

    @property
    def agents(self) -> int:
        """Agents a room acts for each tick, over all its worlds."""
        return self.envs * self.num_agents

    def rows(self, rooms: np.ndarray) -> np.ndarray:
        """Group rows of `rooms`, in order: room r holds rows r * groups to (r + 1) * groups - 1."""
        return (rooms[:, None] * self.groups + np.arange(self.groups)).reshape(-1)

    def grouped(self, per_room: np.ndarray) -> np.ndarray:
        """(rooms, agents, ...) -> (groups, samples, ...)."""
        if self.shared:
            return per_room
        rooms, tail = per_room.shape[0], per_room.shape[2:]
        by_world = per_room.reshape(rooms, self.envs, self.num_agents, *tail)
        return np.swapaxes(by_world, 1, 2).reshape(rooms * self.num_agents, self.envs, *tail)

    def ungrouped(self, grouped: np.ndarray, rooms: int) -> np.ndarray:
        """The inverse of `grouped`: (groups, samples, ...) -> (rooms, agents, ...)."""
        tail = grouped.shape[2:]
        if self.shared:
            return grouped.reshape(rooms, self.agents, *tail)
        by_agent = grouped.reshape(rooms, self.num_agents, self.envs, *tail)
        return np.swapaxes(by_agent, 1, 2).reshape(rooms, self.agents, *tail)

    def by_group(self, per_tick: np.ndarray) -> np.ndarray:
        """(rooms, ticks, agents, ...) -> (groups, samples, ...): a rollout as each group's samples."""
        rooms, ticks, agents = per_tick.shape[:3]
        tail = per_tick.shape[3:]
        if self.shared:
            return per_tick.reshape(rooms, ticks * agents, *tail)
        by_world = per_tick.reshape(rooms, ticks, self.envs, self.num_agents, *tail)
        return np.moveaxis(by_world, 3, 1).reshape(rooms * self.num_agents, ticks * self.envs, *tail)
