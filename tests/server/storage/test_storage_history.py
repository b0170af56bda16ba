"""A room's episodes, controls and checkpoints as stored (server.storage.history), on SQLite and
PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy.exc import IntegrityError

from server.storage.database import Storage, User
from server.storage.records import ControlRecord, EpisodeRecord


def room_id(storage: Storage, owner: User, name: str = "history") -> int:
    return storage.create_room(name, owner.id, 2, "heuristic", "3", {}, True, 1.0).id


def episode(n: int, end_tick: int) -> EpisodeRecord:
    return EpisodeRecord(
        episode=n,
        end_tick=end_tick,
        reason="max_ticks" if n % 2 else "reset",
        products_created=n * 3,
        total_reward=n * 1.25,
        efficiency=0.5,
        stats={"products_created": n * 3, "per_agent": [1, 2]},
        metrics={"loss": 0.1 * n} if n % 2 else {},
    )


def test_episodes_oldest_first_and_up_to_a_tick(storage: Storage, alice: User) -> None:
    room = room_id(storage, alice)
    other = room_id(storage, alice, "other")
    storage.add_episodes(room, [episode(2, 1000), episode(1, 500)])
    storage.add_episodes(room, [episode(3, 2**33)])
    storage.add_episodes(room, [])
    storage.add_episodes(other, [episode(1, 10)])
    assert storage.episodes(room) == [episode(1, 500), episode(2, 1000), episode(3, 2**33)]
    assert storage.episodes(room, up_to_tick=1000) == [episode(1, 500), episode(2, 1000)]
    assert storage.episodes(room, up_to_tick=499) == []
    assert storage.episodes(other) == [episode(1, 10)]
    with pytest.raises(IntegrityError):
        storage.add_episodes(room, [episode(3, 5)])


def test_controls_in_order_after_a_seq_and_up_to_a_tick(storage: Storage, alice: User) -> None:
    room = room_id(storage, alice)
    controls = [
        ControlRecord(1, 0, "start", None, alice.id),
        ControlRecord(2, 40, "speed", 2.5, alice.id),
        ControlRecord(3, 41, "turbo_on", "max", None),
        ControlRecord(4, 90, "stop", None, alice.id),
        ControlRecord(5, 90, "step", {"count": 1}, alice.id),
    ]
    storage.add_controls(room, controls[:2])
    storage.add_controls(room, controls[2:])
    assert storage.controls(room) == controls
    assert storage.controls(room, after_seq=3) == controls[3:]
    assert storage.controls(room, up_to_tick=41) == controls[:3]
    assert storage.controls(room, after_seq=1, up_to_tick=40) == controls[1:2]
    assert storage.controls(room_id(storage, alice, "empty")) == []
    with pytest.raises(IntegrityError):
        storage.add_controls(room, [ControlRecord(5, 99, "start", None, None)])


def test_checkpoints(storage: Storage, alice: User) -> None:
    room = room_id(storage, alice)
    assert storage.latest_checkpoint(room) is None and storage.checkpoint_before(room, 10**12) is None
    first = storage.add_checkpoint(room, 0, 0, "rooms/1/0.safetensors", 1234, "periodic")
    assert (first.room_id, first.tick, first.seq, first.path, first.size_bytes, first.reason) == (
        room,
        0,
        0,
        "rooms/1/0.safetensors",
        1234,
        "periodic",
    )
    assert first.created_at.tzinfo is not None
    late = storage.add_checkpoint(room, 2**35, 9, "rooms/1/late", 2**40, "shutdown")
    middle = storage.add_checkpoint(room, 600, 4, "rooms/1/600", 99, "fork")
    assert storage.checkpoints(room) == [first, middle, late]
    assert storage.latest_checkpoint(room) == late
    assert storage.checkpoint_before(room, 599) == first
    assert storage.checkpoint_before(room, 600) == middle
    assert storage.checkpoint_before(room, 2**35 - 1) == middle
    assert storage.checkpoint_before(room, 2**36) == late
    assert storage.checkpoint_before(room, -1) is None
    assert storage.checkpoints(room_id(storage, alice, "none")) == []
