"""Rooms that last, against a real server: restarts it cannot be told from, SIGKILL losing at most
one checkpoint interval, seeks equal to the states the room had, forks following their origin,
and the episodes of a room's whole life."""

from __future__ import annotations

import csv
import io
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tests.support.postgres import Postgres
from tests.support.server import LASTING, Clients, Controls, Server, drive, make_room, room_name, world


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    running = Server(tmp_path_factory.mktemp("lasting"), LASTING)
    yield running
    running.stop()


# A run that crosses a learning update (tick 128), episodes (resets) and a turbo spell (16 worlds).
BEFORE: Controls = [
    ("step", 40),
    ("speed", "max"),
    ("step", 12),
    ("speed", 1.0),
    ("step", 18),
    ("reset", None),
]
AFTER: Controls = [
    ("step", 50),
    ("reset", None),
    ("step", 40),
    ("speed", "max"),
    ("step", 5),
    ("speed", 2.0),
    ("step", 30),
]


def test_a_restarted_learning_room_goes_on_as_a_twin_that_never_restarted(
    server: Server, connect: Clients
) -> None:
    alice = connect("alice")
    name = make_room(alice, policy="learning", agents=4, seed=5)
    states = drive(alice, name, BEFORE)
    at_shutdown = alice.ok("get_state", {"room": name})["state"]
    assert at_shutdown["tick"] == 70 and at_shutdown["episode"] == 2
    connect.close()
    assert server.stop() == 0
    server.start()

    alice = connect("alice")
    assert alice.ok("get_state", {"room": name})["state"] == at_shutdown
    twin = make_room(alice, policy="learning", agents=4, seed=5)
    twin_states = drive(alice, twin, BEFORE)
    assert world(twin_states[70]) == world(at_shutdown)
    states.update(drive(alice, name, AFTER))
    twin_states.update(drive(alice, twin, AFTER))
    assert max(states) == 195
    for tick in range(1, 196):
        assert world(states[tick]) == world(twin_states[tick]), f"tick {tick}"

    # Seeks re-simulate every tick of that life, across the restart, equal to what the room had.
    for tick in sorted(states):
        past = alice.ok("get_state", {"room": name, "tick": tick})["state"]
        assert world(past) == world(states[tick]), f"seek to tick {tick}"
    for tick in (150, 3, 90, 60):
        assert world(alice.ok("get_state", {"room": name, "tick": tick})["state"]) == world(states[tick])
    assert alice.error("get_state", {"room": name, "tick": 196}) == "not_found"

    # A fork from the past follows its origin, and its past is its origin's.
    fork = name + " fork"
    info = alice.ok("create_room", {"name": fork, "fork": {"room": name, "tick": 100}})["room"]
    assert (info["tick"], info["running"], info["agents"], info["policy"]) == (100, False, 4, "learning")
    assert world(alice.ok("get_state", {"room": fork})["state"]) == world(states[100])
    for tick in range(101, 120):  # the origin was reset at tick 120
        alice.ok("step_game", {"room": fork})
        assert world(alice.ok("get_state", {"room": fork})["state"]) == world(states[tick]), f"fork at {tick}"
    assert world(alice.ok("get_state", {"room": fork, "tick": 42})["state"]) == world(states[42])

    # A fork of now starts where its origin is.
    now = alice.ok("create_room", {"name": name + " now", "fork": {"room": name, "tick": None}})["room"]
    assert now["tick"] == 195
    assert world(alice.ok("get_state", {"room": name + " now"})["state"]) == world(states[195])


def test_sigkill_loses_at_most_one_checkpoint_interval(tmp_path: Path) -> None:
    server = Server(tmp_path, LASTING)
    clients = Clients(server)
    try:
        alice = clients("alice")
        name = make_room(alice, policy="heuristic", agents=4, seed=9, speed=5.0)
        alice.ok("start_game", {"room": name})
        time.sleep(4)
        clients.close()
        killed_at = server.room_info(name)["tick"]
        server.stop(signal.SIGKILL)
        server.start()
        alice = clients("alice")
        info = server.room_info(name)
        back = alice.ok("get_state", {"room": name})["state"]
        # 50 ticks a second, checkpointed at least every second (a little more for the write); it
        # runs on after the restart, so only the loss is bounded here.
        assert back["tick"] >= killed_at - 75, (killed_at, back["tick"])
        assert info["running"] is True
        # It goes on from a state it really had: a room of the same seed stepped there agrees.
        alice.ok("stop_game", {"room": name})
        stopped = alice.ok("get_state", {"room": name})["state"]
        twin = make_room(alice, policy="heuristic", agents=4, seed=9)
        twin_states = drive(alice, twin, [("step", stopped["tick"])])
        assert world(twin_states[stopped["tick"]]) == world(stopped)
    finally:
        clients.close()
        server.stop()


def test_grants_privacy_and_deletions_survive_a_restart(server: Server, connect: Clients) -> None:
    alice, bob = connect("alice"), connect("bob")
    private = make_room(alice, public=False, policy="random")
    gone = make_room(alice, policy="random")
    alice.ok("grant_control", {"room": private, "user": "bob", "allow": True})
    alice.ok("delete_room", {"room": gone})
    connect.close()
    server.stop()
    server.start()
    alice, bob, carol = connect("alice"), connect("bob"), connect("carol")
    bob.ok("step_game", {"room": private})
    assert carol.error("get_state", {"room": private}) == "not_found"
    assert alice.error("get_state", {"room": gone}) == "not_found"
    names = {room["name"] for room in carol.ok("list_rooms", {})["rooms"]}
    assert private not in names and gone not in names


