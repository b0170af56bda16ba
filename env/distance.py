"""Shortest-path distances on a grid, computed once per layout with vectorised BFS."""

from __future__ import annotations

import numpy as np

UNREACHABLE = 255
"""Distance given to walls, cells off the grid and cells that cannot be reached."""


def all_pairs(passable: np.ndarray) -> np.ndarray:
    """Distances between every pair of cells of an (H, W) grid, moving up/down/left/right.

    Returns a uint8 array of shape (H*W + 1, H*W): row ``y*W + x`` holds the distance from that
    cell to every cell; the extra last row is all ``UNREACHABLE`` so that a neighbour off the grid
    can be looked up as index ``H*W``. Distances of 255 or more read as ``UNREACHABLE``.
    """
    height, width = passable.shape
    cells = height * width
    reached = np.zeros((cells, height, width), dtype=bool)
    flat = passable.reshape(-1)
    sources = np.flatnonzero(flat)
    reached.reshape(cells, cells)[sources, sources] = True
    dist = np.full((cells + 1, cells), UNREACHABLE, dtype=np.uint8)
    dist[sources, sources] = 0
    frontier = reached.copy()
    grow = np.empty_like(reached)
    for step in range(1, UNREACHABLE):
        grow[:] = False
        grow[:, 1:, :] |= frontier[:, :-1, :]
        grow[:, :-1, :] |= frontier[:, 1:, :]
        grow[:, :, 1:] |= frontier[:, :, :-1]
        grow[:, :, :-1] |= frontier[:, :, 1:]
        grow &= passable
        grow &= ~reached
        if not grow.any():
            break
        reached |= grow
        dist[:cells][grow.reshape(cells, cells)] = step
        frontier, grow = grow, frontier
    return dist


def is_connected(passable: np.ndarray) -> bool:
    """Whether every passable cell can reach every other one."""
    start = np.argwhere(passable)
    if len(start) == 0:
        return False
    reached = np.zeros_like(passable)
    reached[tuple(start[0])] = True
    while True:
        grow = reached.copy()
        grow[1:, :] |= reached[:-1, :]
        grow[:-1, :] |= reached[1:, :]
        grow[:, 1:] |= reached[:, :-1]
        grow[:, :-1] |= reached[:, 1:]
        grow &= passable
        if (grow == reached).all():
            return bool((reached == passable).all())
        reached = grow
