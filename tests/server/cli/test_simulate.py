"""`simrooms simulate` run as a user runs it (the OpenBLAS preload of its entry point: test_blas.py)."""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from server.cli.blas import OPT_OUT, find_openblas
from tests.support.server import simrooms

CONSOLE_SCRIPT = Path(sys.executable).with_name("simrooms")


def simulate(
    *args: str, env: dict[str, str] | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    return simrooms("simulate", *args, env=env, timeout=timeout)


def simulate_json(*args: str, env: dict[str, str] | None = None) -> dict[str, Any]:
    done = simulate(*args, "--json", env=env)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert len(lines) == 1, f"stdout must hold exactly one JSON line, got: {done.stdout!r}"
    result: dict[str, Any] = json.loads(lines[0])
    return result


FIELDS: dict[str, type | tuple[type, ...]] = {
    "ticks": int,
    "episodes": int,
    "products_created": int,
    "total_reward": (int, float),
    "agent_steps_per_second": (int, float),
    "recent_products_per_episode": (int, float),
    "state_sha256": str,
    "seed": int,
    "policy": str,
    "agents": int,
    "blas": str,
    "config": dict,
}


@pytest.mark.parametrize("policy", ["heuristic", "random"])
def test_json_has_every_field_typed(policy: str) -> None:
    result = simulate_json("--agents", "3", "--policy", policy, "--seed", "5", "--ticks", "600")
    for name, kind in FIELDS.items():
        assert isinstance(result[name], kind), f"{name} = {result[name]!r} is not {kind}"
        assert not isinstance(result[name], bool), name
    assert (result["ticks"], result["agents"], result["policy"], result["seed"]) == (600, 3, policy, 5)
    assert len(result["state_sha256"]) == 64
    int(result["state_sha256"], 16)
    assert result["agent_steps_per_second"] > 0
    assert result["episodes"] >= 0 and result["products_created"] >= 0
    assert result["blas"] in ("openblas", "reference")


def test_heuristic_produces_and_counts_the_whole_run() -> None:
    # 600 ticks cross at least one episode end, so finished and current episodes both count.
    result = simulate_json("--agents", "4", "--policy", "heuristic", "--seed", "2", "--ticks", "600")
    assert result["episodes"] >= 1
    assert result["products_created"] >= result["recent_products_per_episode"] > 0
    assert result["total_reward"] > 0


@pytest.mark.parametrize("policy", ["heuristic", "random", "learning"])
def test_equal_seeds_give_equal_states_and_different_seeds_differ(policy: str) -> None:
    ticks = "300"
    first = simulate_json("--agents", "4", "--policy", policy, "--seed", "11", "--ticks", ticks)
    again = simulate_json("--agents", "4", "--policy", policy, "--seed", "11", "--ticks", ticks)
    other = simulate_json("--agents", "4", "--policy", policy, "--seed", "12", "--ticks", ticks)
    assert first["state_sha256"] == again["state_sha256"]
    assert first["products_created"] == again["products_created"]
    assert first["total_reward"] == again["total_reward"]
    assert other["state_sha256"] != first["state_sha256"]


def test_without_seed_reports_the_entropy_it_drew_and_reruns_equal() -> None:
    drawn = simulate_json("--policy", "random", "--ticks", "50")
    again = simulate_json("--policy", "random", "--ticks", "50", "--seed", str(drawn["seed"]))
    assert again["state_sha256"] == drawn["state_sha256"]


def test_human_output_is_a_table_of_the_same_figures() -> None:
    done = simulate("--agents", "2", "--policy", "heuristic", "--seed", "1", "--ticks", "100")
    assert done.returncode == 0, done.stderr
    keys = [line.split()[0] for line in done.stdout.splitlines()]
    assert set(FIELDS) <= set(keys)


@pytest.mark.parametrize(
    ("args", "bad"),
    [
        (["--agents", "9"], "9"),
        (["--agents", "0"], "0"),
        (["--agents", "four"], "four"),
        (["--policy", "greedy"], "greedy"),
        (["--ticks", "0"], "0"),
        (["--ticks", "-5"], "-5"),
        (["--seed", "-1"], "-1"),
        (["--seed", "abc"], "abc"),
        (["--policy", "random", "--per-agent-networks"], "random"),
        (["--policy", "heuristic", "--checkpoint-out", "x.safetensors"], "heuristic"),
    ],
)
def test_bad_arguments_exit_non_zero_with_one_line_naming_the_value(args: list[str], bad: str) -> None:
    full = ["--ticks", "10", *args] if "--ticks" not in args else args
    done = simulate(*full, "--json")
    assert done.returncode != 0
    assert done.stdout == ""
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert bad in lines[0] and "error" in lines[0]


def test_missing_ticks_is_named() -> None:
    done = simulate("--policy", "random")
    assert done.returncode != 0
    assert done.stderr.strip().splitlines() == [
        "simrooms simulate: error: the following arguments are required: --ticks"
    ]


@pytest.mark.slow
def test_long_runs_show_progress_on_stderr_only() -> None:
    done = simulate("--agents", "1", "--policy", "random", "--seed", "1", "--ticks", "10000", "--json")
    assert done.returncode == 0, done.stderr
    assert "10000/10000" in done.stderr
    assert json.loads(done.stdout)["ticks"] == 10000


def test_console_script_is_installed() -> None:
    assert CONSOLE_SCRIPT.exists(), f"{CONSOLE_SCRIPT} is missing: install the project with pip install -e ."
    done = subprocess.run(
        [str(CONSOLE_SCRIPT), "simulate", "--policy", "random", "--ticks", "20", "--seed", "1", "--json"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["ticks"] == 20


@pytest.mark.skipif(find_openblas() is None, reason="Debian's libopenblas0-pthread is not installed")
def test_simulate_runs_on_openblas_when_installed_and_reference_when_opted_out() -> None:
    base = {k: v for k, v in os.environ.items() if k not in ("LD_PRELOAD", OPT_OUT)}
    args = ("--agents", "2", "--policy", "heuristic", "--seed", "1", "--ticks", "20")
    assert simulate_json(*args, env=base)["blas"] == "openblas"
    assert simulate_json(*args, env={**base, OPT_OUT: "1"})["blas"] == "reference"


CONFIG = {
    "world": {"max_ticks": 60, "width": 12, "height": 12, "wall_segments": 3},
    "learner": {"learning_rate": 0.005},
}
CONFIG_TOML = """
[world]
max_ticks = 60
width = 12
height = 12
wall_segments = 3

[learner]
learning_rate = 0.005
"""


def _config_file(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def test_a_config_in_json_or_toml_runs_the_room_it_describes(tmp_path: Path) -> None:
    run = ("--agents", "3", "--policy", "learning", "--seed", "4", "--ticks", "200")
    from_json = simulate_json(*run, "--config", _config_file(tmp_path, "room.json", json.dumps(CONFIG)))
    from_toml = simulate_json(*run, "--config", _config_file(tmp_path, "room.toml", CONFIG_TOML))
    again = simulate_json(*run, "--config", _config_file(tmp_path, "again.json", json.dumps(CONFIG)))
    plain = simulate_json(*run)
    assert from_json["state_sha256"] == from_toml["state_sha256"] == again["state_sha256"]
    assert from_json["config"] == from_toml["config"]
    assert plain["state_sha256"] != from_json["state_sha256"]
    assert from_json["episodes"] >= 3 > plain["episodes"], "60-tick episodes"
    world, learner = from_json["config"]["world"], from_json["config"]["learner"]
    assert (world["max_ticks"], world["width"], world["height"], learner["learning_rate"]) == (
        60,
        12,
        12,
        0.005,
    )
    assert world["view_radius"] == 3 and learner["rollout_ticks"] == 128, "every default filled in"


def test_the_json_holds_the_whole_config_defaults_without_one() -> None:
    from agents.learning_config import LearningConfig
    from env.config import WorldConfig

    result = simulate_json("--policy", "random", "--seed", "1", "--ticks", "10")
    expected = {"world": dataclasses.asdict(WorldConfig()), "learner": dataclasses.asdict(LearningConfig())}
    assert result["config"] == json.loads(json.dumps(expected))


def test_the_learning_rate_of_a_config_changes_the_run_and_only_it(tmp_path: Path) -> None:
    run = ("--agents", "2", "--policy", "learning", "--seed", "9", "--ticks", "300")
    slow = simulate_json(
        *run, "--config", _config_file(tmp_path, "a.json", '{"learner": {"learning_rate": 0.0001}}')
    )
    fast = simulate_json(
        *run, "--config", _config_file(tmp_path, "b.json", '{"learner": {"learning_rate": 0.01}}')
    )
    assert slow["state_sha256"] != fast["state_sha256"]
    assert slow["config"]["world"] == fast["config"]["world"]


@pytest.mark.parametrize(
    ("name", "text", "policy", "named"),
    [
        ("bad.json", '{"world": {"max_ticks": 20}}', "heuristic", "world.max_ticks = 20"),
        ("bad.toml", "[world]\nmax_ticks = 20000\n", "heuristic", "world.max_ticks = 20000"),
        ("bad.json", '{"world": {"max_tick": 60}}', "heuristic", "world.max_tick"),
        ("bad.json", '{"learner": {"learning_rate": 0.5}}', "learning", "learner.learning_rate = 0.5"),
        ("bad.json", '{"world": {"max_ticks": "60"}}', "heuristic", 'world.max_ticks = "60"'),
        ("bad.json", '{"learner": {}}', "heuristic", "does not learn"),
        ("bad.json", '{"world": ', "heuristic", "not valid JSON"),
        ("bad.toml", "[world\n", "heuristic", "not valid TOML"),
        ("absent.json", None, "heuristic", "absent.json"),
    ],
)
def test_a_bad_config_is_one_usage_line_naming_the_field_and_value(
    tmp_path: Path, name: str, text: str | None, policy: str, named: str
) -> None:
    path = _config_file(tmp_path, name, text) if text is not None else str(tmp_path / name)
    done = simulate("--ticks", "10", "--policy", policy, "--config", path, "--json")
    assert done.returncode == 2
    assert done.stdout == ""
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("simrooms simulate: error: ") and named in lines[0]


def test_the_human_table_shows_the_configs_differences(tmp_path: Path) -> None:
    path = _config_file(tmp_path, "room.json", '{"world": {"max_ticks": 80}}')
    done = simulate("--policy", "heuristic", "--seed", "1", "--ticks", "10", "--config", path)
    assert done.returncode == 0, done.stderr
    rows = dict(line.split(None, 1) for line in done.stdout.splitlines())
    assert rows["config"] == "world.max_ticks=80"
