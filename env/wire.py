"""The wire form of a room's state, in one place: the names, orders, codes and scales that a
Snapshot (a full ``state_update``) and its deltas are written in.

The delta form itself is specified in env.delta's docstring. Every writer and reader of it takes
these constants from here: env.delta (the dict-based reference implementation), env.snapshot (the
array path that makes the deltas a server sends) and the browser, through web/static/js/wire.js,
which ``python -m env.wire_js`` generates from this module (a test fails when it is stale). So
every public constant here must be a str, an int, a tuple of str or a dict of str to int: what
the generator can write as JavaScript.
"""

from __future__ import annotations

from typing import Any

from env.config import ACTION_NAMES, CELL_NAMES, CHARGER, FACTORY, OUT_OF_ENERGY, RESOURCE

SNAPSHOT_FIELDS = (
    "room", "tick", "episode", "running", "speed", "width", "height", "grid", "legend", "agents", "stats", "log",
)  # fmt: skip
"""A Snapshot's fields, in the order it is written."""

# The delta's own keys are one letter long: they travel in every update.
AGENTS = "a"
"""The delta's key for the rows of the agents that changed or are new."""
GONE = "g"
"""The delta's key for the ids of the agents that are no longer there."""
CELLS = "c"
"""The delta's key for the grid cells that changed."""
STATS = "s"
"""The delta's key for the changes of the stats."""
LOG = "l"
"""The delta's key for the new log entries."""
LOG_LEN = "n"
"""The delta's key for the log's new length."""
GRID = "grid"
"""The delta's key for a whole new grid, when the grid's size changed (the Snapshot field's name)."""
DELTA_KEYS = (GRID, CELLS, AGENTS, GONE, STATS, LOG, LOG_LEN)
"""The delta's keys that are not a Snapshot field taken whole."""

AGENT_FIELDS = ("id", "x", "y", "energy", "carrying", "reward", "action", "goal")
"""A Snapshot agent's fields, in the order it is written (``action`` may be absent)."""
ROW_FIELDS = AGENT_FIELDS[1:]
"""The fields an agent row may carry, in order: bit k of its mask stands for ROW_FIELDS[k]."""
REWARD_AT = ROW_FIELDS.index("reward")
"""Where the reward is in ROW_FIELDS."""
EVERY_FIELD = (1 << len(ROW_FIELDS)) - 1
"""The mask of a row that carries every field: a new agent's."""
ID_SHIFT = 7
"""A row's head is ``id << ID_SHIFT | mask`` (``id * 128 + mask``): the mask's bits fit below it."""

LOG_FIELDS = ("tick", "agent", "action")
"""A log entry's fields, in the order it is written and its row in ``l`` carries them."""

ACTIONS = (*ACTION_NAMES, OUT_OF_ENERGY)
"""Action names by their code in agent and log rows: an agent's action code is its index in
env.config.ACTION_NAMES, and the log's out-of-energy event comes after them."""
ACTION_CODES = {name: code for code, name in enumerate(ACTIONS)}
"""The code of each name of ACTIONS."""

GOALS = tuple(CELL_NAMES[cell] for cell in (RESOURCE, FACTORY, CHARGER))
"""An agent's goal (the errand env.core.BatchedWorld.goals gives it: the kind of cell it heads
for, named as the legend names it) by its code in agent rows, which is the index that gives it."""
GOAL_CODES = {name: code for code, name in enumerate(GOALS)}
"""The code of each name of GOALS."""

STATS_FIELDS = ("products_created", "efficiency", "total_reward")
"""A Snapshot's stats, in the order they are written."""
CHANGED_STATS = ("efficiency", "total_reward", "products_created")
"""The order of the changes in ``s``: the stats that change on most ticks first, as the zero
changes at its end are left out (products are made on few ticks)."""
REWARD_DIGITS = 3
"""Decimals to which a Snapshot rounds rewards: each agent's and the total."""
EFFICIENCY_DIGITS = 2
"""Decimals to which a Snapshot rounds its efficiency (products per 100 energy: 5.84)."""
REWARD_SCALE = 10**REWARD_DIGITS
"""An agent's reward travels in whole thousandths."""
STATS_SCALES = {"products_created": 1, "efficiency": 10**EFFICIENCY_DIGITS, "total_reward": REWARD_SCALE}
"""Each stat travels in whole 1/scale units."""


def agent_row(agent_id: int, values: list[Any], mask: int) -> list[Any]:
    """The agent row carrying the fields of `mask` from the ROW_FIELDS `values`, as it carries
    them (the reward as its change)."""
    return [agent_id << ID_SHIFT | mask, *(value for k, value in enumerate(values) if mask >> k & 1)]
