"""Snapshot deltas: apply(prev, diff(prev, next)) gives next, for generated and for real snapshots."""

from __future__ import annotations

import copy
import itertools
import json
import re
import statistics
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import env.delta
from env.config import ACTION_NAMES, CELL_NAMES, DROP, PICK, WorldConfig
from env.delta import apply, diff
from env.parallel import ProductionEnv
from env.wire import (
    ACTIONS,
    AGENTS,
    CELLS,
    EFFICIENCY_DIGITS,
    EVERY_FIELD,
    GOALS,
    GONE,
    ID_SHIFT,
    LOG,
    LOG_LEN,
    REWARD_DIGITS,
    ROW_FIELDS,
    STATS,
)

Snapshot = dict[str, Any]

# A small log alphabet makes repeated entries, and so ambiguous overlaps, common.
log_entries = st.fixed_dictionaries(
    {"tick": st.integers(0, 3), "agent": st.integers(0, 1), "action": st.sampled_from(["pick", "drop"])}
)


def figures(digits: int) -> st.SearchStrategy[float]:
    """A Snapshot's figures: floats rounded to `digits`, never -0.0 (see env.delta)."""
    return st.one_of(
        st.sampled_from([0.0, 1.0, 0.1, 10.0**-digits]),
        st.floats(-1000, 1000, allow_nan=False).map(lambda f: round(f, digits) + 0.0),
    )


@st.composite
def agents(draw: st.DrawFn, agent_id: int, width: int, height: int) -> dict[str, Any]:
    agent: dict[str, Any] = {
        "id": agent_id,
        "x": draw(st.integers(0, width - 1)),
        "y": draw(st.integers(0, height - 1)),
        "energy": draw(st.integers(0, 100)),
        "carrying": draw(st.integers(0, 2)),
        "reward": draw(figures(REWARD_DIGITS)),
    }
    if draw(st.booleans()):
        agent["action"] = draw(st.sampled_from(ACTION_NAMES))
    agent["goal"] = draw(st.sampled_from(GOALS))
    return agent


@st.composite
def snapshots(draw: st.DrawFn, size: tuple[int, int] | None = None) -> Snapshot:
    width, height = size or (draw(st.integers(5, 25)), draw(st.integers(5, 25)))
    legend = {str(k): v for k, v in CELL_NAMES.items()}
    legend.update(
        draw(st.dictionaries(st.sampled_from(["5", "6", "7"]), st.sampled_from(["lava", "ice"]), max_size=2))
    )
    values = np.array(sorted(int(k) for k in legend))
    cells = np.random.default_rng(draw(st.integers(0, 2**32 - 1))).choice(values, size=(height, width))
    ids = sorted(draw(st.sets(st.integers(0, 9), max_size=8)))
    return {
        "room": draw(st.sampled_from(["", "lab", "Room 2"])),
        "tick": draw(st.integers(0, 10**6)),
        "episode": draw(st.integers(0, 50)),
        "running": draw(st.booleans()),
        "speed": draw(st.sampled_from([0.1, 1, 1.0, 5.0, "max"])),
        "width": width,
        "height": height,
        "grid": cells.tolist(),
        "legend": legend,
        "agents": [draw(agents(i, width, height)) for i in ids],
        "stats": {
            "products_created": draw(st.integers(0, 9)),
            "efficiency": draw(figures(EFFICIENCY_DIGITS)),
            "total_reward": draw(figures(REWARD_DIGITS)),
        },
        "log": draw(st.lists(log_entries, max_size=12)),
    }


