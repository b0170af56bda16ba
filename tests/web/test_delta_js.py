"""The browser's applyDelta (web/static/js/delta.js) equals env.delta.apply, run by node."""

from __future__ import annotations

import json
import random
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from env.delta import apply, diff
from env.wire import ACTIONS, EVERY_FIELD, GOALS, ID_SHIFT

JS = Path(__file__).resolve().parents[2] / "web" / "static" / "js"
MODULES = ("delta.js", "wire.js")
"""delta.js and the modules it imports."""

RUNNER = """
import { applyDelta } from "./delta.js";
import { readFileSync } from "node:fs";
const cases = JSON.parse(readFileSync(0, "utf8"));
const out = cases.map(({ prev, delta }) => {
  const state = structuredClone(prev);
  try {
    const added = applyDelta(state, delta);
    return { state, added };
  } catch (error) {
    return { error: String(error.message || error) };
  }
});
process.stdout.write(JSON.stringify(out));
"""


def run_node(tmp_path: Path, cases: list[dict[str, Any]]) -> list[dict[str, Any]]:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed")
    for name in MODULES:
        (tmp_path / name).write_text((JS / name).read_text())
    (tmp_path / "package.json").write_text('{"type": "module"}')  # node reads .js files as ES modules
    (tmp_path / "run.mjs").write_text(RUNNER)
    done = subprocess.run(
        [node, "run.mjs"],
        input=json.dumps(cases),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    result: list[dict[str, Any]] = json.loads(done.stdout)
    return result


def snapshot(rng: random.Random, width: int, height: int, tick: int) -> dict[str, Any]:
    agents = []
    for agent_id in sorted(rng.sample(range(8), rng.randint(0, 5))):
        agent: dict[str, Any] = {
            "id": agent_id,
            "x": rng.randrange(width),
            "y": rng.randrange(height),
            "energy": rng.randint(0, 100),
            "carrying": rng.randint(0, 2),
            "reward": rng.choice([0.0, 1.0, round(rng.uniform(-2, 5), 3) + 0.0]),
            "goal": rng.choice(GOALS),
        }
        if rng.random() < 0.8:
            agent["action"] = rng.choice(ACTIONS)
        agents.append(agent)
    log = [
        {"tick": tick - k, "agent": rng.randrange(4), "action": rng.choice(ACTIONS)}
        for k in range(rng.randint(0, 6), 0, -1)
    ]
    return {
        "room": "Factory 1",
        "tick": tick,
        "episode": 1 + tick // 500,
        "running": rng.random() < 0.5,
        "speed": rng.choice([1.0, 0.5, 5.0, "max"]),
        "width": width,
        "height": height,
        "grid": [[rng.choice([0, 0, 0, 1, 2, 3, 4]) for _ in range(width)] for _ in range(height)],
        "legend": {"0": "empty", "1": "wall", "2": "resource", "3": "factory", "4": "charger"},
        "agents": agents,
        "stats": {
            "products_created": rng.randint(0, 9),
            "efficiency": round(rng.random(), 2),
            "total_reward": round(rng.random() * 9, 2),
        },
        "log": log,
    }


def evolve(rng: random.Random, prev: dict[str, Any]) -> dict[str, Any]:
    """A next snapshot: mostly small changes, sometimes a new size or many agents changed."""
    if rng.random() < 0.1:
        return snapshot(rng, rng.randint(3, 8), rng.randint(3, 8), prev["tick"] + 7)
    nxt = json.loads(json.dumps(prev))
    nxt["tick"] += rng.randint(0, 3)
    for _ in range(rng.randint(0, 4)):
        nxt["grid"][rng.randrange(nxt["height"])][rng.randrange(nxt["width"])] = rng.randint(0, 4)
    for agent in nxt["agents"]:
        if rng.random() < 0.5:
            agent["x"] = rng.randrange(nxt["width"])
            agent["energy"] = max(0, agent["energy"] - 1)
            agent["action"] = rng.choice(ACTIONS)
        if rng.random() < 0.2:
            agent["goal"] = rng.choice(GOALS)
        if rng.random() < 0.5:
            agent["reward"] = round(agent["reward"] + rng.choice([0.05, -0.05, 0.1, -0.001, 1.3]), 3) + 0.0
    if nxt["agents"] and rng.random() < 0.2:
        nxt["agents"].pop(rng.randrange(len(nxt["agents"])))
    if rng.random() < 0.2:
        free = sorted(set(range(8)) - {a["id"] for a in nxt["agents"]})
        if free:
            nxt["agents"].append(
                {
                    "id": free[0],
                    "x": 0,
                    "y": 0,
                    "energy": 100,
                    "carrying": 0,
                    "reward": 0.0,
                    "goal": "resource",
                }
            )
            nxt["agents"].sort(key=lambda a: a["id"])
    if rng.random() < 0.7:
        nxt["log"] += [
            {"tick": nxt["tick"], "agent": rng.randrange(4), "action": rng.choice(ACTIONS)}
            for _ in range(rng.randint(0, 4))
        ]
        nxt["log"] = nxt["log"][-rng.randint(0, 6) :] if rng.random() < 0.9 else []
    if rng.random() < 0.3:
        nxt["stats"]["products_created"] += 1
    if rng.random() < 0.5:
        nxt["stats"]["efficiency"] = (
            round(nxt["stats"]["efficiency"] + rng.choice([0.15, -0.01, 0.05]), 2) + 0.0
        )
        nxt["stats"]["total_reward"] = (
            round(nxt["stats"]["total_reward"] + rng.choice([0.05, -0.15, 1.3]), 3) + 0.0
        )
    return nxt


def test_js_apply_equals_python_apply(tmp_path: Path) -> None:
    rng = random.Random(20261129)
    cases = []
    expected = []
    for _ in range(300):
        prev = snapshot(rng, rng.randint(3, 8), rng.randint(3, 8), rng.randint(10, 900))
        for _ in range(4):
            nxt = evolve(rng, prev)
            delta = diff(prev, nxt)
            assert apply(prev, delta) == nxt
            cases.append({"prev": prev, "delta": delta})
            expected.append(nxt)
            prev = nxt
    results = run_node(tmp_path, cases)
    for case, result, nxt in zip(cases, results, expected, strict=True):
        assert "error" not in result, (case, result)
        assert result["state"] == nxt, case
        added = result["added"]
        assert added == nxt["log"][len(nxt["log"]) - len(added) :]


def test_js_apply_refuses_malformed_deltas(tmp_path: Path) -> None:
    rng = random.Random(7)
    prev = snapshot(rng, 4, 4, 100)
    bad: list[dict[str, Any]] = [
        {"l": [101, 0]},  # not rows of three
        {"n": 0},
        {"l": [], "n": len(prev["log"]) + 1},
        {"c": [1, 2, 3]},
        {"a": [EVERY_FIELD, 1, 1, 50, 0, 0, 0]},  # a whole row one value short
        {"a": [9 << ID_SHIFT | 1, 3]},  # a new agent 9 with its x alone
        {"a": [prev["agents"][0]["id"] << ID_SHIFT | 16, 0.5]},  # a reward change not in whole thousandths
        {"a": [prev["agents"][0]["id"] << ID_SHIFT | 64, 3]},  # no such goal code
        {"a": [-3]},
        {"s": []},  # empty: s is absent when no stat changed
        {"s": [0, 0, 0, 0]},  # four changes of three stats
        {"s": [0.5]},  # an efficiency change not in whole hundredths
    ]
    results = run_node(tmp_path, [{"prev": prev, "delta": delta} for delta in bad])
    for delta, result in zip(bad, results, strict=True):
        assert "error" in result, delta
        with pytest.raises(ValueError):
            apply(prev, delta)


def test_js_changes_add_in_whole_units(tmp_path: Path) -> None:
    prev = snapshot(random.Random(3), 4, 4, 100)
    assert prev["agents"], "the case needs an agent"
    first = prev["agents"][0]
    first["reward"] = prev["stats"]["total_reward"] = 10.55
    delta = {"s": [0, 50], "a": [first["id"] << ID_SHIFT | 16, 50]}
    expected = apply(prev, delta)
    assert expected["agents"][0]["reward"] == expected["stats"]["total_reward"] == 10.6
    [result] = run_node(tmp_path, [{"prev": prev, "delta": delta}])
    assert result["state"] == expected  # not 10.600000000000001, which adding 0.05 gives


def test_js_refuses_a_stats_change_that_is_not_an_int(tmp_path: Path) -> None:
    prev = snapshot(random.Random(3), 4, 4, 100)
    delta = {"s": [0.5, 0]}
    [result] = run_node(tmp_path, [{"prev": prev, "delta": delta}])
    message = "The delta's 's' change 0.5 to efficiency is not an int, a whole number of 1/100ths."
    assert result == {"error": message}
    with pytest.raises(ValueError, match=re.escape(message)):
        apply(prev, delta)


def test_js_takes_the_stats_changes_in_their_order_with_zeros_at_the_end_left_out(tmp_path: Path) -> None:
    prev = snapshot(random.Random(3), 4, 4, 100)
    prev["stats"] = {"products_created": 3, "efficiency": 1.74, "total_reward": 2.52}
    deltas = [{"s": [-2, 100, 1]}, {"s": [0, 50]}, {"s": [0, 50, 0]}, {"s": [0, 0, 1]}]
    expected = [
        {"products_created": 4, "efficiency": 1.72, "total_reward": 2.62},
        {"products_created": 3, "efficiency": 1.74, "total_reward": 2.57},
        {"products_created": 3, "efficiency": 1.74, "total_reward": 2.57},
        {"products_created": 4, "efficiency": 1.74, "total_reward": 2.52},
    ]
    results = run_node(tmp_path, [{"prev": prev, "delta": delta} for delta in deltas])
    for delta, result, stats in zip(deltas, results, expected, strict=True):
        assert result["state"]["stats"] == apply(prev, delta)["stats"] == stats, delta


@pytest.mark.parametrize(("changes", "shown"), [([], "[]"), ([0, 0, 0, 1], "[0,0,0,1]")])
def test_js_refuses_an_empty_or_too_long_s(tmp_path: Path, changes: list[int], shown: str) -> None:
    prev = snapshot(random.Random(3), 4, 4, 100)
    [result] = run_node(tmp_path, [{"prev": prev, "delta": {"s": changes}}])
    assert result == {"error": f"The delta's 's' holds {shown}, not 1 to 3 changes."}
    with pytest.raises(
        ValueError, match=re.escape(f"The delta's 's' holds {changes!r}, not 1 to 3 changes.")
    ):
        apply(prev, {"s": changes})