def test_forks_refuse_what_they_take_from_their_origin_and_rooms_one_may_not_see(connect: Clients) -> None:
    alice, bob = connect("alice"), connect("bob")
    private = make_room(alice, public=False, policy="random")
    ack = alice.call("create_room", {"name": room_name(), "fork": {"room": private}, "agents": 2})
    assert ack["error"]["code"] == "invalid_payload"
    assert "do not give agents" in ack["error"]["message"]
    ack = bob.call("create_room", {"name": room_name(), "fork": {"room": private, "tick": 0}})
    assert ack["error"]["code"] == "not_found"
    assert (
        alice.error("create_room", {"name": room_name(), "fork": {"room": private, "tick": 5}}) == "not_found"
    )
    ack = alice.call("create_room", {"name": room_name(), "fork": {"room": private, "tick": -1}})
    assert ack["error"]["code"] == "invalid_payload" and "fork.tick" in ack["error"]["message"]


def test_episodes_of_a_room_s_whole_life_over_http(server: Server, connect: Clients) -> None:
    alice = connect("alice")
    name = make_room(alice, policy="heuristic")
    drive(alice, name, [("step", 3), ("reset", None), ("step", 2), ("reset", None)])
    private = make_room(alice, policy="random", public=False)
    token = server.token("alice")

    def episodes(room: str, token: str = token, **params: str) -> requests.Response:
        return requests.get(
            f"{server.url}/api/rooms/{room}/episodes",
            params=params,
            headers={"Authorization": f"Bearer {token}"},
            timeout=30,
        )

    found = episodes(name).json()["episodes"]
    assert [(e["episode"], e["end_tick"], e["reason"]) for e in found] == [(1, 3, "reset"), (2, 5, "reset")]
    for field in ("products_created", "total_reward", "efficiency"):
        assert all(field in e for e in found)
    as_csv = episodes(name, format="csv")
    assert as_csv.headers["Content-Type"].startswith("text/csv")
    header, *rows = as_csv.text.splitlines()
    assert header.split(",")[:6] == [
        "episode",
        "end_tick",
        "reason",
        "products_created",
        "total_reward",
        "efficiency",
    ]
    assert len(rows) == 2
    parsed = list(csv.DictReader(io.StringIO(as_csv.text)))
    assert [row["world.max_ticks"] for row in parsed] == ["500", "500"], "the room's config as columns"
    assert episodes(name).json()["config"]["world"]["max_ticks"] == 500
    assert episodes(private, server.token("bob")).status_code == 404
    assert episodes("no such room").status_code == 404
    assert episodes(name, format="xml").status_code == 400
    assert requests.get(f"{server.url}/api/rooms/{name}/episodes", timeout=30).status_code == 401

    connect.close()
    server.stop()
    server.start()
    alice = connect("alice")
    drive(alice, name, [("step", 1), ("reset", None)])
    after = episodes(name, server.token("alice")).json()["episodes"]
    assert [(e["episode"], e["end_tick"]) for e in after] == [(1, 3), (2, 5), (3, 6)]


def test_rooms_last_on_postgresql_too(tmp_path: Path, postgres: Postgres) -> None:
    server = Server(tmp_path, LASTING, database_url=postgres.create_database("lasting"))
    clients = Clients(server)
    try:
        alice = clients("alice")
        name = make_room(alice, policy="learning", seed=3)
        states = drive(alice, name, [("step", 30), ("reset", None), ("step", 10)])
        clients.close()
        assert server.stop() == 0
        server.start()
        alice = clients("alice")
        assert world(alice.ok("get_state", {"room": name})["state"]) == world(states[40])
        assert world(alice.ok("get_state", {"room": name, "tick": 17})["state"]) == world(states[17])
        found = requests.get(
            f"{server.url}/api/rooms/{name}/episodes",
            headers={"Authorization": f"Bearer {server.token('alice')}"},
            timeout=30,
        ).json()["episodes"]
        assert [(e["episode"], e["end_tick"], e["reason"]) for e in found] == [(1, 30, "reset")]
    finally:
        clients.close()
        server.stop()


def test_a_room_comes_back_from_the_newest_checkpoint_that_reads(server: Server, connect: Clients) -> None:
    alice = connect("alice")
    damaged, lost = make_room(alice, policy="heuristic", seed=1), make_room(alice, policy="random", seed=2)
    made = alice.ok("get_state", {"room": damaged})["state"]
    drive(alice, damaged, [("step", 3)])
    drive(alice, damaged, [("speed", 2.0)])
    connect.close()
    server.stop()
    folders = {
        name: server.data_dir / "checkpoints" / str(record_id(server, name)) for name in (damaged, lost)
    }
    newest = sorted(folders[damaged].glob("*.safetensors"))[-1]
    newest.write_bytes(b"not a checkpoint")
    for path in folders[lost].glob("*.safetensors"):
        path.unlink()
    server.start()
    alice = connect("alice")
    names = {room["name"] for room in alice.ok("list_rooms", {})["rooms"]}
    assert damaged in names and lost not in names
    # Its checkpoint at tick 3 (at shutdown) does not read: it is back as it was made, at tick 0.
    back = alice.ok("get_state", {"room": damaged})["state"]
    assert world(back) == world(made)
    assert f"Stored room {lost!r} has no checkpoint file left" in server.log()
    assert "could not be restored from" in server.log()


def record_id(server: Server, name: str) -> int:
    """The stored id of room `name` (read from the server's database)."""
    from server.settings import Settings
    from server.storage.database import Storage

    storage = Storage(Settings(data_dir=server.data_dir).resolved_database_url())
    try:
        record = storage.room_by_key(name)
        assert record is not None
        return record.id
    finally:
        storage.dispose()
