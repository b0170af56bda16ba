"""The tracking stores: where live tracking (server.tracking.tracker) logs a room's episodes.

A store keeps one run per room: ``log(room, config, row)`` adds one finished episode to the run
of `room` (opening it, with the config as hyper-parameters, the first time), ``flush`` makes what
was logged visible, ``close`` ends every run. Stores run on the tracker's thread only, so they
need no locks; any exception they raise is the tracker's to count.
"""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from pathlib import Path
from typing import Any, Protocol

from server.episodes import figures, hyperparameters
from server.storage.records import RoomRecord
from server.tracking.tensorboard import TAG_PREFIX, TensorBoardRun

log = logging.getLogger(__name__)

MLFLOW_EXPERIMENT = "simrooms"
"""The MLflow experiment every room's run goes in."""
ROOM_TAG = "simrooms.room_id"
"""The MLflow tag naming a run's stored room: a restarted server goes on with the same run."""
MLFLOW_BATCH = 100
"""MLflow's log_batch takes at most 100 params at once."""


class Store(Protocol):
    name: str
    """What the log and /metrics call it: "tensorboard", "mlflow"."""

    def log(self, room: RoomRecord, config: dict[str, Any], row: dict[str, Any]) -> None: ...

    def flush(self) -> None: ...

    def close(self) -> None: ...


def run_name(room: RoomRecord) -> str:
    """A room's run: its name (letters, digits, - and _ kept) and its record id, since a deleted
    room's name may be taken again by a new room, which is another run."""
    safe = "".join(c if c.isalnum() or c in "-_" else "_" for c in room.name)
    return f"{safe}-{room.id}"


class TensorBoardStore:
    """A subdirectory of `directory` per room (``NAME-ID``), read by ``tensorboard --logdir``.

    At most `max_open` event files stay open (rooms beyond that reopen theirs: TensorBoard reads
    every event file of a run's directory as one run), so hundreds of rooms hold no more file
    handles than that."""

    name = "tensorboard"

    def __init__(self, directory: Path, max_open: int = 64) -> None:
        self.directory = directory
        self.max_open = max_open
        self._runs: OrderedDict[int, TensorBoardRun] = OrderedDict()
        self._dirty: set[int] = set()

    def log(self, room: RoomRecord, config: dict[str, Any], row: dict[str, Any]) -> None:
        run = self._runs.get(room.id)
        if run is None:
            # A renamed room goes on in the directory named when it was first tracked.
            named = sorted(self.directory.glob(f"*-{room.id}"))
            target = named[0] if named else self.directory / run_name(room)
            first = not any(target.glob("events.out.tfevents.*")) if target.is_dir() else True
            run = TensorBoardRun(target)
            self._runs[room.id] = run
            if first:
                run.hyperparameters(hyperparameters(config, room), figures(row), finished=False)
            while len(self._runs) > self.max_open:
                room_id, oldest = self._runs.popitem(last=False)
                self._dirty.discard(room_id)
                oldest.close()
        self._runs.move_to_end(room.id)
        run.episode(row)
        self._dirty.add(room.id)

    def flush(self) -> None:
        for room_id in list(self._dirty):
            self._runs[room_id].flush()
        self._dirty.clear()

    def close(self) -> None:
        for run in self._runs.values():
            run.close()
        self._runs.clear()
        self._dirty.clear()


class MlflowStore:
    """One MLflow run per room in the experiment ``simrooms`` at `tracking_uri`: the config as
    params, each episode figure a metric ``episode/FIELD`` at the episode as its step. mlflow is
    an optional extra (``simrooms[mlflow]``): made only when it imports (see `load_mlflow`)."""

    name = "mlflow"

    def __init__(self, tracking_uri: str, mlflow: Any) -> None:
        self.tracking_uri = tracking_uri
        self._entities = mlflow.entities
        self.client = mlflow.tracking.MlflowClient(tracking_uri=tracking_uri)
        self._experiment: str | None = None
        self._runs: dict[int, str] = {}

    def _experiment_id(self) -> str:
        if self._experiment is None:
            found = self.client.get_experiment_by_name(MLFLOW_EXPERIMENT)
            self._experiment = (
                found.experiment_id if found is not None else self.client.create_experiment(MLFLOW_EXPERIMENT)
            )
        return self._experiment

    def _run_id(self, room: RoomRecord, config: dict[str, Any]) -> str:
        found = self._runs.get(room.id)
        if found is not None:
            return found
        experiment = self._experiment_id()
        earlier = self.client.search_runs(
            [experiment], filter_string=f"tags.`{ROOM_TAG}` = '{room.id}'", max_results=1
        )
        if earlier:
            run_id = str(earlier[0].info.run_id)
            self.client.update_run(run_id, status="RUNNING")
        else:
            run = self.client.create_run(
                experiment, run_name=run_name(room), tags={ROOM_TAG: str(room.id), "simrooms.room": room.name}
            )
            run_id = str(run.info.run_id)
            params = [self._entities.Param(k, str(v)) for k, v in hyperparameters(config, room).items()]
            for start in range(0, len(params), MLFLOW_BATCH):
                self.client.log_batch(run_id, params=params[start : start + MLFLOW_BATCH])
        self._runs[room.id] = run_id
        return run_id

    def log(self, room: RoomRecord, config: dict[str, Any], row: dict[str, Any]) -> None:
        run_id = self._run_id(room, config)
        now, step = int(time.time() * 1000), int(row["episode"])
        metrics = [self._entities.Metric(TAG_PREFIX + k, v, now, step) for k, v in figures(row).items()]
        self.client.log_batch(run_id, metrics=metrics)

    def flush(self) -> None:
        """Every log_batch is stored when it returns."""

    def close(self) -> None:
        for run_id in self._runs.values():
            self.client.set_terminated(run_id, status="FINISHED")
        self._runs.clear()


def load_mlflow() -> Any:
    """The mlflow module, or None (said in the log) when the optional extra is not installed."""
    try:
        import mlflow
        import mlflow.entities
        import mlflow.tracking
    except ImportError as error:
        log.error(
            "SIMROOMS_MLFLOW_TRACKING_URI is set, but mlflow cannot be imported (%s): install the "
            "mlflow extra (pip install 'simrooms[mlflow]', or mlflow-skinny); episodes are not "
            "tracked to MLflow.",
            error,
        )
        return None
    return mlflow