@st.composite
def related(draw: st.DrawFn, prev: Snapshot) -> Snapshot:
    """A snapshot that keeps some of `prev`: fields, cells, agents and a run of its log."""
    keep_size = draw(st.integers(0, 3)) > 0
    other = draw(snapshots((prev["width"], prev["height"]) if keep_size else None))
    result = {
        key: copy.deepcopy(prev[key] if draw(st.booleans()) else other[key])
        for key in ("room", "tick", "episode", "running", "speed", "stats")
    }
    result.update(width=other["width"], height=other["height"], grid=other["grid"], legend=other["legend"])
    if keep_size:
        share = draw(st.sampled_from([1.0, 0.99, 0.9, 0.5]))
        kept = np.random.default_rng(draw(st.integers(0, 2**32 - 1))).random(np.shape(other["grid"])) < share
        mixed = np.where(kept, np.array(prev["grid"]), np.array(other["grid"]))
        result["legend"] = {**other["legend"], **prev["legend"]}
        result["grid"] = mixed.tolist()
    by_id = {a["id"]: a for a in other["agents"]}
    for agent in prev["agents"]:
        if keep_size and draw(st.booleans()):
            by_id[agent["id"]] = agent
    result["agents"] = copy.deepcopy([by_id[i] for i in sorted(by_id)])
    kept_log = draw(st.integers(0, len(prev["log"])))
    log = prev["log"][len(prev["log"]) - kept_log :] + draw(st.lists(log_entries, max_size=6))
    result["log"] = copy.deepcopy(log[len(log) - draw(st.integers(0, len(log))) :])
    return result


@st.composite
def snapshot_pairs(draw: st.DrawFn) -> tuple[Snapshot, Snapshot]:
    prev = draw(snapshots())
    return prev, draw(related(prev) if draw(st.integers(0, 4)) else snapshots())


def row_fields(flat: list[int]) -> list[tuple[int, list[str]]]:
    """Each agent row of a delta as (agent id, the fields it carries)."""
    rows, at = [], 0
    while at < len(flat):
        mask = flat[at] & EVERY_FIELD
        fields = [f for k, f in enumerate(ROW_FIELDS) if mask >> k & 1]
        rows.append((flat[at] >> ID_SHIFT, fields))
        at += 1 + len(fields)
    return rows


def as_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, allow_nan=False)


def round_trip(prev: Snapshot, next: Snapshot) -> dict[str, Any]:
    """Diff, send through JSON as the server does, apply; check the result and return the delta."""
    before = as_json(prev)
    delta = json.loads(json.dumps(diff(prev, next)))
    result = apply(prev, delta)
    assert as_json(prev) == before, "apply changed its input."
    assert as_json(result) == as_json(next)
    assert result == next
    return delta


@given(snapshot_pairs())
@settings(max_examples=300, deadline=None)
def test_apply_of_diff_gives_next(pair: tuple[Snapshot, Snapshot]) -> None:
    round_trip(*pair)


@given(snapshot_pairs())
@settings(max_examples=150, deadline=None)
def test_delta_holds_only_what_changed(pair: tuple[Snapshot, Snapshot]) -> None:
    prev, next = pair
    delta = round_trip(prev, next)
    for key in ("room", "tick", "episode", "running", "speed", "width", "height", "legend"):
        assert (key in delta) == (as_json(prev[key]) != as_json(next[key])), key
    assert (STATS in delta) == (as_json(prev["stats"]) != as_json(next["stats"]))
    if STATS in delta:
        assert delta[STATS][-1] != 0  # the zero changes at its end are left out, so it is never empty
    assert set(delta) <= {*next, CELLS, AGENTS, GONE, STATS, LOG, LOG_LEN} - {"agents", "stats", "log"}
    if (prev["width"], prev["height"]) == (next["width"], next["height"]):
        assert "grid" not in delta
        changed = np.flatnonzero(np.array(prev["grid"]) != np.array(next["grid"]))
        assert delta.get(CELLS, [])[::2] == changed.tolist()
    else:
        assert CELLS not in delta and delta["grid"] == next["grid"]
    before = {a["id"]: a for a in prev["agents"]}
    changed_ids = [a["id"] for a in next["agents"] if as_json(before.get(a["id"])) != as_json(a)]
    rows = row_fields(delta.get(AGENTS, []))
    assert [agent_id for agent_id, _ in rows] == changed_ids
    for agent_id, fields in rows:
        old, new = before.get(agent_id), next["agents"][[a["id"] for a in next["agents"]].index(agent_id)]
        if old is None:
            assert fields == list(ROW_FIELDS)  # a new agent comes whole
        else:
            assert fields == [f for f in ROW_FIELDS if as_json(old.get(f)) != as_json(new.get(f))]
    assert delta.get(GONE, []) == sorted(set(before) - {a["id"] for a in next["agents"]})
    if as_json(prev["log"]) == as_json(next["log"]):
        assert LOG not in delta and LOG_LEN not in delta
    else:
        overlap = max(
            k
            for k in range(len(next["log"]) + 1)
            if k <= len(prev["log"]) and prev["log"][len(prev["log"]) - k :] == next["log"][:k]
        )
        assert len(delta[LOG]) == 3 * (len(next["log"]) - overlap)
        assert delta.get(LOG_LEN, len(prev["log"])) == len(next["log"])
        assert (LOG_LEN in delta) == (len(prev["log"]) != len(next["log"]))


