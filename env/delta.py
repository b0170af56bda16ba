"""Compact deltas between two Snapshots: ``apply(prev, diff(prev, next)) == next``, always.

A delta is a flat JSON object. Every key is optional; an absent key means "as before", so the
delta of two equal snapshots is ``{}``. The keys are:

``tick``, ``episode``, ``running``, ``speed``, ``room``, ``width``, ``height``, ``legend``
    Any top-level Snapshot field other than ``grid``, ``agents``, ``stats`` and ``log`` that
    changed, whole, under its own name (``legend`` as a complete object).

``stats``
    When the stats changed: ``[products_created, efficiency, total_reward]``, the last two in
    whole ten-thousandths (``efficiency`` 1.7241 is sent as 17241).

``cells``
    When ``width`` and ``height`` are unchanged: the grid cells that changed, as one flat list
    ``[index, value, index, value, ...]`` with ``index = y * width + x``.

``grid``
    When ``width`` or ``height`` changed: the whole new grid (``grid[y][x]``), replacing the old.

``agents``
    The agents that changed or are new, as one flat list of rows of what changed: a row is a head,
    ``id * 64 + mask``, then the value of each field whose bit is set in ``mask``, in this order:
    ``x`` (bit value 1), ``y`` (2), ``energy`` (4), ``carrying`` (8), ``reward`` (16), ``action``
    (32). A new agent's row has every field (mask 63). ``reward`` is in whole
    thousandths (0.45 is sent as 450). ``action`` is a code: its index in ``ACTIONS`` (``stay``,
    ``up``, ``down``, ``left``, ``right``, ``pick``, ``drop``, ``out_of_energy``), a string for a
    name outside that list, or ``null`` when the agent has no ``action`` field.

``gone``
    The ids of agents that are no longer there, ``[id, ...]``.

``log``, ``log_len``
    ``log`` is present when the log changed, ``log_len`` beside it when the log's length changed.
    The log is a bounded window of recent entries, so the new log is the previous log with ``log``
    appended, cut to its last ``log_len`` entries (none when ``log_len`` is 0; as many as before
    when ``log_len`` is absent). ``log`` holds the new entries, oldest first, as flat rows
    ``[tick, agent, action, tick, agent, action, ...]`` (``action`` coded as in ``agents``):
    those after the largest k for which the previous log's last k entries are the new log's
    first k (all of them when k is 0).

Applying a delta: replace each whole field present, set each ``cells`` pair (or take ``grid``),
replace or add each ``agents`` row and drop each ``gone`` id (agents stay sorted by ``id``),
then append ``log`` and keep the last ``log_len`` entries (or as many as there were).

Figures travel as whole numbers because a Snapshot rounds them (rewards to 3 digits, efficiency
and total reward to 4) and small integers are what a binary format packs tightest. So a delta
is made only of Snapshots whose figures are floats so rounded (not -0.0) and whose
``products_created`` is an int; any other raises ValueError.

Changes are found by JSON value, not Python equality: ``1``, ``1.0``, ``true`` and ``-0.0``
versus ``0.0`` all count as changes, so the result encodes to the same JSON as ``next``. Both
snapshots must have the same top-level fields; they may differ in anything else (size, agents,
log). A delta applies to the snapshot it was made from and to no other.

A one-tick delta of a 4-agent room (a resource grew at x=13, y=0; agent 0 stepped right to x=4,
agent 1 down to y=17 and agent 3 up to y=2, each spending one energy and earning shaping reward;
agent 2 did not change):

    {"tick": 11, "stats": [0, 0, 4500], "cells": [13, 2],
     "agents": [21, 4, 93, 100, 86, 17, 91, 100, 214, 2, 94, 300]}
"""

from __future__ import annotations

import copy
import math
from typing import Any

from env.config import ACTION_NAMES

Snapshot = dict[str, Any]
Delta = dict[str, Any]

