"""env.wire: its constants hold together, Snapshots are written in its orders, and the browser's
copy of it (web/static/js/wire.js) is what ``python -m env.wire_js`` makes of it now."""

from __future__ import annotations

from pathlib import Path

import pytest

from env import config, wire, wire_js
from env.config import ACTION_NAMES
from env.parallel import ProductionEnv


def test_the_browsers_wire_js_is_current() -> None:
    assert wire_js.JS_PATH.read_text() == wire_js.module_text(), (
        f"{wire_js.JS_PATH} is stale: run {wire_js.COMMAND} (from the repository's root) and commit it."
    )


def test_check_tells_a_stale_file_from_a_current_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "wire.js"
    assert wire_js.main(["--check", "--out", str(out)]) == 1  # missing
    assert wire_js.main(["--out", str(out)]) == 0
    assert out.read_text() == wire_js.module_text()
    assert wire_js.main(["--check", "--out", str(out)]) == 0
    out.write_text(out.read_text().replace('"a"', '"b"'))
    assert wire_js.main(["--check", "--out", str(out)]) == 1
    assert f"is stale: run {wire_js.COMMAND}" in capsys.readouterr().err


def test_wire_js_exports_every_constant_with_its_doc() -> None:
    names = [name for name, _ in wire_js.constants()]
    assert names == [name for name in vars(wire) if name.isupper() and not hasattr(config, name)]
    text = wire_js.module_text()
    for name, doc in wire_js.constants():
        assert doc, f"env.wire.{name} has no docstring"
        assert f"export const {name} = " in text
    assert "export const ID_SHIFT = 7;" in text
    assert 'export const GOALS = Object.freeze(["resource", "factory", "charger"]);' in text
    assert 'export const STATS_SCALES = Object.freeze({"products_created": 1, "efficiency": 100' in text


def test_wire_js_refuses_what_javascript_constants_cannot_hold(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(wire, "REWARD_SCALE", 1000.0)
    with pytest.raises(TypeError, match=r"env\.wire\.REWARD_SCALE is 1000\.0"):
        wire_js.module_text()


def test_the_constants_hold_together() -> None:
    assert set(wire.DELTA_KEYS) & set(wire.SNAPSHOT_FIELDS) == {wire.GRID}
    assert len(set(wire.DELTA_KEYS)) == len(wire.DELTA_KEYS)
    assert wire.EVERY_FIELD < 1 << wire.ID_SHIFT, "a row's mask must fit below its id"
    assert wire.ACTIONS[: len(ACTION_NAMES)] == ACTION_NAMES  # an agent's action code is its action
    assert [wire.ACTION_CODES[name] for name in wire.ACTIONS] == list(range(len(wire.ACTIONS)))
    assert sorted(wire.CHANGED_STATS) == sorted(wire.STATS_FIELDS) == sorted(wire.STATS_SCALES)
    assert wire.ROW_FIELDS[wire.REWARD_AT] == "reward"
    assert [wire.GOAL_CODES[name] for name in wire.GOALS] == list(range(len(wire.GOALS)))
    assert set(wire.GOALS) <= set(config.CELL_NAMES.values())  # named as the legend names cells


def test_snapshots_are_written_in_the_wire_orders() -> None:
    env = ProductionEnv(4)
    env.reset(seed=3)
    for _ in range(40):
        env.step(dict.fromkeys(env.agents, 5))  # pick: most are refused, some log entries come
        env.step({agent: 1 + (env.tick + i) % 4 for i, agent in enumerate(env.agents)})
    snapshot = env.snapshot()
    assert tuple(snapshot) == wire.SNAPSHOT_FIELDS
    assert all(tuple(agent) == wire.AGENT_FIELDS for agent in snapshot["agents"])
    assert tuple(snapshot["stats"]) == wire.STATS_FIELDS
    assert snapshot["log"] and all(tuple(entry) == wire.LOG_FIELDS for entry in snapshot["log"])
