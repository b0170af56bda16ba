"""Random layouts of the production world, drawn from a seeded generator."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from env.config import CHARGER, EMPTY, FACTORY, RESOURCE, WALL, WorldConfig
from env.distance import all_pairs, is_connected, neighbour_table


@dataclass(frozen=True)
class Layout:
    """How an episode begins, laid from its seed: what `BatchedWorld.reset_slot` puts in a slot.

    Laying one costs ~3 ms, two thirds of it the distance table, and depends on nothing but the
    seed, so it can be done ahead of the reset that uses it (agents/fleet.py does, for rooms near
    the end of an episode, so that rooms whose episodes end together do not all lay theirs in one
    engine cycle)."""

    key: np.uint64
    """The seed's first word: the slot's random draws during the episode come from it, and it
    tells which seed a layout was laid from."""
    grid: np.ndarray
    """(H, W) int8 cell types."""
    starts: np.ndarray
    """(agents, 2) int16 start cells as (y, x)."""
    dist: np.ndarray
    """The grid's distance table (`env.distance.all_pairs`)."""
    neighbours: np.ndarray
    """The grid's neighbour table (`env.distance.neighbour_table`)."""


def seed_key(seed: np.random.SeedSequence) -> np.uint64:
    """The key of the layout laid from `seed`."""
    key: np.uint64 = seed.generate_state(1, np.uint64)[0]
    return key


def lay_out(config: WorldConfig, seed: np.random.SeedSequence, num_agents: int) -> Layout:
    """The layout of the episode whose seed is `seed`, for `num_agents` agents."""
    grid, starts = generate(config, np.random.Generator(np.random.PCG64(seed)), num_agents)
    passable = grid != WALL
    return Layout(seed_key(seed), grid, starts, all_pairs(passable), neighbour_table(passable))


def generate(config: WorldConfig, rng: np.random.Generator, num_agents: int) -> tuple[np.ndarray, np.ndarray]:
    """Draw a grid (H, W) of cell types and the agents' start cells (num_agents, 2) as (y, x).

    Walls are redrawn until the free cells are connected, so every target can be reached.
    """
    height, width = config.height, config.width
    while True:
        grid = np.full((height, width), EMPTY, dtype=np.int8)
        for _ in range(config.wall_segments):
            length = int(rng.integers(config.wall_length[0], config.wall_length[1] + 1))
            if rng.random() < 0.5:
                y, x = int(rng.integers(0, height)), int(rng.integers(0, width - length + 1))
                grid[y, x : x + length] = WALL
            else:
                y, x = int(rng.integers(0, height - length + 1)), int(rng.integers(0, width))
                grid[y : y + length, x] = WALL
        if is_connected(grid != WALL):
            break
    free = np.flatnonzero(grid.reshape(-1) == EMPTY)
    special = config.factories + config.chargers + config.initial_resources
    chosen = rng.choice(free, size=special + num_agents, replace=False)
    flat = grid.reshape(-1)
    flat[chosen[: config.factories]] = FACTORY
    flat[chosen[config.factories : config.factories + config.chargers]] = CHARGER
    flat[chosen[config.factories + config.chargers : special]] = RESOURCE
    starts = chosen[special:]
    positions = np.stack([starts // width, starts % width], axis=1).astype(np.int16)
    return grid, positions
