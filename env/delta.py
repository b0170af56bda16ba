"""Compact deltas between two Snapshots: ``apply(prev, diff(prev, next)) == next``, always.

A delta is a flat JSON object. Every key is optional; an absent key means "as before", so the
delta of two equal snapshots is ``{}``. Its own keys are one letter long (``a``, ``g``, ``c``,
``s``, ``l``, ``n``); a Snapshot field it carries whole keeps its name. The keys are:

``tick``, ``episode``, ``running``, ``speed``, ``room``, ``width``, ``height``, ``legend``
    Any top-level Snapshot field other than ``grid``, ``agents``, ``stats`` and ``log`` that
    changed, whole, under its own name (``legend`` as a complete object).

``s`` (stats)
    When the stats changed: how much each of ``[efficiency, total_reward, products_created]``
    changed, in whole units of 1/100, 1/1000 and 1 (``efficiency`` going from 1.74 to 1.72 is
    sent as -2, ``total_reward`` going from 2.52 to 2.62 as 100), without the zero changes at
    its end (those left out are 0): those two changes and no product made are ``[-2, 100]``, a
    change of the total alone ``[0, 50]``, a product made and nothing else ``[0, 0, 1]``. The
    figures that change on most ticks come first, as products are made on few ticks. ``s`` is
    never empty: it is absent when nothing changed.

``c`` (cells)
    When ``width`` and ``height`` are unchanged: the grid cells that changed, as one flat list
    ``[index, value, index, value, ...]`` with ``index = y * width + x``.

``grid``
    When ``width`` or ``height`` changed: the whole new grid (``grid[y][x]``), replacing the old.

``a`` (agents)
    The agents that changed or are new, as one flat list of rows of what changed: a row is a head,
    ``id * 128 + mask``, then the value of each field whose bit is set in ``mask``, in this order:
    ``x`` (bit value 1), ``y`` (2), ``energy`` (4), ``carrying`` (8), ``reward`` (16), ``action``
    (32), ``goal`` (64). A new agent's row has every field (mask 127). ``reward`` is how much the
    agent's reward changed, in whole thousandths (0.45 going to 0.5 is sent as 50); a new agent's
    is its change from 0, its whole reward (0.45 is sent as 450). ``action`` is a code: its index
    in ``ACTIONS`` (``stay``, ``up``, ``down``, ``left``, ``right``, ``pick``, ``drop``,
    ``out_of_energy``), a string for a name outside that list, or ``null`` when the agent has no
    ``action`` field. ``goal`` is a code too: its index in ``GOALS`` (``resource``, ``factory``,
    ``charger``); every agent has one.

``g`` (gone)
    The ids of agents that are no longer there, ``[id, ...]``.

``l``, ``n`` (log, its length)
    ``l`` is present when the log changed, ``n`` beside it when the log's length changed.
    The log is a bounded window of recent entries, so the new log is the previous log with ``l``
    appended, cut to its last ``n`` entries (none when ``n`` is 0; as many as before when ``n``
    is absent). ``l`` holds the new entries, oldest first, as flat rows
    ``[tick, agent, action, tick, agent, action, ...]`` (``action`` coded as in ``a``): those
    after the largest k for which the previous log's last k entries are the new log's first k
    (all of them when k is 0).

Applying a delta: replace each whole field present, set each ``c`` pair (or take ``grid``),
replace or add each ``a`` row and drop each ``g`` id (agents stay sorted by ``id``), then append
``l`` and keep the last ``n`` entries (or as many as there were). A changed figure is worked out
in whole units, then scaled: ``(units(previous) + change) / scale`` (an int for
``products_created``, whose scale is 1), where ``units(previous)`` is the previous figure in
whole units (``round(previous * scale)``; 0 for a new agent's reward).
Adding the change to the previous float instead would go wrong: 10.55 + 0.05 is not 10.6, while
(10550 + 50) / 1000 is.

Figures travel as whole numbers because a Snapshot rounds them (rewards, the total too, to 3
digits, efficiency to 2) and small integers are what a binary format packs tightest; the
accumulating ones (rewards and stats) travel as changes, which stay a few units a tick while the
totals grow all episode. So a delta is made only of Snapshots whose figures are floats so
rounded (not -0.0) and whose ``products_created`` is an int; any other raises ValueError, as
does applying a change that is not an int.

Changes are found by JSON value, not Python equality: ``1``, ``1.0``, ``true`` and ``-0.0``
versus ``0.0`` all count as changes, so the result encodes to the same JSON as ``next``. Both
snapshots must have the same top-level fields; they may differ in anything else (size, agents,
log). A delta applies to the snapshot it was made from and to no other.

A one-tick delta of a 4-agent room on a 20-wide grid, at tick 16. Agent 0 picked up the
resource at x=5, y=13 (cell 13 * 20 + 5 = 265 becomes 0, empty): its row's head 60 is
0 * 128 + 4 + 8 + 16 + 32, then its energy 88, carrying 1, reward change -100 (0.2 to 0.1) and
action 5 (``pick``); its goal is still a resource (another is nearer than any factory), so its
row leaves the goal out. Agents 1, 2 and 3 each stepped left (to x=1, 0 and 8), spending one
energy and losing 0.05 of reward: heads 181, 309 and 437 are id * 128 + 1 + 4 + 16 + 32. The
efficiency stayed as it was and the total reward fell by 0.25 (0.8 to 0.55), no product was
made (a zero change at the end of ``s``, left out), and the log, empty before, now holds agent
0's pick:

    {"tick": 16, "s": [0, -250], "c": [265, 0],
     "a": [60, 88, 1, -100, 5, 181, 1, 86, -50, 3, 309, 0, 89, -50, 3, 437, 8, 91, -50, 3],
     "l": [16, 0, 5], "n": 1}
"""

