"""Vectorised all-pairs BFS against a plain one-source-at-a-time BFS."""

from __future__ import annotations

from collections import deque

import numpy as np
import pytest

from env.distance import UNREACHABLE, all_pairs, is_connected


def bfs(passable: np.ndarray, start: tuple[int, int]) -> dict[tuple[int, int], int]:
    """Distances from `start` to every cell it reaches."""
    height, width = passable.shape
    seen = {start: 0}
    queue = deque([start])
    while queue:
        y, x = queue.popleft()
        for ny, nx in ((y - 1, x), (y + 1, x), (y, x - 1), (y, x + 1)):
            if 0 <= ny < height and 0 <= nx < width and passable[ny, nx] and (ny, nx) not in seen:
                seen[ny, nx] = seen[y, x] + 1
                queue.append((ny, nx))
    return seen


def random_grids(count: int) -> list[np.ndarray]:
    rng = np.random.default_rng(7)
    shapes = [
        (1, 1),
        (1, 6),
        (6, 1),
        *((int(rng.integers(2, 9)), int(rng.integers(2, 9))) for _ in range(count)),
    ]
    return [rng.random(shape) > rng.uniform(0.0, 0.6) for shape in shapes]


@pytest.mark.parametrize("passable", random_grids(40))
def test_all_pairs_matches_plain_bfs(passable: np.ndarray) -> None:
    height, width = passable.shape
    dist = all_pairs(passable)
    assert dist.shape == (height * width + 1, height * width) and dist.dtype == np.uint8
    expected = np.full_like(dist, UNREACHABLE)
    for y, x in zip(*np.nonzero(passable), strict=True):
        for (ty, tx), d in bfs(passable, (int(y), int(x))).items():
            expected[y * width + x, ty * width + tx] = d
    np.testing.assert_array_equal(dist, expected)


@pytest.mark.parametrize("passable", random_grids(40))
def test_is_connected_matches_plain_bfs(passable: np.ndarray) -> None:
    cells = list(zip(*np.nonzero(passable), strict=True))
    expected = bool(cells) and len(bfs(passable, (int(cells[0][0]), int(cells[0][1])))) == len(cells)
    assert is_connected(passable) == expected


def test_long_corridor_distances() -> None:
    # A serpentine path makes distances far longer than the grid's side.
    passable = np.ones((7, 7), dtype=bool)
    passable[1, :6] = passable[3, 1:] = passable[5, :6] = False
    dist = all_pairs(passable)
    assert dist[0, 6 * 7 + 0] == 6 + 2 + 6 + 2 + 6 + 2 + 6
