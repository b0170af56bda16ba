"""The archive writes what the engine hands it in order; a checkpoint that cannot be written
leaves the last good one, and says so."""

from __future__ import annotations

import logging
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from agents.fleet import Fleet
from server.engine.archive import Archive
from server.engine.handoff import Bridge
from server.engine.keeper import episode_record
from server.storage.database import Storage
from server.storage.records import ControlRecord


@pytest.fixture
def storage(tmp_path: Path) -> Iterator[Storage]:
    store = Storage(f"sqlite:///{tmp_path / 'archive.db'}")
    store.upgrade()
    yield store
    store.dispose()


@pytest.fixture
def archive(storage: Storage, tmp_path: Path) -> Iterator[Archive]:
    running = Archive(storage, tmp_path, Bridge(green=False))
    running.start()
    yield running
    running.close()


def settled(archive: Archive) -> None:
    """Wait until the archive has done everything handed to it before."""
    archive.submit(lambda: None).wait(30)


def test_a_failed_checkpoint_write_keeps_the_last_good_one_and_is_counted(
    storage: Storage, archive: Archive, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    user = storage.create_user("ann", "x")
    record = storage.create_room("r", user.id, 2, "random", "3", {}, True, 1.0)
    fleet = Fleet()
    room = fleet.add(2, "random", 3)
    archive.checkpoint(record.id, 0, "created", fleet.checkpoint(room))
    settled(archive)
    good = storage.latest_checkpoint(record.id)
    assert good is not None and (tmp_path / good.path).exists()

    # The room's folder becomes a file: the next write cannot be made, as on a full disk.
    folder = (tmp_path / good.path).parent
    shutil.move(folder, tmp_path / "moved")
    folder.write_text("in the way")
    fleet.step_one(room)
    with caplog.at_level(logging.ERROR, logger="server.engine.archive"):
        archive.checkpoint(record.id, 0, "periodic", fleet.checkpoint(room))
        settled(archive)
    assert archive.failed_checkpoints == 1 and archive.written_checkpoints == 1
    assert storage.latest_checkpoint(record.id) == good
    assert "its last good checkpoint stays" in caplog.text


def test_controls_and_episodes_are_stored_in_the_order_handed_over(
    storage: Storage, archive: Archive
) -> None:
    user = storage.create_user("ann", "x")
    record = storage.create_room("r", user.id, 2, "heuristic", "3", {}, True, 1.0)
    fleet = Fleet()
    room = fleet.add(2, "heuristic", 3)
    for seq in range(1, 6):
        archive.control(record.id, ControlRecord(seq, seq * 10, "reset", None, user.id))
        archive.episode(record.id, episode_record(fleet.reset(room)))
    # A seek queued behind those writes sees all of them.
    seen = archive.submit(storage.controls, record.id).wait(30)
    assert [control.seq for control in seen] == [1, 2, 3, 4, 5]
    assert [episode.episode for episode in storage.episodes(record.id)] == [1, 2, 3, 4, 5]