from __future__ import annotations

import copy
import itertools
import math
from typing import Any

from env.wire import (
    ACTION_CODES,
    ACTIONS,
    AGENT_FIELDS,
    AGENTS,
    CELLS,
    CHANGED_STATS,
    DELTA_KEYS,
    EVERY_FIELD,
    GOAL_CODES,
    GOALS,
    GONE,
    GRID,
    ID_SHIFT,
    LOG,
    LOG_FIELDS,
    LOG_LEN,
    REWARD_AT,
    REWARD_SCALE,
    ROW_FIELDS,
    STATS,
    STATS_FIELDS,
    STATS_SCALES,
    agent_row,
)

# This is the delta form's reference implementation: plain dicts, checked at every step, written
# to be read against the docstring above. A server sends the deltas that env.snapshot makes from
# arrays, many times faster; tests hold those equal to `diff`'s, and clients and tests check what
# they receive with `apply` (web/static/js/delta.js is its port to the browser).

__all__ = [
    # The delta's keys, which server/ and tests/server import from here; they live in env.wire.
    "AGENTS",
    "CELLS",
    "GONE",
    "LOG",
    "LOG_LEN",
    "STATS",
    "Delta",
    "Snapshot",
    "action_code",
    "apply",
    "diff",
    "fixed",
    "goal_code",
    "same_json",
    "stats_changes",
    "wire_values",
]

Snapshot = dict[str, Any]
Delta = dict[str, Any]

_STRUCTURED = frozenset({GRID, "agents", "stats", "log"})
"""The Snapshot fields a delta carries in parts, not whole."""


def diff(prev: Snapshot, next: Snapshot) -> Delta:
    """The delta that turns `prev` into `next`; it shares no mutable values with `next`.

    The reference for the deltas a server sends: env.snapshot's `changes_many` must equal it."""
    delta: Delta = {}
    for key, value in next.items():
        if key not in _STRUCTURED and not same_json(prev.get(key), value):
            delta[key] = copy.deepcopy(value)
    if not same_json(prev["stats"], next["stats"]):
        delta[STATS] = stats_changes(prev["stats"], next["stats"])
    if (prev["width"], prev["height"]) != (next["width"], next["height"]):
        delta[GRID] = copy.deepcopy(next["grid"])
    else:
        cells = _changed_cells(prev["grid"], next["grid"], next["width"])
        if cells:
            delta[CELLS] = cells
    _diff_agents(prev["agents"], next["agents"], delta)
    _diff_log(prev["log"], next["log"], delta)
    return delta


