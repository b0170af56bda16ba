"""rename_room against a real server: members follow the room under its new name without joining
again and miss no update; the room keeps its past, grants, episodes and sweep, across a restart;
the old name is gone; the refusals."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests

from tests.support.server import LASTING, Client, Clients, Server, drive, make_room, replay, room_name, world


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    running = Server(tmp_path_factory.mktemp("rename"), LASTING)
    yield running
    running.stop()


def api(server: Server, path: str, user: str = "alice") -> requests.Response:
    return requests.get(
        server.url + path, headers={"Authorization": f"Bearer {server.token(user)}"}, timeout=60
    )


def episodes(server: Server, name: str, user: str = "alice") -> list[tuple[int, int, str]]:
    found = api(server, f"/api/rooms/{name}/episodes", user).json()["episodes"]
    return [(e["episode"], e["end_tick"], e["reason"]) for e in found]


def updates_of(client: Client, *names: str) -> list[dict[str, Any]]:
    return [update for update in client.received("state_update") if update["room"] in names]


def test_members_follow_a_renamed_room_without_joining_again(server: Server, connect: Clients) -> None:
    alice, bob = connect("alice"), connect("bob")
    old = make_room(alice, policy="learning", seed=3, speed=5.0)
    bob.ok("join_room", {"room": old})
    bob.ok("inspect_agent", {"room": old, "agent": 1})
    alice.ok("start_game", {"room": old})
    bob.wait_for(lambda: len(bob.received("state_update", old)) >= 5, what="updates under the old name")

    new = f"{old} B"
    info = alice.ok("rename_room", {"room": old, "name": new})["room"]
    assert (info["name"], info["running"], info["owner"], info["seed"]) == (new, True, "alice", 3)
    assert bob.wait_for(lambda: bob.received("room_renamed")) == [{"room": old, "name": new}]
    told = bob.wait_for(lambda: [e for e in bob.received("room_event", new) if e["kind"] == "renamed"])
    assert [(e["user"], e["detail"]) for e in told] == [("alice", old)]
    bob.wait_for(lambda: len(bob.received("state_update", new)) >= 5, what="updates under the new name")
    bob.wait_for(lambda: bob.received("agent_inspect", new), what="the inspected agent under the new name")
    bob.wait_for(
        lambda: any(new in {r["name"] for r in rooms["rooms"]} for rooms in bob.received("room_list")),
        what="a room_list with the new name",
    )
    alice.ok("stop_game", {"room": new})
    bob.wait_for(lambda: bob.received("game_stopped", new), what="game_stopped under the new name")
    now = alice.ok("get_state", {"room": new})["state"]

    # Every update under either name applies to the one before: none was lost.
    def caught_up() -> bool:
        states = list(replay(updates_of(bob, old, new)))
        return states[-1]["room"] == new and world(states[-1]) == world(now)

    bob.wait_for(caught_up, what="the updates replaying to the room's state")
    ticks = [update["tick"] for update in updates_of(bob, old, new)]
    assert ticks == sorted(ticks), ticks

    for client in (alice, bob):
        assert client.error("get_state", {"room": old}) == "not_found"
        assert client.error("join_room", {"room": old}) == "not_found"
    names = {room["name"] for room in bob.ok("list_rooms", {})["rooms"]}
    assert new in names and old not in names
    assert server.room_info(new)["observers"] == 1
    bob.ok("leave_room", {"room": new})
    assert server.room_info(new)["observers"] == 0


def test_a_renamed_room_keeps_its_past_grants_and_episodes_across_a_restart(
    server: Server, connect: Clients
) -> None:
    alice, bob, carol = connect("alice"), connect("bob"), connect("carol")
    old = make_room(alice, policy="learning", seed=4)
    other = make_room(alice, policy="random")
    hidden = make_room(carol, policy="random", public=False)
    alice.ok("grant_control", {"room": old, "user": "bob", "allow": True})
    states = drive(alice, old, [("step", 20), ("reset", None), ("step", 15)])

    assert carol.error("rename_room", {"room": old, "name": room_name()}) == "forbidden"
    assert bob.error("rename_room", {"room": old, "name": room_name()}) == "forbidden", (
        "control is not ownership"
    )
    assert carol.error("rename_room", {"room": "no such room", "name": room_name()}) == "not_found"
    assert alice.error("rename_room", {"room": old, "name": other.upper()}) == "conflict"
    assert alice.error("rename_room", {"room": old, "name": hidden}) == "conflict", "invisible rooms too"
    for bad in (" space first", "slash/in", "x" * 41, ""):
        ack = alice.call("rename_room", {"room": old, "name": bad})
        assert ack["error"]["code"] == "invalid_payload" and "'name'" in ack["error"]["message"], ack

    # A change of case of its own name is no conflict.
    assert alice.ok("rename_room", {"room": old, "name": old.upper()})["room"]["name"] == old.upper()
    new = f"{old} renamed"
    assert alice.ok("rename_room", {"room": old.upper(), "name": new})["room"]["name"] == new
    assert alice.error("get_state", {"room": old}) == "not_found"
    assert api(server, f"/api/rooms/{old}/episodes").status_code == 404

    def check_kept(alice: Client, bob: Client) -> None:
        for tick in (5, 20, 35):
            past = alice.ok("get_state", {"room": new, "tick": tick})["state"]
            assert world(past) == world(states[tick]), f"seek to tick {tick}"
        assert episodes(server, new) == [(1, 20, "reset")]
        bob.ok("step_game", {"room": new})  # the grant holds
        states.update(drive(alice, new, [("step", 1)]))

    check_kept(alice, bob)
    fork = alice.ok("create_room", {"name": room_name(), "fork": {"room": new, "tick": 10}})["room"]
    assert world(alice.ok("get_state", {"room": fork["name"]})["state"]) == world(states[10])

    connect.close()
    assert server.stop() == 0
    server.start()
    alice, bob = connect("alice"), connect("bob")
    assert world(alice.ok("get_state", {"room": new})["state"]) == world(states[37])
    assert server.room_info(new)["name"] == new
    assert alice.error("get_state", {"room": old}) == "not_found"
    check_kept(alice, bob)
    # The old name is free for a new room.
    assert alice.ok("create_room", {"name": old, "policy": "random"})["room"]["tick"] == 0


def test_a_renamed_room_stays_in_its_sweep(server: Server, connect: Clients) -> None:
    alice = connect("alice")
    sweep = room_name("sweep")
    made = alice.ok("create_sweep", {"name": sweep, "room": {"policy": "heuristic"}, "seeds": [1, 2]})
    first = made["sweep"]["rooms"][0]["name"]
    info = alice.ok("rename_room", {"room": first, "name": f"{sweep} best"})["room"]
    assert info["sweep"] == sweep
    listed = {room["name"] for room in api(server, f"/api/sweeps/{sweep}").json()["rooms"]}
    assert f"{sweep} best" in listed and first not in listed
    alice.ok("delete_sweep", {"name": sweep})
    assert alice.error("get_state", {"room": f"{sweep} best"}) == "not_found"


def test_a_taken_name_spends_a_name_probe_as_create_room_does(connect: Clients) -> None:
    carol = connect("carol")
    mine, taken = make_room(carol, policy="random"), make_room(carol, policy="random")
    codes = [carol.error("rename_room", {"room": mine, "name": taken}) for _ in range(11)]
    assert codes[0] == "conflict" and codes[-1] == "rate_limited", codes
    assert carol.error("create_room", {"name": taken, "policy": "random"}) == "rate_limited"
