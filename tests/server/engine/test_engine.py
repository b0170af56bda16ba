"""The engine thread in a real `simrooms serve`: rooms stay independent, turbo shares the engine,
episodes end, a failing room stops alone, and the event loop keeps answering meanwhile."""

from __future__ import annotations

import itertools
import re
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import requests

from tests.support.server import (
    Client,
    Server,
    make_room,
    world,
)

pytestmark = pytest.mark.integration


def test_ten_rooms_stay_independent(connect: Callable[..., Client]) -> None:
    alice = connect("alice")
    seeds = [11, 11, 12, 13, 14, 15, 16, 17, 11, 12]
    names = [
        make_room(alice, seed=seed, speed=5.0, policy="random" if i % 2 else "heuristic")
        for i, seed in enumerate(seeds)
    ]
    policies = ["random" if i % 2 else "heuristic" for i in range(len(seeds))]
    for name in names:
        alice.ok("start_game", {"room": name})
    time.sleep(1.0)
    ticks = [alice.ok("stop_game", {"room": name})["tick"] for name in names]
    target = max(ticks) + 3
    for name, tick in zip(names, ticks, strict=True):
        for _ in range(target - tick):
            alice.ok("step_game", {"room": name})
    states = [world(alice.ok("get_state", {"room": name})["state"]) for name in names]
    assert all(s["tick"] == target for s in states)
    for i, j in itertools.combinations(range(len(names)), 2):
        same = seeds[i] == seeds[j] and policies[i] == policies[j]
        assert (states[i] == states[j]) == same, (i, j, seeds[i], seeds[j])


def test_a_turbo_room_leaves_other_rooms_their_pace(connect: Callable[..., Client]) -> None:
    """Turbo shares the engine: a learning room at "max" runs far faster than speed 5 while a
    learning room at speed 1.0 beside it keeps its 10 ticks a second."""
    alice = connect("alice")
    fast = make_room(alice, "fast", speed="max", policy="learning")
    steady = make_room(alice, "steady", speed=1.0, policy="learning")
    alice.ok("start_game", {"room": steady})
    alice.ok("start_game", {"room": fast})
    began = time.monotonic()
    steady_start = alice.ok("get_state", {"room": steady})["state"]["tick"]
    fast_start = alice.ok("get_state", {"room": fast})["state"]["tick"]
    time.sleep(4.0)
    steady_ticks = alice.ok("get_state", {"room": steady})["state"]["tick"] - steady_start
    fast_ticks = alice.ok("get_state", {"room": fast})["state"]["tick"] - fast_start
    seconds = time.monotonic() - began
    alice.ok("stop_game", {"room": fast})
    alice.ok("stop_game", {"room": steady})
    assert steady_ticks >= 0.9 * 10 * seconds - 2, (steady_ticks, seconds)
    assert fast_ticks > 5 * 10 * seconds, (fast_ticks, seconds)


def _agent_steps(server: Server) -> float:
    text = requests.get(server.url + "/metrics").text
    return float(re.search(r"^simrooms_agent_steps_total (\S+)$", text, re.M).group(1))  # type: ignore[union-attr]


def test_a_learning_room_in_turbo_trains_in_several_worlds(
    server: Server, connect: Callable[..., Client]
) -> None:
    """In turbo a learning room steps 16 copies of its world a tick (the default turbo_worlds)
    while its members see one; at an ordinary speed it trains in its own world again."""
    alice = connect("alice")
    admin = {"Authorization": f"Bearer {server.token('root')}"}
    name = make_room(alice, speed="max", policy="learning", agents=2)

    def worlds() -> int:
        rooms = requests.get(server.url + "/api/admin/rooms", headers=admin).json()["rooms"]
        return int(next(room["worlds"] for room in rooms if room["name"] == name))

    assert worlds() == 16
    steps_before = _agent_steps(server)
    alice.ok("start_game", {"room": name})
    time.sleep(1.5)
    ticks = alice.ok("stop_game", {"room": name})["tick"]
    assert ticks > 20
    # The engine hands its figures over every half second.
    alice.wait_for(lambda: _agent_steps(server) - steps_before >= 16 * 2 * ticks, timeout=5)
    state = alice.ok("get_state", {"room": name})["state"]
    assert len(state["agents"]) == 2 and len(state["grid"]) == 20 and state["tick"] == ticks
    assert alice.ok("set_speed", {"room": name, "speed": 1.0})["speed"] == 1.0
    assert worlds() == 1
    assert alice.ok("get_state", {"room": name})["state"] == state | {"speed": 1.0}
    assert alice.ok("step_game", {"room": name})["tick"] == ticks + 1


