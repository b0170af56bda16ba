from __future__ import annotations

import gc
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from server.engine.collector import NEVER, PAUSE_BUCKETS, FullCollections, Pauses
from server.metrics import Metrics
from tests.support.engine import bare_engine


@pytest.fixture
def full_collections_seen() -> Iterator[list[int]]:
    """The generations of the collections that start while the test runs."""
    seen: list[int] = []

    def record(phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            seen.append(info["generation"])

    gc.callbacks.append(record)
    try:
        yield seen
    finally:
        gc.callbacks.remove(record)


def test_start_turns_automatic_full_collections_off_until_the_last_instance_stops() -> None:
    before = gc.get_threshold()
    first, second = FullCollections(60.0), FullCollections(60.0)
    first.start(0.0)
    assert gc.get_threshold() == (before[0], before[1], NEVER)
    assert gc.get_freeze_count() > 10_000  # the modules' objects, out of every walk
    second.start(0.0)
    first.stop()
    first.stop()  # a second stop of one instance must not count as another's
    assert gc.get_threshold()[2] == NEVER and gc.get_freeze_count() > 0
    second.stop()
    assert gc.get_threshold() == before and gc.get_freeze_count() == 0


def test_a_full_collection_runs_once_per_interval(full_collections_seen: list[int]) -> None:
    collections = FullCollections(10.0)
    assert collections.run_if_due(100.0) is None  # not started: Python's policy, nothing of ours
    collections.start(100.0)
    try:
        assert collections.run_if_due(109.9) is None
        took = collections.run_if_due(110.0)
        assert took is not None and took >= 0.0
        assert 2 in full_collections_seen
        full_collections_seen.clear()
        assert collections.run_if_due(119.0) is None
        assert 2 not in full_collections_seen
        assert collections.run_if_due(120.0) is not None
    finally:
        collections.stop()


def test_the_interval_must_be_positive() -> None:
    with pytest.raises(ValueError, match="must be positive, not 0"):
        FullCollections(0)


@pytest.mark.parametrize("interval", [60.0, 0.0])
def test_the_engine_takes_over_full_collections_while_it_runs_unless_told_not_to(
    tmp_path: Path, interval: float
) -> None:
    before = gc.get_threshold()
    engine = bare_engine(tmp_path, gc_full_collection_seconds=interval)
    engine.start()
    try:
        assert gc.get_threshold() == ((before[0], before[1], NEVER) if interval else before)
    finally:
        engine.stop()
    assert gc.get_threshold() == before


def test_every_collections_pause_is_recorded_by_generation_and_exported() -> None:
    pauses = Pauses()
    pauses.install()
    pauses.install()  # once only
    try:
        gc.collect(0)
        gc.collect(2)
    finally:
        pauses.uninstall()
    gc.collect(2)  # not recorded any more
    assert pauses.count[0] >= 1 and pauses.count[2] == 1
    assert pauses.longest[2] > 0 and pauses.seconds[2] == pauses.longest[2]
    assert sum(pauses.buckets[2]) == 1 and len(pauses.buckets[2]) == len(PAUSE_BUCKETS) + 1
    metrics = Metrics()
    metrics.watch_gc(pauses)
    text = metrics.render().decode()
    assert 'simrooms_gc_pause_seconds_count{generation="2"} 1.0' in text
    assert 'simrooms_gc_pause_seconds_bucket{generation="2",le="+Inf"} 1.0' in text
    assert f'simrooms_gc_pause_longest_seconds{{generation="2"}} {pauses.longest[2]!r}' in text
