"""Configured rooms and sweeps against a real server: configs bounded and named in errors, kept
whole in RoomInfo, equal configs giving equal runs, sweeps made, listed, limited, restarted and
deleted, and the baselines curves are read against."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests

from simrooms.config import RoomConfig
from tests.support.server import STEPPING, Client, Clients, Server, room_name

SHORT = {"world": {"max_ticks": 50, "respawn_probability": 0.25}}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    running = Server(tmp_path_factory.mktemp("configured"), STEPPING)
    yield running
    running.stop()


def api(server: Server, path: str, user: str = "alice") -> requests.Response:
    return requests.get(
        server.url + path, headers={"Authorization": f"Bearer {server.token(user)}"}, timeout=60
    )


def message(client: Client, event: str, payload: dict[str, Any]) -> str:
    ack = client.call(event, payload)
    assert ack["ok"] is False and ack["error"]["code"] == "invalid_payload", ack
    return str(ack["error"]["message"])


def test_a_config_is_bounded_kept_whole_and_gives_equal_runs(connect: Clients) -> None:
    alice = connect("alice")
    assert "config.world.max_ticks" in message(
        alice, "create_room", {"name": room_name(), "config": {"world": {"max_ticks": 49}}}
    )
    assert "config.learner.learning_rate" in message(
        alice, "create_room", {"name": room_name(), "config": {"learner": {"learning_rate": 0.2}}}
    )
    assert "config.world.colour" in message(
        alice, "create_room", {"name": room_name(), "config": {"world": {"colour": 1}}}
    )
    assert "does not learn" in message(
        alice, "create_room", {"name": room_name(), "policy": "heuristic", "config": {"learner": {}}}
    )
    config = {"world": {"max_ticks": 60}, "learner": {"learning_rate": 0.003}}
    names = [room_name(), room_name()]
    for name in names:
        info = alice.ok("create_room", {"name": name, "seed": 4, "config": config})["room"]
        assert info["config"] == RoomConfig.model_validate(config).whole()
        assert info["config_changes"] == {"world.max_ticks": 60, "learner.learning_rate": 0.003}
        assert info["seed"] == 4 and info["worlds"] == 1
    for _ in range(140):  # past an episode's end (60) and a learning update (128)
        states = [
            alice.ok("step_game", {"room": name}) and alice.ok("get_state", {"room": name}) for name in names
        ]
        first, second = (state["state"] for state in states)
        assert {**first, "room": ""} == {**second, "room": ""}
    assert first["episode"] == 3


def test_a_sweep_makes_one_started_room_per_seed_and_grid_point(server: Server, connect: Clients) -> None:
    alice, bob = connect("alice"), connect("bob")
    name = room_name("sweep")
    sweep = alice.ok(
        "create_sweep",
        {
            "name": name,
            "room": {"policy": "heuristic", "agents": 2, "speed": "max", "config": SHORT},
            "seeds": [1, 2],
            "grid": {"world.max_ticks": [50, 80]},
        },
    )["sweep"]
    assert sweep["name"] == name
    made = {(room["seed"], room["sweep_point"]["world.max_ticks"]) for room in sweep["rooms"]}
    assert made == {(1, 50), (2, 50), (1, 80), (2, 80)}
    for room in sweep["rooms"]:
        assert room["running"] and room["sweep"] == name
        assert room["config"]["world"]["max_ticks"] == room["sweep_point"]["world.max_ticks"]
        assert room["config"]["world"]["respawn_probability"] == 0.25
    assert alice.error("create_sweep", {"name": name, "seeds": [3]}) == "conflict"
    assert "name a seed twice" in message(alice, "create_sweep", {"name": room_name(), "seeds": [1, 1]})
    assert "at most 64" in message(
        alice,
        "create_sweep",
        {"name": room_name(), "seeds": list(range(32)), "grid": {"world.max_ticks": [50, 60, 70]}},
    )
    assert "world.max_ticks = 10 is refused" in message(
        alice, "create_sweep", {"name": room_name(), "seeds": [1], "grid": {"world.max_ticks": [100, 10]}}
    )
    assert len([room for room in alice.ok("list_rooms", {})["rooms"] if room["sweep"] == name]) == 4

    described = api(server, f"/api/sweeps/{name}").json()
    assert (described["seeds"], described["grid"]) == ([1, 2], {"world.max_ticks": [50, 80]})
    assert len(described["rooms"]) == 4
    assert name in [listed["name"] for listed in api(server, "/api/sweeps").json()["sweeps"]]
    assert api(server, "/api/sweeps/no such sweep").status_code == 404

    assert bob.error("delete_sweep", {"name": name}) == "forbidden"
    alice.ok("delete_sweep", {"name": name})
    assert not [room for room in alice.ok("list_rooms", {})["rooms"] if room["sweep"] == name]
    assert api(server, f"/api/sweeps/{name}").status_code == 404


def test_a_sweep_counts_against_the_room_limit_and_makes_nothing_beyond_it(connect: Clients) -> None:
    carol = connect("carol")
    before = len(carol.ok("list_rooms", {})["rooms"])
    ack = carol.call(
        "create_sweep", {"name": room_name(), "seeds": list(range(21)), "room": {"policy": "random"}}
    )
    assert ack["error"]["code"] == "limit_reached", ack
    assert "at most 20" in ack["error"]["message"]
    assert len(carol.ok("list_rooms", {})["rooms"]) == before


def test_sweeps_and_configs_come_back_after_a_restart(server: Server, connect: Clients) -> None:
    alice = connect("alice")
    name = room_name("kept")
    alice.ok(
        "create_sweep",
        {
            "name": name,
            "room": {"policy": "random", "config": SHORT},
            "seeds": [5],
            "grid": {"world.chargers": [2, 4]},
        },
    )
    connect.close()
    server.stop()
    server.start()
    alice = connect("alice")
    rooms = {room["name"]: room for room in alice.ok("list_rooms", {})["rooms"] if room["sweep"] == name}
    assert sorted(room["sweep_point"]["world.chargers"] for room in rooms.values()) == [2, 4]
    assert [(room["config"]["world"]["max_ticks"], room["running"]) for room in rooms.values()] == [
        (50, True)
    ] * 2
    alice.ok("delete_sweep", {"name": name})


def test_baselines_and_the_config_schema(server: Server, connect: Clients) -> None:
    alice = connect("alice")
    name = room_name()
    alice.ok("create_room", {"name": name, "agents": 2, "policy": "learning", "config": SHORT})
    found = api(server, f"/api/rooms/{name}/baselines").json()
    assert found["heuristic"]["episodes"] == 4 and found["random"]["episodes"] == 4
    assert found["heuristic"]["products_created"] > found["random"]["products_created"]
    assert api(server, "/api/rooms/no such room/baselines").status_code == 404
    schema = api(server, "/api/config/schema").json()
    assert set(schema["properties"]) == {"world", "learner"}
