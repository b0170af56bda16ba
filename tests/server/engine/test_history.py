"""Replaying a room's recorded controls from a checkpoint gives the states it had, tick by tick."""

from __future__ import annotations

from typing import Any

import pytest

from agents.fleet import Fleet
from env.config import WorldConfig
from server.engine.history import RESET, RESTART_TRAINING, TURBO_OFF, TURBO_ON, BrokenLog, replay
from server.storage.records import ControlRecord

WORLD = WorldConfig(max_ticks=60)


def live_run(
    policy: str, ticks: int, controls: dict[int, list[tuple[str, Any]]]
) -> tuple[Fleet, int, list[ControlRecord], dict[int, dict[str, Any]], dict[int, Any]]:
    """Run a room `ticks` ticks, doing `controls` (by tick) as the engine does, recording them;
    its Snapshot at the end of each tick and its checkpoint at each tick."""
    fleet = Fleet(WORLD)
    room = fleet.add(4, policy, 11)
    recorded: list[ControlRecord] = []
    states: dict[int, dict[str, Any]] = {}
    checkpoints: dict[int, Any] = {}
    for tick in range(ticks + 1):
        for kind, value in controls.get(tick, []):
            if kind == RESET:
                fleet.reset(room)
            elif kind == RESTART_TRAINING:
                assert fleet.restart_training(room)[1] == value["restarts"]
            elif kind == TURBO_ON:
                fleet.set_envs(room, value["worlds"])
            elif kind == TURBO_OFF:
                fleet.set_envs(room, 1)
            recorded.append(ControlRecord(len(recorded) + 1, tick, kind, value, None))
        states[tick] = fleet.snapshot(room)
        checkpoints[tick] = (fleet.checkpoint(room), len(recorded))
        if tick < ticks:
            fleet.step_one(room)
    return fleet, room, recorded, states, checkpoints


CONTROLS: dict[int, list[tuple[str, Any]]] = {
    5: [("stop", None), ("speed", 2.0)],
    20: [(RESET, None), (RESET, None)],
    30: [("speed", "max"), (TURBO_ON, {"worlds": 3})],
    37: [("speed", 1.0), (TURBO_OFF, None)],
    41: [("step", None)],
}


@pytest.mark.parametrize("policy", ["learning", "heuristic"])
def test_a_replay_from_any_checkpoint_gives_every_later_state(policy: str) -> None:
    _, _, recorded, states, checkpoints = live_run(policy, 150, CONTROLS)
    assert states[20]["episode"] == 3, "the two resets at tick 20 each began an episode"
    for start in (0, 20, 33, 70):
        checkpoint, seq = checkpoints[start]
        fleet = Fleet(WORLD)
        room = fleet.restore(checkpoint)
        for tick in range(start, 151, 7):
            done = replay(fleet, room, seq, recorded, tick)
            seq = done.seq
            assert done.tick == tick
            assert fleet.snapshot(room) == states[tick], f"from tick {start}, at tick {tick}"


def test_a_replay_applies_the_controls_recorded_at_the_tick_it_ends_on() -> None:
    _, _, recorded, states, checkpoints = live_run("heuristic", 25, CONTROLS)
    checkpoint, seq = checkpoints[19]
    fleet = Fleet(WORLD)
    room = fleet.restore(checkpoint)
    replay(fleet, room, seq, recorded, 20)
    assert fleet.snapshot(room) == states[20]
    assert fleet.episode(room) == 3


RESTARTS: dict[int, list[tuple[str, Any]]] = {
    15: [(RESTART_TRAINING, {"restarts": 1})],
    20: [(RESET, None)],
    70: [(RESTART_TRAINING, {"restarts": 2}), ("step", None)],
}


def test_a_replay_restarts_the_training_as_the_room_did() -> None:
    fleet, room, recorded, states, checkpoints = live_run("learning", 150, RESTARTS)
    assert states[15]["episode"] == 2
    for start in (0, 15, 40, 70):
        checkpoint, seq = checkpoints[start]
        replayed = Fleet(WORLD)
        twin = replayed.restore(checkpoint)
        for tick in (start, 90, 150):
            seq = replay(replayed, twin, seq, recorded, tick).seq
            assert replayed.snapshot(twin) == states[tick], f"from tick {start}, at tick {tick}"
        assert replayed.state_digest_bytes(twin) == fleet.state_digest_bytes(room), f"weights from {start}"


def test_a_training_restart_the_room_does_not_count_alike_is_a_broken_log() -> None:
    fleet = Fleet(WORLD)
    room = fleet.add(2, "learning", 1)
    with pytest.raises(BrokenLog, match="training restart 2, but the replay counts 1"):
        replay(fleet, room, 0, [ControlRecord(1, 0, RESTART_TRAINING, {"restarts": 2}, None)], 0)


def test_a_control_the_replay_has_passed_is_a_broken_log() -> None:
    fleet = Fleet(WORLD)
    room = fleet.add(2, "random", 1)
    fleet.step_one(room)
    with pytest.raises(BrokenLog, match="recorded at tick 0, but the replay reached it at tick 1"):
        replay(fleet, room, 0, [ControlRecord(1, 0, RESET, None, None)], 5)
    with pytest.raises(BrokenLog, match="the room is at tick 1, past 0"):
        replay(fleet, room, 0, [], 0)
