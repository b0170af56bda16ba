"""restart_training against a real server: a restarted learning room acts as a fresh policy drawn
from its seed and its count of restarts (alike for two rooms restarted alike), and seeks, forks and
a server restart after it give exactly the states the room had or would have had."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.support.server import LASTING, Clients, Controls, Server, drive, make_room, world


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    running = Server(tmp_path_factory.mktemp("restart-training"), LASTING)
    yield running
    running.stop()


# Restarts at tick 30 and, after the server's restart, at tick 220 (tests/agents/test_training_restarts.py
# runs restarted rooms through their updates).
BEFORE: Controls = [("step", 30), ("restart", None), ("step", 140)]
AFTER: Controls = [("step", 50), ("restart", None), ("step", 40)]


def differing_ticks(first: dict[int, dict[str, Any]], second: dict[int, dict[str, Any]]) -> list[int]:
    return [tick for tick in sorted(first) if world(first[tick]) != world(second[tick])]


def test_a_restarted_training_is_fresh_alike_and_replays_forks_and_restarts_exactly(
    server: Server, connect: Clients
) -> None:
    alice, bob = connect("alice"), connect("bob")
    name = make_room(alice, policy="learning", agents=4, seed=5)
    bob.ok("join_room", {"room": name})
    states = drive(alice, name, BEFORE)
    assert (states[30]["tick"], states[30]["episode"]) == (30, 2), "the restart ended episode 1"
    ended = bob.wait_for(lambda: bob.received("game_ended", name), what="game_ended")
    assert (ended[0]["episode"], ended[0]["tick"], ended[0]["reason"]) == (1, 30, "reset")
    told = bob.wait_for(
        lambda: [e for e in bob.received("room_event", name) if e["kind"] == "training_restarted"]
    )
    assert [(e["tick"], e["user"], e["detail"]) for e in told] == [(30, "alice", None)]

    # A room restarted alike acts alike; one reset instead of restarted goes on with the weights it
    # had, so it acts otherwise from the restart on (both begin the same episode 2 at tick 30).
    twin = make_room(alice, policy="learning", agents=4, seed=5)
    assert differing_ticks(states, drive(alice, twin, BEFORE)) == []
    kept = make_room(alice, policy="learning", agents=4, seed=5)
    differ = differing_ticks(states, drive(alice, kept, [("step", 30), ("reset", None), ("step", 140)]))
    assert differ and differ[0] > 30, differ

    # Seeks re-simulate every tick, the restart included, as the room had it.
    for tick in sorted(states):
        past = alice.ok("get_state", {"room": name, "tick": tick})["state"]
        assert world(past) == world(states[tick]), f"seek to tick {tick}"

    # Forks at the restart's tick and after it follow their origin.
    for fork_tick in (30, 100):
        fork = f"{name} at {fork_tick}"
        alice.ok("create_room", {"name": fork, "fork": {"room": name, "tick": fork_tick}})
        forked = drive(alice, fork, [("step", 170 - fork_tick)])
        assert world(forked[170]) == world(states[170]), f"fork at {fork_tick}"
        assert differing_ticks(forked, {t: states[t] for t in forked}) == []

    # After a SIGTERM restart the room goes on as a room that never stopped: a second restart of
    # its training draws from its count of restarts, which its checkpoint kept.
    connect.close()
    assert server.stop() == 0
    server.start()
    alice = connect("alice")
    assert world(alice.ok("get_state", {"room": name})["state"]) == world(states[170])
    states.update(drive(alice, name, AFTER))
    never_stopped = make_room(alice, policy="learning", agents=4, seed=5)
    alike = drive(alice, never_stopped, BEFORE + AFTER)
    assert max(states) == 260
    assert differing_ticks(states, alike) == []
    for tick in (250, 221, 220, 219, 171, 31):
        past = alice.ok("get_state", {"room": name, "tick": tick})["state"]
        assert world(past) == world(states[tick]), f"seek to tick {tick} after the server's restart"


def test_restart_training_needs_control_of_a_learning_room(connect: Clients) -> None:
    alice, bob, carol, root = connect("alice"), connect("bob"), connect("carol"), connect("root")
    heuristic = make_room(alice, policy="heuristic")
    ack = alice.call("restart_training", {"room": heuristic})
    assert ack["error"]["code"] == "invalid_state"
    assert ack["error"]["message"] == f"Room {heuristic!r} does not learn: its policy is 'heuristic'."
    assert alice.error("restart_training", {"room": make_room(alice, policy="random")}) == "invalid_state"

    learning = make_room(alice, policy="learning", seed=2)
    assert bob.error("restart_training", {"room": learning}) == "forbidden"
    assert bob.error("restart_training", {"room": "no such room"}) == "not_found"
    assert bob.error("restart_training", {"room": learning, "extra": 1}) == "invalid_payload"
    private = make_room(alice, policy="learning", public=False)
    assert bob.error("restart_training", {"room": private}) == "not_found"
    alice.ok("grant_control", {"room": learning, "user": "bob", "allow": True})
    assert bob.ok("restart_training", {"room": learning})["tick"] == 0
    assert root.ok("restart_training", {"room": learning})["tick"] == 0
    state = carol.ok("get_state", {"room": learning})["state"]
    assert (state["tick"], state["episode"]) == (0, 3), "each restart ended an episode"
