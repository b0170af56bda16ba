"""A slot's state as the acceptance interface's JSON-safe Snapshot, its stats, and its digest.

`SlotState` is a slot's Snapshot held as arrays: cheap to take every tick, and `changes` gives
the delta between two of them straight from the arrays, equal to `env.delta.diff` of their
Snapshots (a test holds them equal) at a fraction of its cost. A server keeps the state it last
sent a room's members and sends them the changes since. Both take the wire form from env.wire.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from env.config import CELL_NAMES
from env.core import BatchedWorld
from env.delta import Delta, stats_changes
from env.wire import (
    ACTION_CODES,
    ACTIONS,
    AGENT_FIELDS,
    AGENTS,
    CELLS,
    EFFICIENCY_DIGITS,
    EVERY_FIELD,
    GOALS,
    GONE,
    GRID,
    LOG,
    LOG_LEN,
    REWARD_AT,
    REWARD_DIGITS,
    REWARD_SCALE,
    STATS,
    STATS_FIELDS,
    agent_row,
)

LEGEND = {str(k): v for k, v in CELL_NAMES.items()}
AGENT_COLUMNS = tuple(field for field in AGENT_FIELDS if field != "reward")
"""The columns of `SlotState.agents`: a Snapshot agent's fields in their order, the action as its
code, but for the reward, a float held apart in `SlotState.rewards`."""


def _rounded(values: Any, digits: int) -> Any:
    """`values` rounded as the Snapshot shows them, with no negative zero (JSON tells them apart)."""
    return np.round(values, digits) + 0.0


@dataclass(frozen=True)
class SlotState:
    """What a slot's Snapshot shows, as arrays (the room's name, speed and running aside)."""

    tick: int
    episode: int
    width: int
    height: int
    grid: np.ndarray
    """(H * W,) int8 cells, row by row."""
    agents: np.ndarray
    """(active agents, AGENT_COLUMNS) int64 rows: id, x, y, energy, carrying, action code, goal code."""
    rewards: np.ndarray
    """(active agents,) float64 reward of each agent this episode, rounded to REWARD_DIGITS."""
    stats: tuple[int, float, float]
    """The stats in STATS_FIELDS order: products_created, efficiency, total_reward."""
    log: tuple[tuple[int, int, str], ...]
    logged: int
    """Entries ever appended to the log: how far `log` has come."""

    def snapshot(self, room: str = "", running: bool = False, speed: float | str = 1.0) -> dict[str, Any]:
        """The JSON-safe Snapshot of the acceptance interface (only lists, dicts, str, int, float)."""
        # Written out rather than zipped from env.wire's AGENT_FIELDS and LOG_FIELDS: twice as fast,
        # and tests/env/test_wire.py holds the orders equal.
        agents = [
            {"id": i, "x": x, "y": y, "energy": energy, "carrying": carrying, "reward": reward, "action": ACTIONS[code], "goal": GOALS[goal]}
            for (i, x, y, energy, carrying, code, goal), reward in zip(self.agents.tolist(), self.rewards.tolist(), strict=True)
        ]  # fmt: skip
        return {
            "room": room,
            "tick": self.tick,
            "episode": self.episode,
            "running": running,
            "speed": speed,
            "width": self.width,
            "height": self.height,
            "grid": self.grid.reshape(self.height, self.width).tolist(),
            "legend": dict(LEGEND),
            "agents": agents,
            "stats": dict(zip(STATS_FIELDS, self.stats, strict=True)),
            "log": [{"tick": t, "agent": a, "action": name} for t, a, name in self.log],
        }

    def changes(self, since: SlotState) -> Delta:
        """The delta from the Snapshot of `since` to this one's (`env.delta`'s form), for equal
        room, running and speed; equal to ``diff(since.snapshot(...), self.snapshot(...))``."""
        return changes_many([self], [since])[0]

    def _alike(self, since: SlotState) -> bool:
        """Same grid size and the same agents: grid and agents compare cell by cell, row by row."""
        return (
            (self.width, self.height) == (since.width, since.height)
            and self.agents.shape == since.agents.shape
            and bool((self.agents[:, 0] == since.agents[:, 0]).all())
        )

    def _other_changes(self, since: SlotState, delta: Delta) -> None:
        """The grid and agents part of the delta from a `since` of another size or agents."""
        if (self.width, self.height) != (since.width, since.height):
            delta["width"], delta["height"] = self.width, self.height
            delta[GRID] = self.grid.reshape(self.height, self.width).tolist()
        else:
            changed = np.flatnonzero(self.grid != since.grid)
            if len(changed):
                delta[CELLS] = np.column_stack([changed, self.grid[changed]]).ravel().tolist()
        known = {i: row for row, i in enumerate(since.agents[:, 0].tolist())}
        values, before = _wire_values(self.agents, self.rewards), _wire_values(since.agents, since.rewards)
        rows: list[Any] = []
        for row, i in enumerate(self.agents[:, 0].tolist()):
            if i in known:
                mask = int(_mask(values[row] != before[known[i]]))
                values[row, REWARD_AT] -= before[known[i], REWARD_AT]  # rows carry the reward's change
            else:
                mask = EVERY_FIELD  # and the reward's change is from 0: its whole units
            if mask:
                rows += agent_row(i, values[row].tolist(), mask)
        if rows:
            delta[AGENTS] = rows
        gone = sorted(set(known) - set(self.agents[:, 0].tolist()))
        if gone:
            delta[GONE] = gone


def _wire_values(agents: np.ndarray, rewards: np.ndarray) -> np.ndarray:
    """(..., ROW_FIELDS) the ROW_FIELDS of agents as delta rows carry them, but for the reward:
    its whole thousandths, which rows carry as their change."""
    fixed = np.rint(rewards * REWARD_SCALE).astype(np.int64)[..., None]
    # AGENT_COLUMNS are the id, then ROW_FIELDS without the reward: it goes in at REWARD_AT.
    return np.concatenate([agents[..., 1 : REWARD_AT + 1], fixed, agents[..., REWARD_AT + 1 :]], axis=-1)


def _mask(changed: np.ndarray) -> Any:
    """(..., ROW_FIELDS) bools -> the row masks they make (bit k for ROW_FIELDS[k])."""
    return (changed.astype(np.int64) << np.arange(changed.shape[-1])).sum(axis=-1)


def changes_many(states: Sequence[SlotState], since: Sequence[SlotState]) -> list[Delta]:
    """``states[i].changes(since[i])`` for every i, the grids and agents of all alike pairs
    compared at once."""
    deltas: list[Delta] = []
    for now, before in zip(states, since, strict=True):
        delta: Delta = {}
        if now.tick != before.tick:
            delta["tick"] = now.tick
        if now.episode != before.episode:
            delta["episode"] = now.episode
        if now.stats != before.stats:
            delta[STATS] = stats_changes(
                dict(zip(STATS_FIELDS, before.stats, strict=True)),
                dict(zip(STATS_FIELDS, now.stats, strict=True)),
            )
        if now.logged != before.logged or now.log != before.log:
            new = (
                min(now.logged - before.logged, len(now.log)) if now.logged > before.logged else len(now.log)
            )
            delta[LOG] = [
                value for t, a, name in now.log[len(now.log) - new :] for value in (t, a, ACTION_CODES[name])
            ]
            if len(now.log) != len(before.log):
                delta[LOG_LEN] = len(now.log)
        deltas.append(delta)
    shape = (states[0].grid.shape, states[0].agents.shape) if states else None
    alike = [
        i
        for i, (now, before) in enumerate(zip(states, since, strict=True))
        if (now.grid.shape, now.agents.shape) == shape and now._alike(before)
    ]
    for i in sorted(set(range(len(states))) - set(alike)):
        states[i]._other_changes(since[i], deltas[i])
    if not alike:
        return deltas
    now_grids = np.stack([states[i].grid for i in alike])
    changed = now_grids != np.stack([since[i].grid for i in alike])
    pair, cell = np.nonzero(changed)
    cells = np.column_stack([cell, now_grids[pair, cell]]).ravel().tolist()
    ends = np.cumsum(np.bincount(pair, minlength=len(alike))).tolist()
    now_values = _wire_values(
        np.stack([states[i].agents for i in alike]), np.stack([states[i].rewards for i in alike])
    )
    before_values = _wire_values(
        np.stack([since[i].agents for i in alike]), np.stack([since[i].rewards for i in alike])
    )
    masks = _mask(now_values != before_values).tolist()
    now_values[..., REWARD_AT] -= before_values[..., REWARD_AT]  # rows carry the reward's change
    start = 0
    for k, i in enumerate(alike):
        if ends[k] > start:
            deltas[i][CELLS] = cells[2 * start : 2 * ends[k]]
        start = ends[k]
        if any(masks[k]):
            ids = states[i].agents[:, 0].tolist()
            rows: list[Any] = []
            for agent, mask in enumerate(masks[k]):
                if mask:
                    rows += agent_row(ids[agent], now_values[k, agent].tolist(), mask)
            deltas[i][AGENTS] = rows
    return deltas


def capture(world: BatchedWorld, slot: int) -> SlotState:
    """The slot's state now, sharing no arrays with `world`."""
    return capture_many(world, np.array([slot]))[0]