@given(snapshots())
@settings(max_examples=50, deadline=None)
def test_equal_snapshots_give_an_empty_delta(snapshot: Snapshot) -> None:
    delta = diff(snapshot, copy.deepcopy(snapshot))
    assert delta == {}
    assert apply(snapshot, delta) == snapshot


def test_changes_python_equality_hides_are_still_sent() -> None:
    prev = real_snapshots(1)[0]
    next = copy.deepcopy(prev)
    next["speed"] = 1  # 1 == 1.0 in Python, but not in JSON
    next["agents"][0]["reward"] = 0.125
    delta = round_trip(prev, next)
    assert prev["agents"][0]["reward"] == 0.0
    assert delta == {"speed": 1, "a": [16, 125]}  # agent 0, only its reward (bit 4) changed, by 0.125


@pytest.mark.parametrize(
    ("field", "value"),
    [("reward", -0.0), ("reward", 1), ("reward", 0.0001), ("efficiency", 2), ("products_created", 1.0)],
)
def test_figures_a_snapshot_never_holds_are_refused(field: str, value: Any) -> None:
    prev = real_snapshots(1)[0]
    next = copy.deepcopy(prev)
    if field == "reward":
        next["agents"][0]["reward"] = value
    else:
        next["stats"][field] = value
    with pytest.raises(ValueError, match=repr(value)):
        diff(prev, next)


def test_a_log_len_of_zero_empties_the_log() -> None:
    prev = real_snapshots(1)[0]
    prev["log"] = [{"tick": 1, "agent": 0, "action": "pick"}]
    next = {**prev, "log": []}
    assert round_trip(prev, next) == {"l": [], "n": 0}


def test_changes_add_in_whole_units_not_floats() -> None:
    assert 10.55 + 0.05 != 10.6  # why apply adds units: the float sum is 10.600000000000001
    prev = real_snapshots(1)[0]
    prev["agents"][0]["reward"] = 10.55
    prev["stats"]["total_reward"] = 10.55
    next = copy.deepcopy(prev)
    next["agents"][0]["reward"] = 10.6
    next["stats"]["total_reward"] = 10.6
    assert round_trip(prev, next) == {"s": [0, 50], "a": [16, 50]}
    result = apply(prev, {"s": [0, 50], "a": [16, 50]})
    assert result["agents"][0]["reward"] == 10.6 and result["stats"]["total_reward"] == 10.6


