"""Rooms and grants as stored (server.storage.rooms), on SQLite and PostgreSQL."""

from __future__ import annotations

import dataclasses

import pytest

from server.storage.database import RoomNameTaken, Storage, User
from server.storage.records import RoomRecord

BIG_SEED = str(2**128 - 1)


def make(storage: Storage, owner: User, name: str = "Factory 1", **fields: object) -> RoomRecord:
    given: dict[str, object] = {
        "agents": 4,
        "policy": "learning",
        "seed": BIG_SEED,
        "config": {"world": {"max_ticks": 500}, "learner": {"learning_rate": 0.001}},
        "public": True,
        "speed": 1.5,
        **fields,
    }
    return storage.create_room(name, owner.id, **given)  # type: ignore[arg-type]


def test_create_room_and_read_it_back(storage: Storage, alice: User) -> None:
    room = make(storage, alice)
    assert (room.key, room.name, room.owner_id, room.owner) == ("factory 1", "Factory 1", alice.id, "alice")
    assert (room.agents, room.policy, room.seed, room.public, room.speed, room.running) == (
        4,
        "learning",
        BIG_SEED,
        True,
        1.5,
        False,
    )
    assert room.config == {"world": {"max_ticks": 500}, "learner": {"learning_rate": 0.001}}
    assert room.grants == frozenset() and room.forked_from is None and room.fork_tick is None
    assert room.created_at.tzinfo is not None and room.server == "default" and room.deleted_at is None
    assert storage.room_by_key("FACTORY 1") == room
    assert storage.room_by_id(room.id) == room
    with pytest.raises(dataclasses.FrozenInstanceError):
        room.name = "x"  # type: ignore[misc]


def test_speed_max_and_forks(storage: Storage, alice: User) -> None:
    origin = make(storage, alice, "origin", speed="max", running=True)
    assert origin.speed == "max" and origin.running
    fork = make(storage, alice, "fork", forked_from=origin.id, fork_tick=2**40)
    assert (fork.forked_from, fork.fork_tick) == (origin.id, 2**40)
    with pytest.raises(ValueError, match="'fast'"):
        make(storage, alice, "bad", speed="fast")


def test_a_forks_chain_runs_back_to_the_first_room_deleted_or_not(storage: Storage, alice: User) -> None:
    first = make(storage, alice, "first")
    middle = make(storage, alice, "middle", forked_from=first.id, fork_tick=10)
    last = make(storage, alice, "last", forked_from=middle.id, fork_tick=20)
    storage.delete_room(first.id)
    assert [record.id for record in storage.fork_chain(last.id)] == [last.id, middle.id, first.id]
    assert [record.id for record in storage.fork_chain(first.id)] == [first.id]
    assert storage.fork_chain(10**9) == []


def test_a_live_name_is_taken_ignoring_case_and_a_deleted_rooms_name_is_free(
    storage: Storage, alice: User, bob: User
) -> None:
    first = make(storage, alice, "Shared")
    with pytest.raises(RoomNameTaken):
        make(storage, bob, "SHARED")
    storage.delete_room(first.id)
    assert storage.room_by_key("shared") is None
    deleted = storage.room_by_id(first.id)
    assert deleted is not None and deleted.deleted_at is not None and not deleted.running
    second = make(storage, bob, "shared")
    assert second.id != first.id and storage.room_by_key("Shared") == second
    storage.delete_room(second.id)
    third = make(storage, alice, "SHARED")  # two deleted rooms of one key may coexist
    assert storage.room_by_key("shared") == third
    assert [r.id for r in storage.live_rooms()] == [third.id]


def test_update_room(storage: Storage, alice: User) -> None:
    room = make(storage, alice, "before")
    other = make(storage, alice, "other")
    storage.update_room(room.id, running=True, speed="max", public=False, name="After")
    changed = storage.room_by_id(room.id)
    assert changed is not None
    assert (changed.running, changed.speed, changed.public, changed.name, changed.key) == (
        True,
        "max",
        False,
        "After",
        "after",
    )
    assert storage.room_by_key("before") is None
    with pytest.raises(RoomNameTaken):
        storage.update_room(room.id, name="OTHER")
    with pytest.raises(ValueError, match="agents"):
        storage.update_room(room.id, agents=3)
    with pytest.raises(LookupError, match="12345"):
        storage.update_room(12345, running=False)
    assert storage.room_by_key("other") == other


def test_live_rooms_of_a_server_oldest_first(storage: Storage, alice: User, bob: User) -> None:
    rooms = [make(storage, alice if i % 2 else bob, f"r{i}") for i in range(5)]
    elsewhere = make(storage, alice, "elsewhere", server="second")
    storage.delete_room(rooms[2].id)
    assert [r.name for r in storage.live_rooms()] == ["r0", "r1", "r3", "r4"]
    assert storage.live_rooms("second") == [elsewhere]
    assert {r.owner for r in storage.live_rooms()} == {"alice", "bob"}


def test_grants(storage: Storage, alice: User, bob: User) -> None:
    room = make(storage, alice)
    storage.set_grant(room.id, bob.id, True)
    storage.set_grant(room.id, bob.id, True)  # twice: one grant
    assert storage.room_by_id(room.id).grants == {bob.id}  # type: ignore[union-attr]
    assert storage.live_rooms()[0].grants == {bob.id}
    storage.set_grant(room.id, bob.id, False)
    storage.set_grant(room.id, bob.id, False)
    assert storage.room_by_key(room.key).grants == frozenset()  # type: ignore[union-attr]
    storage.set_grants(room.id, [alice.id, bob.id])
    assert storage.room_by_id(room.id).grants == {alice.id, bob.id}  # type: ignore[union-attr]


def test_a_seed_is_a_string(storage: Storage, alice: User) -> None:
    with pytest.raises(TypeError, match="123"):
        make(storage, alice, seed=123)