ACTIONS: tuple[str, ...] = (*ACTION_NAMES, "out_of_energy")
"""Action names by their code in ``agents`` and ``log`` rows."""
ACTION_CODES = {name: code for code, name in enumerate(ACTIONS)}
STATS_FIELDS = ("products_created", "efficiency", "total_reward")
"""The order of the values of ``stats``."""
STATS_SCALES = (1, 10_000, 10_000)
"""Each stat travels in whole 1/scale units."""
REWARD_SCALE = 1000
"""An agent's reward travels in whole thousandths."""
AGENT_FIELDS = ("id", "x", "y", "energy", "carrying", "reward", "action")
ROW_FIELDS = AGENT_FIELDS[1:]
"""The fields an ``agents`` row may carry, in order: bit k of its mask stands for ROW_FIELDS[k]."""
EVERY_FIELD = (1 << len(ROW_FIELDS)) - 1
ID_SHIFT = 6
"""A row's head is ``id << ID_SHIFT | mask``."""
_STRUCTURED = frozenset({"grid", "agents", "stats", "log"})
_DELTA_KEYS = frozenset({"grid", "cells", "agents", "gone", "stats", "log", "log_len"})


def diff(prev: Snapshot, next: Snapshot) -> Delta:
    """The delta that turns `prev` into `next`; it shares no mutable values with `next`."""
    delta: Delta = {}
    for key, value in next.items():
        if key not in _STRUCTURED and not same_json(prev.get(key), value):
            delta[key] = copy.deepcopy(value)
    if not same_json(prev["stats"], next["stats"]):
        delta["stats"] = encode_stats(next["stats"])
    if (prev["width"], prev["height"]) != (next["width"], next["height"]):
        delta["grid"] = copy.deepcopy(next["grid"])
    else:
        cells = _changed_cells(prev["grid"], next["grid"], next["width"])
        if cells:
            delta["cells"] = cells
    _diff_agents(prev["agents"], next["agents"], delta)
    _diff_log(prev["log"], next["log"], delta)
    return delta