def capture_many(world: BatchedWorld, slots: np.ndarray) -> list[SlotState]:
    """The states of `slots` now, taken with one gather per array for all of them."""
    slots = np.asarray(slots, dtype=np.int64)
    n = world.max_agents
    pos = world.pos[slots]
    columns = {
        "id": np.arange(n),
        "x": pos[..., 1],
        "y": pos[..., 0],
        "energy": world.energy[slots],
        "carrying": world.carrying[slots],
        "action": world.last_action[slots],  # its code: ACTIONS begins with the world's actions
        "goal": goals(world, slots),
    }
    agents = np.empty((len(slots), n, len(AGENT_COLUMNS)), dtype=np.int64)
    for k, field in enumerate(AGENT_COLUMNS):
        agents[..., k] = columns[field]
    rewards = _rounded(world.agent_reward[slots], REWARD_DIGITS)
    active = world.active[slots]
    grids = world.grid[slots].reshape(len(slots), -1)
    stats = _stats_many(world, slots)
    every = bool(active.all())
    return [
        SlotState(
            tick=tick,
            episode=episode,
            width=world.config.width,
            height=world.config.height,
            grid=grids[row],
            agents=agents[row] if every else agents[row][active[row]],
            rewards=rewards[row] if every else rewards[row][active[row]],
            stats=figures,
            log=tuple(world.log[slot]),
            logged=logged,
        )
        for row, (slot, tick, episode, logged, figures) in enumerate(
            zip(
                slots.tolist(),
                world.total_tick[slots].tolist(),
                world.episode[slots].tolist(),
                world.logged[slots].tolist(),
                stats,
                strict=True,
            )
        )
    ]


