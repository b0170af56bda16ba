"""A slot's state as the acceptance interface's JSON-safe Snapshot, its stats, and its digest."""

from __future__ import annotations

from typing import Any

import numpy as np

from env.config import ACTION_NAMES, CELL_NAMES
from env.core import BatchedWorld

LEGEND = {str(k): v for k, v in CELL_NAMES.items()}


def stats(world: BatchedWorld, slot: int) -> dict[str, float | int]:
    """The slot's episode figures. Efficiency is products per 100 units of energy spent."""
    spent = int(world.energy_spent[slot])
    products = int(world.products[slot])
    return {
        "products_created": products,
        "efficiency": round(100.0 * products / spent, 4) if spent else 0.0,
        "total_reward": round(float(world.episode_reward[slot]), 4),
    }


def snapshot(
    world: BatchedWorld, slot: int, *, room: str = "", running: bool = False, speed: float | str = 1.0
) -> dict[str, Any]:
    """The JSON-safe Snapshot of the acceptance interface (only lists, dicts, str, int, float)."""
    agents = [
        {
            "id": i,
            "x": int(world.pos[slot, i, 1]),
            "y": int(world.pos[slot, i, 0]),
            "energy": int(world.energy[slot, i]),
            "carrying": int(world.carrying[slot, i]),
            "reward": round(float(world.agent_reward[slot, i]), 3),
            "action": ACTION_NAMES[world.last_action[slot, i]],
        }
        for i in np.flatnonzero(world.active[slot]).tolist()
    ]
    return {
        "room": room,
        "tick": int(world.total_tick[slot]),
        "episode": int(world.episode[slot]),
        "running": running,
        "speed": speed,
        "width": world.config.width,
        "height": world.config.height,
        "grid": world.grid[slot].tolist(),
        "legend": dict(LEGEND),
        "agents": agents,
        "stats": stats(world, slot),
        "log": [{"tick": t, "agent": a, "action": name} for t, a, name in world.log[slot]],
    }


def state_digest_bytes(world: BatchedWorld, slot: int) -> bytes:
    """Every part of the slot's state, for hashing: equal bytes mean equal states."""
    parts: list[np.ndarray] = [
        world.grid, world.pos, world.energy, world.carrying, world.active, world.last_action,
        world.agent_reward, world.key, world.episode_tick, world.total_tick, world.episode,
        world.products, world.energy_spent, world.episode_reward, world.spawned, world.consumed,
    ]  # fmt: skip
    log = repr(list(world.log[slot])).encode()
    return b"".join(np.ascontiguousarray(part[slot]).tobytes() for part in parts) + log
