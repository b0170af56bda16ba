"""The tracker thread on its own: a slow store drops instead of waiting, a failing store is
counted and logged once, mlflow missing is said in the log, and a real MLflow store (SQLite) gets one
run per room read back with mlflow's own client."""

from __future__ import annotations

import datetime as dt
import logging
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

from server.settings import Settings
from server.storage.records import EpisodeRecord, RoomRecord
from server.tracking.stores import MlflowStore, TensorBoardStore, load_mlflow
from server.tracking.tracker import Tracker, open_stores
from simrooms.config import RoomConfig

ROOM = RoomRecord(
    id=7,
    key="room-a",
    name="Room-A",
    owner_id=1,
    owner="alice",
    agents=4,
    policy="heuristic",
    seed="3",
    config=RoomConfig.model_validate({"world": {"max_ticks": 120}}).whole(),
    public=True,
    speed=1.0,
    running=True,
    created_at=dt.datetime.now(dt.UTC),
    forked_from=None,
    fork_tick=None,
    grants=frozenset(),
)


class FakeStorage:
    """What the tracker asks of storage: one room, by id."""

    def room_by_id(self, room_id: int) -> RoomRecord | None:
        return ROOM if room_id == ROOM.id else None

    def dispose_thread(self) -> None:
        pass


def episode(number: int) -> EpisodeRecord:
    return EpisodeRecord(number, 10 * number, "reset", number, 1.5 * number, 0.25, {}, {"loss": 0.1})


class Recording:
    name = "recording"

    def __init__(self, wait: threading.Event | None = None, fail: bool = False) -> None:
        self.rows: list[dict[str, Any]] = []
        self.wait, self.fail = wait, fail

    def log(self, room: RoomRecord, config: dict[str, Any], row: dict[str, Any]) -> None:
        if self.wait is not None:
            self.wait.wait(10)
        if self.fail:
            raise OSError("the store is gone")
        self.rows.append({"room": room.name, "max_ticks": config["world"]["max_ticks"], **row})

    def flush(self) -> None:
        pass

    def close(self) -> None:
        pass


def tracker(*stores: Any, capacity: int = 10_000) -> Tracker:
    return Tracker(FakeStorage(), stores=stores, capacity=capacity)  # type: ignore[arg-type]


def test_episodes_reach_every_store_with_the_room_and_config() -> None:
    store = Recording()
    track = tracker(store)
    track.start()
    track.offer(ROOM.id, [episode(1), episode(2)])
    track.offer(99, [episode(1)])  # a room storage does not know: skipped
    track.close()
    assert [(r["room"], r["episode"], r["max_ticks"], r["loss"]) for r in store.rows] == [
        ("Room-A", 1, 120, 0.1),
        ("Room-A", 2, 120, 0.1),
    ]
    assert track.logged == 3 and track.dropped == 0 and track.error_count == 0


def test_a_slow_store_drops_episodes_and_never_makes_the_caller_wait() -> None:
    release = threading.Event()
    track = tracker(Recording(wait=release), capacity=5)
    track.start()
    started = time.perf_counter()
    for number in range(1, 51):
        track.offer(ROOM.id, [episode(number)])
    took = time.perf_counter() - started
    release.set()
    track.close()
    assert took < 0.05, f"offering 50 episodes to a stuck store took {took:.3f} s"
    assert track.dropped >= 50 - 5 - 1
    assert track.logged + track.dropped == 50


def test_a_failing_store_is_counted_every_time_and_logged_once(caplog: pytest.LogCaptureFixture) -> None:
    good, bad = Recording(), Recording(fail=True)
    bad.name = "broken"
    track = tracker(bad, good)
    track.start()
    with caplog.at_level(logging.ERROR, logger="server.tracking.tracker"):
        track.offer(ROOM.id, [episode(n) for n in range(1, 5)])
        track.close()
    assert track.errors == {"broken": 4}
    assert len(good.rows) == 4, "the other store goes on"
    said = [r for r in caplog.records if "Tracking to broken failed" in r.getMessage()]
    assert len(said) == 1 and said[0].exc_info is not None


def test_the_log_says_so_when_mlflow_is_missing(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setitem(sys.modules, "mlflow", None)  # import mlflow raises ImportError
    with caplog.at_level(logging.ERROR):
        assert load_mlflow() is None
        assert open_stores(Settings(mlflow_tracking_uri="file:///tmp/nowhere")) == []
    messages = [r.getMessage() for r in caplog.records]
    assert any("SIMROOMS_MLFLOW_TRACKING_URI is set, but mlflow cannot be imported" in m for m in messages)
    assert any("simrooms[mlflow]" in m for m in messages)


def test_tensorboard_store_one_run_directory_per_room(tmp_path: Path) -> None:
    store = TensorBoardStore(tmp_path, max_open=1)
    other = RoomRecord(**{**ROOM.__dict__, "id": 8, "name": "Room B"})
    for number in (1, 2):
        store.log(ROOM, ROOM.config, {"episode": number, "products_created": number, "reason": "reset"})
        store.log(other, other.config, {"episode": number, "products_created": 10 * number})
    store.close()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["Room-A-7", "Room_B-8"]
    events = EventAccumulator(str(tmp_path / "Room_B-8"))
    events.Reload()
    assert [(e.step, e.value) for e in events.Scalars("episode/products_created")] == [(1, 10.0), (2, 20.0)]


def test_a_renamed_room_goes_on_in_its_tensorboard_run_directory(tmp_path: Path) -> None:
    first = TensorBoardStore(tmp_path)
    first.log(ROOM, ROOM.config, {"episode": 1, "products_created": 1})
    first.close()
    renamed = RoomRecord(**{**ROOM.__dict__, "name": "Room C"})
    store = TensorBoardStore(tmp_path)  # as after a restart, when the record has the new name
    store.log(renamed, renamed.config, {"episode": 2, "products_created": 2})
    store.close()
    assert [p.name for p in tmp_path.iterdir()] == ["Room-A-7"]
    events = EventAccumulator(str(tmp_path / "Room-A-7"))
    events.Reload()
    assert [e.step for e in events.Scalars("episode/products_created")] == [1, 2]


def test_mlflow_store_one_run_per_room_read_back(tmp_path: Path) -> None:
    mlflow = pytest.importorskip("mlflow")
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    store = MlflowStore(uri, load_mlflow())
    track = tracker(store)
    track.start()
    track.offer(ROOM.id, [episode(1), episode(2), episode(3)])
    track.close()
    assert track.error_count == 0, track.errors
    client = mlflow.tracking.MlflowClient(tracking_uri=uri)
    experiment = client.get_experiment_by_name("simrooms")
    runs = client.search_runs([experiment.experiment_id])
    assert len(runs) == 1
    run = runs[0]
    assert run.data.params["world.max_ticks"] == "120" and run.data.params["policy"] == "heuristic"
    history = client.get_metric_history(run.info.run_id, "episode/products_created")
    assert sorted((m.step, m.value) for m in history) == [(1, 1.0), (2, 2.0), (3, 3.0)]
    # A restarted server goes on with the room's run.
    again = tracker(MlflowStore(uri, load_mlflow()))
    again.start()
    again.offer(ROOM.id, [episode(4)])
    again.close()
    assert len(client.search_runs([experiment.experiment_id])) == 1
    assert len(client.get_metric_history(run.info.run_id, "episode/products_created")) == 4