def goals(world: BatchedWorld, slots: np.ndarray) -> np.ndarray:
    """(slots, agents) the code in GOALS of each agent's goal: what `BatchedWorld.goals` makes of
    the distances at its cell, capped at H + W as its observation has them."""
    cfg = world.config
    pos = world.pos[slots]
    cells = pos[..., 0].astype(np.int64) * cfg.width + pos[..., 1]
    distances = np.minimum(world.target_distances(slots, cells), cfg.height + cfg.width)
    goal: np.ndarray = world.goals(slots, distances)[0]
    return goal


def _stats_many(world: BatchedWorld, slots: np.ndarray) -> list[tuple[int, float, float]]:
    """products_created, efficiency, total_reward of each of `slots`, rounded as Snapshots show them."""
    products, spent = world.products[slots], world.energy_spent[slots]
    efficiency = np.where(
        spent > 0, _rounded(100.0 * products / np.maximum(spent, 1), EFFICIENCY_DIGITS), 0.0
    )
    total = _rounded(world.episode_reward[slots], REWARD_DIGITS)
    return list(zip(products.tolist(), efficiency.tolist(), total.tolist(), strict=True))


def stats(world: BatchedWorld, slot: int) -> dict[str, float | int]:
    """The slot's episode figures. Efficiency is products per 100 units of energy spent."""
    return dict(zip(STATS_FIELDS, _stats_many(world, np.array([slot]))[0], strict=True))


def snapshot(
    world: BatchedWorld, slot: int, *, room: str = "", running: bool = False, speed: float | str = 1.0
) -> dict[str, Any]:
    """The JSON-safe Snapshot of the acceptance interface (only lists, dicts, str, int, float)."""
    return capture(world, slot).snapshot(room, running, speed)


def state_digest_bytes(world: BatchedWorld, slot: int) -> bytes:
    """Every part of the slot's state, for hashing: equal bytes mean equal states."""
    parts: list[np.ndarray] = [
        world.grid, world.pos, world.energy, world.carrying, world.active, world.last_action,
        world.agent_reward, world.key, world.episode_tick, world.total_tick, world.episode,
        world.products, world.energy_spent, world.episode_reward, world.spawned, world.consumed,
    ]  # fmt: skip
    log = repr(list(world.log[slot])).encode()
    return b"".join(np.ascontiguousarray(part[slot]).tobytes() for part in parts) + log
