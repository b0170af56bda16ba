"""Live tracking: every finished episode of every room, logged to TensorBoard or MLflow as it ends.

The engine never waits for a tracking store. The archive, once it has stored a batch of
episodes, offers them here (``offer``: a ``put_nowait`` on a bounded queue; an episode that finds
it full is dropped and counted); this OS thread takes them, looks each room up once in storage
(its name, config, agents, policy, seed) and logs the episode to every store. A store that
raises is counted each time and logged once (the first time, with its traceback), and the other
stores go on; a slow one fills the queue, which drops rather than waits. Dropped episodes and
errors are exported to /metrics (``simrooms_tracking_dropped``, ``simrooms_tracking_errors``).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from server.engine.handoff import real_modules
from server.episodes import episode_row
from server.settings import Settings
from server.storage.database import Storage
from server.storage.records import EpisodeRecord, RoomRecord
from server.tracking.stores import MlflowStore, Store, TensorBoardStore, load_mlflow
from simrooms.config import RoomConfig

log = logging.getLogger(__name__)


class Tracker:
    """The tracking thread over `stores`, and those `settings` ask for (built by `open_stores` on
    that thread, so that importing mlflow never holds up the server's start); at most `capacity`
    episodes wait (default: ``settings.tracking_queue``)."""

    def __init__(
        self,
        storage: Storage,
        settings: Settings | None = None,
        stores: Sequence[Store] = (),
        capacity: int | None = None,
    ) -> None:
        self.storage = storage
        self.settings = settings
        self.stores: list[Store] = list(stores)
        self.dropped = 0
        """Episodes not logged because the queue was full (a slow or stuck store)."""
        self.errors: dict[str, int] = {}
        """Failures by store name (each failed log, flush or close counts once)."""
        self.logged = 0
        """Episodes taken off the queue and handed to the stores."""
        if capacity is None:
            capacity = (
                settings.tracking_queue if settings else int(Settings.model_fields["tracking_queue"].default)
            )
        threading, queue = real_modules()
        self._queue: Any = queue.Queue(capacity)
        self._full: type[Exception] = queue.Full
        self._empty: type[Exception] = queue.Empty
        self._thread: Any = threading.Thread(target=self._run, name="simrooms-tracker", daemon=True)
        self._rooms: dict[int, tuple[RoomRecord, dict[str, Any]]] = {}
        self._said: set[str] = set()

    @property
    def error_count(self) -> int:
        return sum(self.errors.values())

    def start(self) -> None:
        self._thread.start()

    def close(self, timeout: float = 10.0) -> None:
        """Log what is queued (within `timeout`), close every run, end the thread."""
        if not self._thread.is_alive():
            return
        try:
            self._queue.put(None, timeout=timeout)
        except self._full:
            log.error("The tracking queue stayed full for %.0f s; its episodes are not logged", timeout)
            return
        self._thread.join(timeout)
        if self._thread.is_alive():
            log.error("The tracker did not finish within %.0f s; its last episodes may be missing", timeout)

    # ----------------------------------------------------------- from the archive's thread

    def offer(self, room_id: int, episodes: Sequence[EpisodeRecord]) -> None:
        """Queue the stored room's finished episodes to be logged; never waits."""
        for episode in episodes:
            try:
                self._queue.put_nowait((room_id, episode))
            except self._full:
                self.dropped += 1

    # ----------------------------------------------------------- the thread

    def _run(self) -> None:
        if self.settings is not None:
            self.stores.extend(open_stores(self.settings))
            if self.settings.mlflow_tracking_uri and not any(s.name == "mlflow" for s in self.stores):
                self.errors["mlflow"] = 1  # said in the log by open_stores
        try:
            while True:
                items = [self._queue.get()]
                while items[-1] is not None:
                    try:
                        items.append(self._queue.get_nowait())
                    except self._empty:
                        break
                for item in items:
                    if item is not None:
                        self._log(*item)
                for store in self.stores:
                    self._guarded(store, store.flush)
                if items[-1] is None:
                    return
        finally:
            for store in self.stores:
                self._guarded(store, store.close)
            self.storage.dispose_thread()

    def _log(self, room_id: int, episode: EpisodeRecord) -> None:
        self.logged += 1
        found = self._room(room_id)
        if found is None:
            return
        room, config = found
        row = episode_row(episode)
        for store in self.stores:
            self._guarded(store, store.log, room, config, row)

    def _room(self, room_id: int) -> tuple[RoomRecord, dict[str, Any]] | None:
        found = self._rooms.get(room_id)
        if found is None:
            try:
                record = self.storage.room_by_id(room_id)
            except Exception:
                log.exception("Reading stored room %d for tracking failed", room_id)
                return None
            if record is None:
                return None
            found = (record, RoomConfig.from_stored(record.config).whole())
            self._rooms[room_id] = found
        return found

    def _guarded(self, store: Store, action: Any, *args: Any) -> None:
        try:
            action(*args)
        except Exception:
            self.errors[store.name] = self.errors.get(store.name, 0) + 1
            if store.name not in self._said:
                self._said.add(store.name)
                log.exception(
                    "Tracking to %s failed; rooms go on, and later failures of this store are only "
                    "counted (simrooms_tracking_errors)",
                    store.name,
                )


def open_stores(settings: Settings) -> list[Store]:
    """The stores the settings ask for: TensorBoard under ``tensorboard_dir``, MLflow at
    ``mlflow_tracking_uri`` (when mlflow imports; the log says so when it does not)."""
    stores: list[Store] = []
    if settings.tensorboard_dir is not None:
        stores.append(TensorBoardStore(settings.tensorboard_dir))
        log.info("Tracking every finished episode to TensorBoard under %s", settings.tensorboard_dir)
    if settings.mlflow_tracking_uri:
        mlflow = load_mlflow()
        if mlflow is not None:
            try:
                stores.append(MlflowStore(settings.mlflow_tracking_uri, mlflow))
            except Exception:
                log.exception(
                    "MLflow at %s cannot be used; episodes are not tracked there",
                    settings.mlflow_tracking_uri,
                )
            else:
                log.info("Tracking every finished episode to MLflow at %s", settings.mlflow_tracking_uri)
    return stores


def tracking_wanted(settings: Settings) -> bool:
    return settings.tensorboard_dir is not None or bool(settings.mlflow_tracking_uri)