def test_reset_sends_game_ended_and_metrics(connect: Callable[..., Client]) -> None:
    alice = connect("alice")
    name = make_room(alice)
    alice.ok("join_room", {"room": name})
    for _ in range(3):
        alice.ok("step_game", {"room": name})
    assert alice.ok("reset_game", {"room": name})["tick"] == 3
    ended = alice.wait_for(lambda: alice.received("game_ended", name))[0]
    assert ended["reason"] == "reset" and ended["episode"] == 1 and ended["tick"] == 3
    assert set(ended["stats"]) == {"products_created", "efficiency", "total_reward"}
    metrics = alice.wait_for(lambda: alice.received("metrics", name))[0]
    assert metrics["episode"] == 1 and "return" in metrics
    state = alice.ok("get_state", {"room": name})["state"]
    assert state["episode"] == 2 and state["tick"] == 3


def test_a_failing_room_stops_with_room_error_and_others_go_on(connect: Callable[..., Client]) -> None:
    alice = connect("alice")
    boom = make_room(alice, prefix="boom", speed=5.0)
    fine = make_room(alice, speed=5.0)
    for name in (boom, fine):
        alice.ok("join_room", {"room": name})
        alice.ok("start_game", {"room": name})
    error = alice.wait_for(lambda: alice.received("room_error", boom), what="room_error")[0]
    assert error["room"] == boom and "injected fault" in error["message"]
    before = alice.ok("get_state", {"room": fine})["state"]["tick"]
    time.sleep(0.5)
    after = alice.ok("get_state", {"room": fine})["state"]
    assert after["tick"] > before and after["running"]
    assert alice.ok("get_state", {"room": boom})["state"]["running"] is False
    alice.wait_for(
        lambda: any(
            any(r["name"] == boom and not r["running"] for r in m["rooms"])
            for m in alice.received("room_list")
        )
    )
    alice.ok("stop_game", {"room": fine})  # the server is shared: leave no room running


def test_learning_room_runs(connect: Callable[..., Client]) -> None:
    alice = connect("alice")
    name = make_room(alice, policy="learning", agents=2, speed=5.0)
    alice.ok("join_room", {"room": name})
    alice.ok("start_game", {"room": name})
    alice.wait_for(lambda: any(u["tick"] >= 20 for u in alice.received("state_update", name)), timeout=30)
    alice.ok("stop_game", {"room": name})


def test_the_event_loop_answers_while_the_engine_is_busy(tmp_path: Path) -> None:
    """The first learning room compiles MLX on the engine thread for a second or more; the
    handler waiting for it must not block the event loop: /healthz answers meanwhile."""

    srv = Server(tmp_path / "busy")
    try:
        client = Client(srv.url, token=srv.token("alice"))
        result: dict[str, object] = {}

        def create() -> None:
            started = time.monotonic()
            result["ack"] = client.call("create_room", {"name": "learner", "policy": "learning"}, timeout=120)
            result["seconds"] = time.monotonic() - started

        worker = threading.Thread(target=create)
        worker.start()
        slowest = 0.0
        while worker.is_alive():
            started = time.monotonic()
            assert requests.get(srv.url + "/healthz", timeout=10).status_code == 200
            slowest = max(slowest, time.monotonic() - started)
            time.sleep(0.05)
        worker.join()
        assert result["ack"]["ok"]  # type: ignore[index]
        assert slowest < 0.5, (
            f"/healthz took {slowest:.3f} s while create_room took {result['seconds']:.3f} s"
        )
        client.close()
    finally:
        srv.stop()
