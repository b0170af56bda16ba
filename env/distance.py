"""Shortest-path distances on a grid, computed once per layout with vectorised BFS."""

from __future__ import annotations

import numpy as np

from env.config import MOVE_DELTAS

UNREACHABLE = 255
"""Distance given to walls, cells off the grid and cells that cannot be reached."""


_STEPS = np.array(MOVE_DELTAS[:5], dtype=np.int64)
"""Stay, up, down, left, right: the (dy, dx) of the first five actions."""


def neighbour_table(passable: np.ndarray) -> np.ndarray:
    """(H*W, 5): each cell, then its up, down, left and right neighbour; H*W (the sentinel)
    where the cell or the neighbour is impassable or off the grid."""
    h, w = passable.shape
    yx = np.stack(np.divmod(np.arange(h * w), w), axis=1)[:, None, :] + _STEPS
    y, x = yx[..., 0], yx[..., 1]
    inside = (y >= 0) & (y < h) & (x >= 0) & (x < w)
    cells = np.where(inside, y * w + x, 0)
    flat = passable.reshape(-1)
    return np.where(inside & flat[cells] & flat[:, None], cells, h * w)


def all_pairs(passable: np.ndarray) -> np.ndarray:
    """Distances between every pair of cells of an (H, W) grid, moving up/down/left/right.

    Returns a uint8 array of shape (H*W + 1, H*W): row ``y*W + x`` holds the distance from that
    cell to every cell; the extra last row is all ``UNREACHABLE`` so that a neighbour off the grid
    can be looked up as index ``H*W``. Distances of 255 or more read as ``UNREACHABLE``.

    A breadth-first search from every cell at once: each cell keeps the set of sources that have
    reached it as a bitset (64 to a word), grown each round from its neighbours' sets, and every
    round a pair stays apart adds one to its distance. A cell's up and down neighbours are W rows
    away and its left and right ones 1, so a round is four shifted ORs of the whole table (walls
    hold no sources, so they pass nothing on; only left and right need a mask, at row ends).
    """
    h, w = passable.shape
    cells = h * w
    open_ = passable.reshape(-1)
    words = (cells + 63) // 64
    start = np.zeros((cells, 64 * words), dtype=bool)
    sources = np.flatnonzero(open_)
    start[sources, sources] = True
    reached = np.packbits(start, axis=1, bitorder="little").view(np.uint64)
    x = np.arange(cells) % w
    everyone, nobody = ~np.uint64(0), np.uint64(0)
    has_left = np.where(x > 0, everyone, nobody)[:, None]
    has_right = np.where(x < w - 1, everyone, nobody)[:, None]
    walls = ~open_
    apart = np.zeros((cells, cells), dtype=np.uint8)
    grown = np.empty_like(reached)
    for _ in range(UNREACHABLE - 1):
        np.copyto(grown, reached)
        grown[w:] |= reached[:-w]
        grown[:-w] |= reached[w:]
        grown[1:] |= reached[:-1] & has_left[1:]
        grown[:-1] |= reached[1:] & has_right[:-1]
        grown[walls] = 0
        if np.array_equal(grown, reached):
            break
        apart += np.unpackbits((~reached).view(np.uint8), axis=1, count=cells, bitorder="little")
        reached, grown = grown, reached
    joined = np.unpackbits(reached.view(np.uint8), axis=1, count=cells, bitorder="little").astype(bool)
    dist = np.full((cells + 1, cells), UNREACHABLE, dtype=np.uint8)
    dist[:cells] = np.where(joined, apart, UNREACHABLE).T
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
