"""A world slot's state taken out of a BatchedWorld and put into another (pure numpy, no I/O).

Room checkpoints (agents.room_state) carry their worlds this way. The tables derived from the
grid's walls (distances, neighbours, nearest-target fields) are left out, a third of a slot's
bytes at 20x20: walls stay put within an episode and the fields are redrawn from the grid on every
tick that changes it, so laying the grid again (`BatchedWorld.lay_grid`) gives them back equal.
"""

from __future__ import annotations

import numpy as np

from env.core import LOG_LENGTH, BatchedWorld

DERIVED = ("dist", "neighbours", "fields")
"""Slot arrays recomputed from the grid when a slot is put back."""
KEPT = tuple(name for name in BatchedWorld.SLOT_ARRAYS if name not in DERIVED)
"""Slot arrays a slot's state holds."""

LogEntry = tuple[int, int, str]


def take_slot(world: BatchedWorld, slot: int) -> tuple[dict[str, np.ndarray], list[LogEntry]]:
    """Copies of `slot`'s arrays (by name, see KEPT) and its action log, oldest entry first."""
    arrays = {name: np.array(getattr(world, name)[slot]) for name in KEPT}
    return arrays, list(world.log[slot])


def put_slot(world: BatchedWorld, slot: int, arrays: dict[str, np.ndarray], log: list[LogEntry]) -> None:
    """Make `slot` hold the state `take_slot` took (from a world of the same config and agent
    count); a ValueError names the first array that is missing or of another shape."""
    for name in KEPT:
        target = getattr(world, name)
        given = arrays.get(name)
        if given is None or given.shape != target.shape[1:]:
            shape = None if given is None else given.shape
            raise ValueError(f"Slot array {name!r} has shape {shape}, not {target.shape[1:]}.")
    for name in KEPT:
        getattr(world, name)[slot] = arrays[name]
    world.lay_grid(slot, world.grid[slot].copy())
    world.log[slot].clear()
    world.log[slot].extend((int(tick), int(agent), str(event)) for tick, agent, event in log[-LOG_LENGTH:])