def test_rewards_and_stats_travel_as_changes() -> None:
    prev = real_snapshots(1)[0]
    prev["agents"] = prev["agents"][:2]
    prev["agents"][0]["reward"] = 2.5
    prev["stats"] = {"products_created": 3, "efficiency": 1.74, "total_reward": 2.52}
    next = copy.deepcopy(prev)
    next["agents"][0]["reward"] = 2.499
    next["agents"][1] = {**next["agents"][1], "id": 5, "reward": -0.45}  # agent 1 left, agent 5 came
    next["stats"] = {"products_created": 4, "efficiency": 1.72, "total_reward": 2.62}
    delta = round_trip(prev, next)
    new = next["agents"][1]
    assert delta == {
        "s": [-2, 100, 1],  # efficiency, total_reward, products_created
        "a": [
            16,
            -1,
            5 << ID_SHIFT | EVERY_FIELD,
            new["x"],
            new["y"],
            new["energy"],
            new["carrying"],
            -450,
            ACTIONS.index(new["action"]),
            GOALS.index(new["goal"]),
        ],
        "g": [1],
    }  # a new agent's reward is its change from 0


@pytest.mark.parametrize(
    ("changed", "expected"),
    [
        ({"total_reward": 2.57}, [0, 50]),
        ({"products_created": 4}, [0, 0, 1]),
        ({"efficiency": 1.72}, [-2]),
        ({"efficiency": 1.72, "total_reward": 2.62}, [-2, 100]),
        ({"products_created": 4, "efficiency": 1.72, "total_reward": 2.62}, [-2, 100, 1]),
        ({"products_created": 2, "efficiency": 1.75}, [1, 0, -1]),
    ],
)
def test_stats_changes_come_most_frequent_first_without_zeros_at_the_end(
    changed: dict[str, Any], expected: list[int]
) -> None:
    prev = real_snapshots(1)[0]
    prev["stats"] = {"products_created": 3, "efficiency": 1.74, "total_reward": 2.52}
    next = copy.deepcopy(prev)
    next["stats"].update(changed)
    assert round_trip(prev, next) == {STATS: expected}


def test_apply_takes_zeros_at_the_end_of_s_too() -> None:
    prev = real_snapshots(1)[0]
    prev["stats"] = {"products_created": 3, "efficiency": 1.74, "total_reward": 2.52}
    expected = {"products_created": 3, "efficiency": 1.74, "total_reward": 2.57}
    for changes in ([0, 50], [0, 50, 0]):
        assert apply(prev, {STATS: changes})["stats"] == expected


def test_the_docstring_example_is_a_real_delta() -> None:
    found = re.search(r"\n    (\{\"tick\".*?\})\n", env.delta.__doc__ or "", re.S)
    assert found, "env.delta's docstring has no example delta"
    run = real_snapshots(17)
    assert json.loads(found.group(1)) == diff(run[15], run[16])