def apply(prev: Snapshot, delta: Delta) -> Snapshot:
    """The snapshot `delta` makes of `prev`, as a new dict; `prev` is left untouched.

    The reference for every client: web/static/js/delta.js's applyDelta must equal it."""
    result = copy.deepcopy(prev)
    for key, value in delta.items():
        if key not in DELTA_KEYS:
            result[key] = copy.deepcopy(value)
    if GRID in delta:
        result["grid"] = copy.deepcopy(delta[GRID])
    if STATS in delta:
        changes = delta[STATS]
        if type(changes) is not list or not 1 <= len(changes) <= len(CHANGED_STATS):
            raise ValueError(
                f"The delta's {STATS!r} holds {changes!r}, not 1 to {len(CHANGED_STATS)} changes."
            )
        moved = dict(itertools.zip_longest(CHANGED_STATS, changes, fillvalue=0))  # those left out are 0
        stats_units = _stats_units(result["stats"])
        result["stats"] = {
            field: _changed(stats_units[field], moved[field], STATS_SCALES[field], STATS, field)
            for field in STATS_FIELDS
        }
    width = result["width"]
    for index, value in _rows(delta.get(CELLS, []), 2, CELLS):
        result["grid"][index // width][index % width] = value
    agents = {agent["id"]: agent for agent in result["agents"]}
    for agent_id, changed in _agent_rows(delta.get(AGENTS, [])):
        old = agents.get(agent_id)
        if old is None and len(changed) < len(ROW_FIELDS):
            raise ValueError(
                f"The delta's {AGENTS!r} row for new agent {agent_id} lacks some of {', '.join(ROW_FIELDS)}."
            )
        if "reward" in changed:
            # A new agent's reward is its change from 0.
            units = 0 if old is None else fixed(old["reward"], REWARD_SCALE, "reward")
            changed["reward"] = _changed(
                units, changed["reward"], REWARD_SCALE, AGENTS, f"agent {agent_id}'s reward"
            )
        agent = {**(old or {"id": agent_id}), **changed}
        agents[agent_id] = {field: agent[field] for field in AGENT_FIELDS if agent.get(field) is not None}
    for gone in delta.get(GONE, []):
        agents.pop(gone, None)
    result["agents"] = [agents[i] for i in sorted(agents)]
    if LOG_LEN in delta and LOG not in delta:
        raise ValueError(f"A delta carries {LOG_LEN!r} only beside {LOG!r}.")
    if LOG in delta:
        added = [
            dict(zip(LOG_FIELDS, (tick, agent, _action_name(action)), strict=True))
            for tick, agent, action in _rows(delta[LOG], len(LOG_FIELDS), LOG)
        ]
        length = delta.get(LOG_LEN, len(result["log"]))
        log = result["log"] + added
        if not 0 <= length <= len(log):
            raise ValueError(
                f"The delta's {LOG_LEN!r} {length} is outside 0 to {len(log)}, the entries known."
            )
        # Cut from len - length, not from -length: a length of 0 would keep the whole log.
        result["log"] = log[len(log) - length :]
    return result


def stats_changes(prev: dict[str, Any], next: dict[str, Any]) -> list[int]:
    """What ``s`` holds for a Snapshot's `stats` going from `prev` to `next`: their changes in
    CHANGED_STATS order, without the zeros at the end (empty only for equal stats)."""
    old, new = _stats_units(prev), _stats_units(next)
    changes = [new[field] - old[field] for field in CHANGED_STATS]
    while changes and not changes[-1]:
        changes.pop()
    return changes


def _stats_units(stats: dict[str, Any]) -> dict[str, int]:
    """A Snapshot's `stats` in whole units, by field."""
    if set(stats) != set(STATS_FIELDS):
        raise ValueError(f"Stats hold {', '.join(STATS_FIELDS)}, not {', '.join(stats)}.")
    return {field: fixed(stats[field], STATS_SCALES[field], field) for field in STATS_FIELDS}


def fixed(value: Any, scale: int, what: str) -> int:
    """`value` in whole 1/`scale` units: an int as it is for a scale of 1, else a float that is
    a whole number of 1/`scale`ths (and not -0.0), so that the units bring back the same JSON."""
    if scale == 1:
        if type(value) is int:
            return value
    elif type(value) is float and not (value == 0.0 and math.copysign(1.0, value) < 0):
        units = round(value * scale)
        if units / scale == value:
            return units
    kind = "an int" if scale == 1 else f"a float in whole 1/{scale}ths"
    raise ValueError(f"The {what} {value!r} is not {kind}; a Snapshot's figures always are.")


def _changed(units: int, change: Any, scale: int, key: str, what: str) -> int | float:
    """The figure of `units` 1/`scale`ths moved by the delta's `change`, as a Snapshot holds it.
    Adding units, not floats, gives the next Snapshot's figure exactly (10.55 + 0.05 is not 10.6)."""
    if type(change) is not int:
        whole = "" if scale == 1 else f", a whole number of 1/{scale}ths"
        raise ValueError(f"The delta's {key!r} change {change!r} to {what} is not an int{whole}.")
    return units + change if scale == 1 else (units + change) / scale


def action_code(name: Any) -> Any:
    """The code of an action name in ``agents`` and ``log`` rows (None stays None)."""
    if name is None:
        return None
    if not isinstance(name, str):
        raise ValueError(f"An action is a name or absent, not {name!r}.")
    return ACTION_CODES.get(name, name)


def goal_code(name: Any) -> int:
    """The code of a goal name in ``agents`` rows."""
    if not isinstance(name, str) or name not in GOAL_CODES:
        raise ValueError(f"An agent's goal is one of {', '.join(GOALS)}, not {name!r}.")
    return GOAL_CODES[name]


def _goal_name(code: Any) -> str:
    if isinstance(code, int) and not isinstance(code, bool) and 0 <= code < len(GOALS):
        return GOALS[code]
    raise ValueError(f"The delta's goal {code!r} is not a code 0 to {len(GOALS) - 1}.")


def _action_name(code: Any) -> str:
    if isinstance(code, str):
        return code
    if isinstance(code, int) and not isinstance(code, bool) and 0 <= code < len(ACTIONS):
        return ACTIONS[code]
    raise ValueError(f"The delta's action {code!r} is not a name nor a code 0 to {len(ACTIONS) - 1}.")


def same_json(a: Any, b: Any) -> bool:
    """Whether `a` and `b` encode to the same JSON value (key order aside).

    Equal JSON values are always equal in Python, so the fast ``==`` in C rules out most pairs;
    the walk that follows only tells 1 from 1.0 and True, and -0.0 from 0.0."""
    return bool(a == b) and _same_types(a, b)


def _same_types(a: Any, b: Any) -> bool:
    """For `a` == `b`: whether their types match all the way down, and their zeros' signs."""
    kind = type(a)
    if kind is not type(b):
        return False
    if kind is dict:
        return all(_same_types(a[key], b[key]) for key in a)
    if kind is list:
        return all(map(_same_types, a, b))
    if kind is float:
        return math.copysign(1.0, a) == math.copysign(1.0, b)
    return True


def _changed_cells(prev: list[list[int]], next: list[list[int]], width: int) -> list[int]:
    cells: list[int] = []
    for y, (old_row, new_row) in enumerate(zip(prev, next, strict=True)):
        if old_row != new_row:
            for x, (old, new) in enumerate(zip(old_row, new_row, strict=True)):
                if not same_json(old, new):
                    cells += (y * width + x, new)
    return cells


def wire_values(agent: dict[str, Any]) -> list[Any]:
    """An agent's ROW_FIELDS as a row carries them, but for the reward: its whole units, which
    a row carries as their change (see `_diff_agents`)."""
    coded = {
        "reward": fixed(agent["reward"], REWARD_SCALE, "reward"),
        "action": action_code(agent.get("action")),
        "goal": goal_code(agent.get("goal")),
    }
    return [coded[field] if field in coded else agent[field] for field in ROW_FIELDS]


def _diff_agents(prev: list[dict[str, Any]], next: list[dict[str, Any]], delta: Delta) -> None:
    before = {agent["id"]: agent for agent in prev}
    rows: list[Any] = []
    for agent in next:
        values = wire_values(agent)
        old = before.get(agent["id"])
        if old is None:
            mask = EVERY_FIELD  # and the reward's change is from 0: its whole units
        else:
            was = wire_values(old)
            mask = sum(
                1 << k for k, (a, b) in enumerate(zip(was, values, strict=True)) if not same_json(a, b)
            )
            values[REWARD_AT] -= was[REWARD_AT]
        if mask:
            rows += agent_row(agent["id"], values, mask)
    if rows:
        delta[AGENTS] = rows
    now = {agent["id"] for agent in next}
    gone = [agent_id for agent_id in before if agent_id not in now]
    if gone:
        delta[GONE] = gone


def _diff_log(prev: list[dict[str, Any]], next: list[dict[str, Any]], delta: Delta) -> None:
    if same_json(prev, next):
        return
    overlap = _overlap(prev, next)
    delta[LOG] = [
        value
        for entry in next[overlap:]
        for value in (entry["tick"], entry["agent"], action_code(entry["action"]))
    ]
    if len(next) != len(prev):
        delta[LOG_LEN] = len(next)


def _overlap(prev: list[Any], next: list[Any]) -> int:
    """The largest k with ``prev[-k:] == next[:k]`` (0 when none), compared as JSON values."""
    if not next:
        return 0
    first = next[0]
    for start in range(max(0, len(prev) - len(next)), len(prev)):
        # Only a start whose entry equals next's first can begin the overlap.
        if prev[start] == first and same_json(prev[start:], next[: len(prev) - start]):
            return len(prev) - start
    return 0


def _agent_rows(flat: list[Any]) -> list[tuple[int, dict[str, Any]]]:
    """The agent rows of a delta as (id, the fields they set: the reward as its change in whole
    thousandths, None for an action to drop)."""
    rows = []
    at = 0
    while at < len(flat):
        head = flat[at]
        if type(head) is not int or head < 0:
            raise ValueError(
                f"The delta's {AGENTS!r} row head {head!r} is not an id * {1 << ID_SHIFT} + mask."
            )
        agent_id, mask = head >> ID_SHIFT, head & EVERY_FIELD
        fields = [field for k, field in enumerate(ROW_FIELDS) if mask >> k & 1]
        values = flat[at + 1 : at + 1 + len(fields)]
        if len(values) < len(fields):
            raise ValueError(
                f"The delta's {AGENTS!r} row for agent {agent_id} ends before its {len(fields)} values."
            )
        changed: dict[str, Any] = dict(zip(fields, values, strict=True))
        if changed.get("action") is not None:
            changed["action"] = _action_name(changed["action"])
        if "goal" in changed:
            changed["goal"] = _goal_name(changed["goal"])
        rows.append((agent_id, changed))
        at += 1 + len(fields)
    return rows


def _rows(flat: list[Any], width: int, name: str) -> list[list[Any]]:
    if len(flat) % width:
        raise ValueError(f"The delta's {name!r} holds {len(flat)} values, not a multiple of {width}.")
    return [flat[i : i + width] for i in range(0, len(flat), width)]
