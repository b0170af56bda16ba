"""Random layouts of the production world, drawn from a seeded generator."""

from __future__ import annotations

import numpy as np

from env.config import CHARGER, EMPTY, FACTORY, RESOURCE, WALL, WorldConfig
from env.distance import is_connected


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
