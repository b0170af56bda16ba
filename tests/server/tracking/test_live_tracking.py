"""Live tracking against a real server: each room's finished episodes appear in its TensorBoard
run as they end (read back with TensorBoard's own reader), and a tracking dir that cannot be
written leaves the rooms stepping while the log and /metrics say so."""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

import pytest
import requests
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
from tensorboard.plugins.hparams import plugin_data_pb2

from tests.support.server import STEPPING, Client, Clients, Server, make_room


def end_episodes(client: Client, name: str, lengths: tuple[int, ...]) -> None:
    for steps in lengths:
        for _ in range(steps):
            client.ok("step_game", {"room": name})
        client.ok("reset_game", {"room": name})


def metric(server: Server, name: str) -> float:
    text = requests.get(server.url + "/metrics", timeout=30).text
    found = re.search(rf"^{name} (\S+)$", text, re.MULTILINE)
    assert found, f"{name} is not in /metrics"
    return float(found.group(1))


def wait_for(predicate: Any, what: str, timeout: float = 20.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"{what} within {timeout} s")


def test_every_finished_episode_reaches_the_room_s_tensorboard_run(tmp_path: Path) -> None:
    runs = tmp_path / "tensorboard"
    server = Server(tmp_path / "data", {**STEPPING, "SIMROOMS_TENSORBOARD_DIR": str(runs)})
    connect = Clients(server)
    try:
        alice = connect("alice")
        first = make_room(alice, prefix="Tracked", config={"world": {"max_ticks": 150}})
        second = make_room(alice, prefix="Other", policy="random")
        end_episodes(alice, first, (3, 2, 4))
        end_episodes(alice, second, (5,))

        def steps(room: str, count: int) -> EventAccumulator | None:
            found = [p for p in runs.glob("*") if p.name.startswith(room)] if runs.is_dir() else []
            if len(found) != 1:
                return None
            events = EventAccumulator(str(found[0]))
            events.Reload()
            if "episode/end_tick" not in events.Tags()["scalars"]:
                return None
            return events if len(events.Scalars("episode/end_tick")) == count else None

        events = wait_for(lambda: steps(first, 3), f"3 episodes of {first} in TensorBoard")
        assert [(e.step, e.value) for e in events.Scalars("episode/end_tick")] == [
            (1, 3.0),
            (2, 5.0),
            (3, 9.0),
        ]
        for figure in ("products_created", "total_reward", "efficiency"):
            assert len(events.Scalars(f"episode/{figure}")) == 3
        content = events.PluginTagToContent("hparams")["_hparams_/session_start_info"]
        start = plugin_data_pb2.HParamsPluginData.FromString(content).session_start_info
        assert start.hparams["world.max_ticks"].number_value == 150
        other = wait_for(lambda: steps(second, 1), f"the episode of {second} in TensorBoard")
        assert [e.step for e in other.Scalars("episode/products_created")] == [1]
        assert len(list(runs.iterdir())) == 2, "one run per room"
        assert metric(server, "simrooms_tracking_logged") == 4
        assert metric(server, "simrooms_tracking_dropped") == 0
        assert metric(server, "simrooms_tracking_errors") == 0
    finally:
        connect.close()
        assert server.stop() == 0


def test_a_tracking_dir_that_cannot_be_written_never_stops_a_room(tmp_path: Path) -> None:
    blocked = tmp_path / "not-a-dir"
    blocked.write_text("a file where the tracking dir should be\n")
    server = Server(tmp_path / "data", {**STEPPING, "SIMROOMS_TENSORBOARD_DIR": str(blocked)})
    connect = Clients(server)
    try:
        alice = connect("alice")
        name = make_room(alice)
        end_episodes(alice, name, (2, 2, 2))
        wait_for(lambda: metric(server, "simrooms_tracking_errors") >= 3, "3 tracking errors in /metrics")
        alice.ok("start_game", {"room": name})
        tick = alice.ok("get_state", {"room": name})["state"]["tick"]
        wait_for(
            lambda: alice.ok("get_state", {"room": name})["state"]["tick"] > tick + 5, "the room stepping on"
        )
        said = [line for line in server.log().splitlines() if "Tracking to tensorboard failed" in line]
        assert len(said) == 1, server.log()
        assert metric(server, "simrooms_tracking_dropped") == 0
    finally:
        connect.close()
        assert server.stop() == 0


def test_mlflow_gets_one_run_per_room(tmp_path: Path) -> None:
    mlflow = pytest.importorskip("mlflow")
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    server = Server(tmp_path / "data", {**STEPPING, "SIMROOMS_MLFLOW_TRACKING_URI": uri})
    connect = Clients(server)
    try:
        alice = connect("alice")
        name = make_room(alice, config={"world": {"max_ticks": 200}})
        end_episodes(alice, name, (3, 3))
        wait_for(lambda: metric(server, "simrooms_tracking_logged") == 2, "2 episodes handed to MLflow")
    finally:
        connect.close()
        assert server.stop() == 0
    client = mlflow.tracking.MlflowClient(tracking_uri=uri)
    runs = client.search_runs([client.get_experiment_by_name("simrooms").experiment_id])
    assert len(runs) == 1 and runs[0].data.tags["simrooms.room"] == name
    assert runs[0].data.params["world.max_ticks"] == "200"
    history = client.get_metric_history(runs[0].info.run_id, "episode/end_tick")
    assert sorted((m.step, m.value) for m in history) == [(1, 3.0), (2, 6.0)]
    assert runs[0].info.status == "FINISHED", "the run ends when the server stops"


def test_the_log_says_so_when_mlflow_is_not_installed(tmp_path: Path) -> None:
    shadow = tmp_path / "shadow" / "mlflow"
    shadow.mkdir(parents=True)
    (shadow / "__init__.py").write_text("raise ImportError(\"No module named 'mlflow'\")\n")
    server = Server(
        tmp_path / "data",
        {
            **STEPPING,
            "SIMROOMS_MLFLOW_TRACKING_URI": f"sqlite:///{tmp_path / 'mlflow.db'}",
            "PYTHONPATH": str(shadow.parent),
        },
    )
    try:
        said = wait_for(
            lambda: [line for line in server.log().splitlines() if "mlflow cannot be imported" in line],
            "the missing mlflow said in the log",
        )
        assert "simrooms[mlflow]" in said[0]
        assert metric(server, "simrooms_tracking_errors") == 1
    finally:
        assert server.stop() == 0
