"""Counter-based random numbers: a pure function of (key, tick, stream, index).

Each room draws its per-tick randomness by hashing its episode key with the tick, so the numbers
a room sees do not depend on how many other rooms step beside it in one vectorised call.
"""

from __future__ import annotations

import numpy as np

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)
_TICK_MULT = np.uint64(0xD1B54A32D192ED03)
_STREAM_MULT = np.uint64(0xABC98388FB8FAC03)
_INDEX_MULT = np.uint64(0x8CB92BA72F3D8DD7)

# Named streams keep the uses of randomness independent of each other.
STREAM_PRIORITY = 1
STREAM_RESPAWN = 2


def _splitmix(z: np.ndarray) -> np.ndarray:
    z = z + _GOLDEN
    z = (z ^ (z >> np.uint64(30))) * _MIX1
    z = (z ^ (z >> np.uint64(27))) * _MIX2
    z = z ^ (z >> np.uint64(31))  # z stays typed as an array: the operators' stubs return Any
    return z


def uniform(keys: np.ndarray, ticks: np.ndarray, stream: int, count: int) -> np.ndarray:
    """Uniform floats in [0, 1) of shape (rooms, count), one row per (key, tick) pair."""
    keys = np.asarray(keys, dtype=np.uint64)[:, None]
    ticks = np.asarray(ticks, dtype=np.uint64)[:, None]
    index = np.arange(count, dtype=np.uint64)[None, :]
    mixed = _splitmix(keys ^ (ticks * _TICK_MULT) ^ (np.array([stream], dtype=np.uint64) * _STREAM_MULT))
    bits = _splitmix(mixed ^ (index * _INDEX_MULT))
    return (bits >> np.uint64(11)).astype(np.float64) * (1.0 / 9007199254740992.0)