def apply(prev: Snapshot, delta: Delta) -> Snapshot:
    """The snapshot `delta` makes of `prev`, as a new dict; `prev` is left untouched."""
    result = copy.deepcopy(prev)
    for key, value in delta.items():
        if key not in _DELTA_KEYS:
            result[key] = copy.deepcopy(value)
    if "grid" in delta:
        result["grid"] = copy.deepcopy(delta["grid"])
    if "stats" in delta:
        values = _rows(delta["stats"], len(STATS_FIELDS), "stats")
        if len(values) != 1:
            raise ValueError(f"The delta's 'stats' holds {len(delta['stats'])} values, not {len(STATS_FIELDS)}.")
        result["stats"] = {
            field: _unfixed(units, scale) for field, units, scale in zip(STATS_FIELDS, values[0], STATS_SCALES, strict=True)
        }
    width = result["width"]
    for index, value in _rows(delta.get("cells", []), 2, "cells"):
        result["grid"][index // width][index % width] = value
    agents = {agent["id"]: agent for agent in result["agents"]}
    for agent_id, changed in _agent_rows(delta.get("agents", [])):
        if agent_id not in agents and len(changed) < len(ROW_FIELDS):
            raise ValueError(f"The delta's row for new agent {agent_id} lacks some of {', '.join(ROW_FIELDS)}.")
        agent = {**agents.get(agent_id, {"id": agent_id}), **changed}
        agents[agent_id] = {field: agent[field] for field in AGENT_FIELDS if agent.get(field) is not None}
    for gone in delta.get("gone", []):
        agents.pop(gone, None)
    result["agents"] = [agents[i] for i in sorted(agents)]
    if "log_len" in delta and "log" not in delta:
        raise ValueError("A delta carries 'log_len' only beside 'log'.")
    if "log" in delta:
        added = [
            {"tick": tick, "agent": agent, "action": _action_name(action)}
            for tick, agent, action in _rows(delta["log"], 3, "log")
        ]
        length = delta.get("log_len", len(result["log"]))
        log = result["log"] + added
        if not 0 <= length <= len(log):
            raise ValueError(f"The delta's log_len {length} is outside 0 to {len(log)}, the entries known.")
        # Cut from len - length, not from -length: a log_len of 0 would keep the whole log.
        result["log"] = log[len(log) - length :]
    return result


def encode_stats(stats: dict[str, Any]) -> list[int]:
    """The delta's form of a Snapshot's `stats`."""
    if set(stats) != set(STATS_FIELDS):
        raise ValueError(f"Stats hold {', '.join(STATS_FIELDS)}, not {', '.join(stats)}.")
    return [fixed(stats[field], scale, field) for field, scale in zip(STATS_FIELDS, STATS_SCALES, strict=True)]


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


def _unfixed(units: Any, scale: int) -> int | float:
    if type(units) is not int:
        raise ValueError(f"The delta's figure {units!r} is not a whole number of units.")
    return units if scale == 1 else units / scale


def action_code(name: Any) -> Any:
    """The code of an action name in ``agents`` and ``log`` rows (None stays None)."""
    if name is None:
        return None
    if not isinstance(name, str):
        raise ValueError(f"An action is a name or absent, not {name!r}.")
    return ACTION_CODES.get(name, name)


def _action_name(code: Any) -> str:
    if isinstance(code, str):
        return code
    if isinstance(code, int) and not isinstance(code, bool) and 0 <= code < len(ACTIONS):
        return ACTIONS[code]
    raise ValueError(f"The delta's action {code!r} is not a name nor a code 0 to {len(ACTIONS) - 1}.")


def is_empty(delta: Delta) -> bool:
    """Whether `delta` changes nothing (the two snapshots were equal)."""
    return not delta


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
    """An agent's ROW_FIELDS as a row carries them."""
    return [
        agent["x"], agent["y"], agent["energy"], agent["carrying"],
        fixed(agent["reward"], REWARD_SCALE, "reward"), action_code(agent.get("action")),
    ]  # fmt: skip


def agent_row(agent_id: int, values: list[Any], mask: int) -> list[Any]:
    """The ``agents`` row carrying the fields of `mask` from the ROW_FIELDS `values`."""
    return [agent_id << ID_SHIFT | mask, *(value for k, value in enumerate(values) if mask >> k & 1)]


def _diff_agents(prev: list[dict[str, Any]], next: list[dict[str, Any]], delta: Delta) -> None:
    before = {agent["id"]: agent for agent in prev}
    rows: list[Any] = []
    for agent in next:
        values = wire_values(agent)
        old = before.get(agent["id"])
        if old is None:
            mask = EVERY_FIELD
        else:
            mask = sum(1 << k for k, (a, b) in enumerate(zip(wire_values(old), values, strict=True)) if not same_json(a, b))
        if mask:
            rows += agent_row(agent["id"], values, mask)
    if rows:
        delta["agents"] = rows
    now = {agent["id"] for agent in next}
    gone = [agent_id for agent_id in before if agent_id not in now]
    if gone:
        delta["gone"] = gone


def _diff_log(prev: list[dict[str, Any]], next: list[dict[str, Any]], delta: Delta) -> None:
    if same_json(prev, next):
        return
    overlap = _overlap(prev, next)
    delta["log"] = [
        value for entry in next[overlap:] for value in (entry["tick"], entry["agent"], action_code(entry["action"]))
    ]
    if len(next) != len(prev):
        delta["log_len"] = len(next)


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
    """The ``agents`` rows of a delta as (id, the fields they set; None for an action to drop)."""
    rows = []
    at = 0
    while at < len(flat):
        head = flat[at]
        if type(head) is not int or head < 0:
            raise ValueError(f"The delta's agents row head {head!r} is not an id * 64 + mask.")
        agent_id, mask = head >> ID_SHIFT, head & EVERY_FIELD
        fields = [field for k, field in enumerate(ROW_FIELDS) if mask >> k & 1]
        values = flat[at + 1 : at + 1 + len(fields)]
        if len(values) < len(fields):
            raise ValueError(f"The delta's agents row for agent {agent_id} ends before its {len(fields)} values.")
        changed: dict[str, Any] = dict(zip(fields, values, strict=True))
        if "reward" in changed:
            changed["reward"] = _unfixed(changed["reward"], REWARD_SCALE)
        if changed.get("action") is not None:
            changed["action"] = _action_name(changed["action"])
        rows.append((agent_id, changed))
        at += 1 + len(fields)
    return rows


def _rows(flat: list[Any], width: int, name: str) -> list[list[Any]]:
    if len(flat) % width:
        raise ValueError(f"The delta's {name!r} holds {len(flat)} values, not a multiple of {width}.")
    return [flat[i : i + width] for i in range(0, len(flat), width)]