@pytest.mark.parametrize(
    ("delta", "message"),
    [
        (
            {"s": [0.5, 0]},
            "The delta's 's' change 0.5 to efficiency is not an int, a whole number of 1/100ths.",
        ),
        ({"s": [0, 0, 1.0]}, "The delta's 's' change 1.0 to products_created is not an int."),
        ({"s": [0, "9"]}, "The delta's 's' change '9' to total_reward is not an int"),
        ({"s": 5}, "The delta's 's' holds 5, not 1 to 3 changes."),
        ({"s": []}, "The delta's 's' holds [], not 1 to 3 changes."),
        ({"s": [0, 0, 0, 1]}, "The delta's 's' holds [0, 0, 0, 1], not 1 to 3 changes."),
        (
            {"a": [16, 0.5]},
            "The delta's 'a' change 0.5 to agent 0's reward is not an int, a whole number of 1/1000ths.",
        ),
        ({"n": 0}, "A delta carries 'n' only beside 'l'."),
        ({"l": [], "n": 9}, "The delta's 'n' 9 is outside 0 to 0"),
    ],
)
def test_refusals_name_the_bad_value_and_its_key(delta: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        apply(real_snapshots(1)[0], delta)


def test_the_result_shares_nothing_with_its_inputs() -> None:
    prev = real_snapshots(1)[0]
    next = copy.deepcopy(prev)
    next["stats"]["total_reward"] = 7.0
    delta = diff(prev, next)
    next["stats"]["total_reward"] = 8.0
    assert delta[STATS] == [0, 7_000 - round(prev["stats"]["total_reward"] * 1_000)]
    result = apply(prev, delta)
    result["grid"][0][0] = 99
    result["agents"][0]["x"] = 99
    result["log"].append({})
    assert prev["grid"][0][0] != 99 and prev["agents"][0]["x"] != 99 and prev["log"] == []


@pytest.mark.parametrize(
    "delta",
    [
        {"c": [1, 2, 3]},
        {"a": [1]},  # agent 0's x announced, not given
        {"a": [-1]},
        {"a": [9 << ID_SHIFT | 1, 3]},  # a new agent 9 with its x alone
        {"a": [64, 3]},  # no such goal code
        {"a": [64, "home"]},  # a goal travels as its code
        {"a": [16, 0.5]},  # a reward change not in whole thousandths
        {"a": [16, 50.0]},  # nor as a float, even a whole one
        {"a": [32, 99]},  # no such action code
        {"s": []},
        {"s": [0, 0, 0, 0]},
        {"s": [0.5]},
        {"l": [1, 0]},
        {"l": [], "n": 9},
        {"n": 0},
    ],
)
def test_malformed_deltas_are_refused(delta: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="delta"):
        apply(real_snapshots(1)[0], delta)


# ----------------------------------------------------------------- real runs


def real_snapshots(ticks: int, agents: int = 4, config: WorldConfig | None = None) -> list[Snapshot]:
    """One snapshot per tick of a run that picks and drops whenever it can, else moves at random."""
    env = ProductionEnv(agents, config or WorldConfig(max_ticks=40))
    _, masks = env.reset_arrays(seed=5)
    rng = np.random.default_rng(5)
    result = [env.snapshot(room="lab", running=True)]
    for _ in range(ticks - 1):
        wanted = np.array(
            [DROP if m[DROP] else PICK if m[PICK] else rng.choice(np.flatnonzero(m)) for m in masks]
        )
        step = env.step_arrays(wanted)
        _, masks = env.reset_arrays() if (step.terminated[0] or step.truncated[0]) else env.observe_arrays()
        result.append(env.snapshot(room="lab", running=True))
    return result


@pytest.mark.parametrize("fold", [1, 2, 5, 17])
def test_a_client_following_folded_deltas_stays_in_step(fold: int) -> None:
    # Many resources and factories fill the 50-entry log, so its window slides in this run.
    config = WorldConfig(max_ticks=60, respawn_probability=1.0, factories=8, initial_resources=20)
    run = real_snapshots(400, 8, config)
    assert len(run[-1]["log"]) == 50 and run[-1]["episode"] > 2
    client = sent = run[0]
    for snapshot in run[fold::fold]:
        delta = json.loads(json.dumps(diff(sent, snapshot)))
        assert "grid" not in delta  # the size never changes, so cells carry even episode resets
        client = apply(client, delta)
        assert as_json(client) == as_json(snapshot), f"The client went wrong at tick {snapshot['tick']}."
        sent = snapshot


def test_one_tick_deltas_are_small() -> None:
    run = real_snapshots(300)
    sizes = [len(json.dumps(diff(a, b), separators=(",", ":"))) for a, b in itertools.pairwise(run)]
    full = len(json.dumps(run[-1], separators=(",", ":")))
    # Four agents that mostly all move each tick: a head and three or four small numbers an
    # agent, plus tick and stats (79 bytes in all; 81 when s began with the products' change,
    # nearly always 0; 93 when rewards and stats travelled whole, with longer keys); whole agent
    # objects or a resent grid would take many times that.
    assert statistics.median(sizes) <= 90 < full / 20
