"""`simrooms export`: a stored room's episodes from the database of a stopped server (and beside a
running one), as CSV, JSON Lines and TensorBoard events read back with TensorBoard's own reader."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
from tensorboard.plugins.hparams import plugin_data_pb2

from tests.support.server import STEPPING, Clients, Server, make_room, simrooms


@pytest.fixture(scope="module")
def stored(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, str]]:
    """A data dir whose server ran a room (max_ticks 120) through three reset episodes, then
    stopped; the room's name."""
    server = Server(tmp_path_factory.mktemp("export"), STEPPING)
    connect = Clients(server)
    alice = connect("alice")
    name = make_room(alice, prefix="Export", config={"world": {"max_ticks": 120}})
    for steps in (3, 2, 4):
        for _ in range(steps):
            alice.ok("step_game", {"room": name})
        alice.ok("reset_game", {"room": name})
    # Beside a running server the episodes are there already (written by its archive, read in WAL).
    running = simrooms("export", name, "--format", "jsonl", "--out", "-", "--data-dir", str(server.data_dir))
    assert running.returncode == 0, running.stderr
    assert len(running.stdout.splitlines()) == 3
    connect.close()
    assert server.stop() == 0
    yield server, name


def export(server: Server, *args: str) -> tuple[int, str]:
    done = simrooms("export", *args, "--data-dir", str(server.data_dir))
    return done.returncode, done.stderr


def test_csv_has_the_episodes_and_the_config_as_dotted_columns(
    stored: tuple[Server, str], tmp_path: Path
) -> None:
    server, name = stored
    out = tmp_path / "episodes.csv"
    code, said = export(server, name.upper(), "--format", "csv", "--out", str(out))
    assert code == 0, said
    assert "3 episodes" in said
    rows = list(csv.DictReader(io.StringIO(out.read_text())))
    assert [(r["episode"], r["end_tick"], r["reason"]) for r in rows] == [
        ("1", "3", "reset"),
        ("2", "5", "reset"),
        ("3", "9", "reset"),
    ]
    header = out.read_text().splitlines()[0].split(",")
    assert header[:6] == ["episode", "end_tick", "reason", "products_created", "total_reward", "efficiency"]
    assert {r["world.max_ticks"] for r in rows} == {"120"}
    assert {r["learner.learning_rate"] for r in rows} and "world.width" in header


def test_jsonl_has_one_object_per_episode(stored: tuple[Server, str], tmp_path: Path) -> None:
    server, name = stored
    out = tmp_path / "episodes.jsonl"
    code, said = export(server, name, "--format", "jsonl", "--out", str(out))
    assert code == 0, said
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert [row["episode"] for row in rows] == [1, 2, 3]
    assert all(row["world.max_ticks"] == 120 and isinstance(row["total_reward"], float) for row in rows)


def test_tensorboard_events_read_back_with_tensorboard(stored: tuple[Server, str], tmp_path: Path) -> None:
    server, name = stored
    out = tmp_path / "run"
    code, said = export(server, name, "--format", "tensorboard", "--out", str(out))
    assert code == 0, said
    events = EventAccumulator(str(out))
    events.Reload()
    tags = events.Tags()["scalars"]
    for figure in ("products_created", "total_reward", "efficiency", "end_tick"):
        assert f"episode/{figure}" in tags
    ends = events.Scalars("episode/end_tick")
    assert [(e.step, e.value) for e in ends] == [(1, 3.0), (2, 5.0), (3, 9.0)]
    content = events.PluginTagToContent("hparams")["_hparams_/session_start_info"]
    start = plugin_data_pb2.HParamsPluginData.FromString(content).session_start_info
    assert start.hparams["world.max_ticks"].number_value == 120
    assert start.hparams["policy"].string_value == "heuristic"


def test_an_unknown_room_is_one_line_and_exit_1(stored: tuple[Server, str], tmp_path: Path) -> None:
    server, _ = stored
    code, said = export(server, "no-such-room", "--out", str(tmp_path / "x.csv"))
    assert code == 1
    assert said.strip().count("\n") == 0 and "'no-such-room'" in said
    assert not (tmp_path / "x.csv").exists()


def test_a_data_dir_without_a_database_is_refused(tmp_path: Path) -> None:
    done = simrooms("export", "room", "--out", str(tmp_path / "x.csv"), "--data-dir", str(tmp_path / "empty"))
    assert done.returncode == 1 and "no database" in done.stderr
    assert not (tmp_path / "empty").exists()
