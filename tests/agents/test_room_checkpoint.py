"""Room checkpoints: a room taken out of a Fleet and put into another goes on bit for bit."""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import safetensors.numpy

from agents.determinism import TwinRun, advance, assert_restores_exactly, assert_same_room
from agents.fleet import Fleet
from agents.ppo import LearningConfig
from agents.room_checkpoint import FORMAT, RoomCheckpoint, read_room_checkpoint, write_room_checkpoint
from agents.trainer import BackgroundTrainer
from env.config import WorldConfig

WORLD = WorldConfig(max_ticks=60)
"""Episodes short enough that every run crosses a few."""
LEARNING = LearningConfig()
"""128-tick rollouts in 16 cohorts, as the server runs them."""


def _step_until(fleet: Fleet, room: int, done: Callable[[], bool], limit: int = 1000) -> None:
    for _ in range(limit):
        if done():
            return
        advance(fleet, room)
    raise AssertionError(f"The room did not get there in {limit} ticks.")


def _twin(fleet: Fleet, room: int, into: Fleet | None = None) -> tuple[Fleet, int]:
    """The room restored into `into` (by default a fresh fleet of the same configs)."""
    target = into or Fleet(fleet.config, fleet.learning)
    return target, target.restore(fleet.checkpoint(room))


@pytest.mark.parametrize("moment", ["cohort offset", "mid-rollout", "update due", "just updated"])
def test_a_learning_room_restored_goes_on_exactly(moment: str) -> None:
    fleet = Fleet(WORLD, LEARNING)
    room = fleet.add(4, "learning", 3)
    full = LEARNING.rollout_ticks
    if moment == "cohort offset":
        advance(fleet, room)
        assert fleet.rollout_ticks(room) == 0, "seed 3 leaves its first ticks out of its rollouts"
    elif moment == "mid-rollout":
        _step_until(fleet, room, lambda: fleet.rollout_ticks(room) == 70)
    elif moment == "update due":
        _step_until(fleet, room, lambda: fleet.rollout_ticks(room) == full)
    else:
        _step_until(fleet, room, lambda: fleet.rollout_ticks(room) == full)
        advance(fleet, room)
        assert fleet.rollout_ticks(room) == 1
    twin, restored = _twin(fleet, room)
    run = assert_restores_exactly(fleet, room, twin, restored, 300)
    assert run.updates >= 2 and run.episodes >= 4


def test_taking_a_checkpoint_leaves_the_room_as_it_was() -> None:
    watched, untouched = Fleet(WORLD, LEARNING), Fleet(WORLD, LEARNING)
    room, other = watched.add(4, "learning", 8), untouched.add(4, "learning", 8)
    for tick in range(200):
        if tick % 37 == 0:
            watched.checkpoint(room)
        advance(watched, room)
        advance(untouched, other)
    assert_same_room(watched, room, untouched, other)


@pytest.mark.parametrize("shared", [True, False])
def test_a_room_in_several_worlds_restored_goes_on_exactly_through_set_envs_and_reset(shared: bool) -> None:
    learning = LearningConfig(shared=shared)
    fleet = Fleet(WORLD, learning)
    room = fleet.add(4, "learning", 12)
    fleet.set_envs(room, 4)
    for _ in range(30):
        advance(fleet, room)
    fleet.set_envs(room, 2)  # the seeds of worlds 3 and 4 have gone on and must carry over
    _step_until(fleet, room, lambda: fleet.rollout_ticks(room) == 50)
    twin, restored = _twin(fleet, room)
    assert twin.envs(restored) == 2
    actions = {
        20: lambda f, r: f.set_envs(r, 4),
        110: lambda f, r: f.reset(r),
        170: lambda f, r: f.set_envs(r, 1),
        230: lambda f, r: f.set_envs(r, 3),
    }
    run = assert_restores_exactly(fleet, room, twin, restored, 300, actions)
    assert run.updates >= 1 and run.episodes >= 3


def test_a_room_restored_in_four_worlds_goes_on_exactly() -> None:
    fleet = Fleet(WORLD, LEARNING)
    room = fleet.add(4, "learning", 13)
    fleet.set_envs(room, 4)
    _step_until(fleet, room, lambda: fleet.rollout_ticks(room) == 70)
    twin, restored = _twin(fleet, room)
    run = assert_restores_exactly(fleet, room, twin, restored, 200)
    assert run.updates >= 1 and run.episodes >= 3


def test_a_checkpoint_through_its_file_read_on_another_thread(tmp_path: Path) -> None:
    fleet = Fleet(WORLD, LEARNING)
    room = fleet.add(4, "learning", 21)
    fleet.set_envs(room, 2)
    _step_until(fleet, room, lambda: fleet.rollout_ticks(room) == 70)
    checkpoint = fleet.checkpoint(room)
    path = tmp_path / "room.safetensors"
    found: dict[str, object] = {}

    def write_and_read() -> None:  # no MLX on this thread
        found["bytes"] = write_room_checkpoint(path, checkpoint)
        found["read"] = read_room_checkpoint(path)

    thread = threading.Thread(target=write_and_read)
    thread.start()
    thread.join()
    read = found["read"]
    assert isinstance(read, RoomCheckpoint)
    assert found["bytes"] == path.stat().st_size
    assert os.listdir(tmp_path) == ["room.safetensors"], "no temporary file is left behind"
    assert read.facts == checkpoint.facts
    assert read.arrays.keys() == checkpoint.arrays.keys()
    for name, array in checkpoint.arrays.items():
        assert read.arrays[name].dtype == array.dtype and np.array_equal(read.arrays[name], array), name
    twin = Fleet(WORLD, LEARNING)
    restored = twin.restore(read)
    run = assert_restores_exactly(fleet, room, twin, restored, 250)
    assert run.updates >= 1 and run.episodes >= 3


@pytest.mark.parametrize("policy", ["heuristic", "random"])
def test_a_scripted_room_restored_goes_on_exactly(policy: str) -> None:
    fleet = Fleet(WORLD, LEARNING)
    room = fleet.add(5, policy, 4)
    for _ in range(45):
        advance(fleet, room)
    assert fleet.rollout_ticks(room) == 0
    twin, restored = _twin(fleet, room, Fleet(WORLD, LearningConfig(hidden=8)))
    run = assert_restores_exactly(fleet, room, twin, restored, 200, {100: lambda f, r: f.reset(r)})
    assert run.episodes >= 3


def test_a_room_restored_among_others_and_as_a_fork_goes_on_exactly() -> None:
    fleet = Fleet(WORLD, LEARNING)
    room = fleet.add(4, "learning", 31)
    _step_until(fleet, room, lambda: fleet.rollout_ticks(room) == 90)
    crowded = Fleet(WORLD, LEARNING)
    others = [crowded.add(4, "learning", 200 + i) for i in range(5)]
    crowded.set_envs(others[0], 2)
    for _ in range(17):
        crowded.step(others)
    checkpoint = fleet.checkpoint(room)
    restored = crowded.restore(checkpoint)
    run = assert_restores_exactly(fleet, room, crowded, restored, 250, alongside=others)
    assert run.updates >= 1 and run.episodes >= 3

    fork = fleet.restore(fleet.checkpoint(room))  # a fork beside its original, in its own fleet
    assert_restores_exactly(fleet, room, fleet, fork, 60)


def _run_with_trainers(ticks: int, run: Callable[[Fleet, Fleet], TwinRun]) -> TwinRun:
    trainers = [BackgroundTrainer(), BackgroundTrainer()]
    try:
        first, second = (Fleet(WORLD, LEARNING, update_budget=1, trainer=trainer) for trainer in trainers)
        return run(first, second)
    finally:
        for trainer in trainers:
            trainer.close()


def test_a_room_restored_while_its_update_is_with_the_trainer_goes_on_exactly() -> None:
    def run(fleet: Fleet, twin: Fleet) -> TwinRun:
        room = fleet.add(4, "learning", 41)
        fleet.set_envs(room, 2)
        _step_until(fleet, room, lambda: fleet.rollout_ticks(room) == LEARNING.rollout_ticks)
        fleet.step([room])
        assert fleet.deferred == [room], "its update went to the trainer"
        restored = twin.restore(fleet.checkpoint(room))
        assert fleet.rollout_ticks(room) == 0, "taking the checkpoint waited for the update"
        return assert_restores_exactly(fleet, room, twin, restored, 200)

    result = _run_with_trainers(200, run)
    assert result.updates >= 1 and result.episodes >= 3


def test_a_room_of_other_configs_restored_into_a_default_fleet_goes_on_exactly() -> None:
    world = WorldConfig(width=12, height=12, max_ticks=50, wall_segments=3)
    learning = LearningConfig(rollout_ticks=32, minibatches=4, learning_rate=3e-3, shared=False)
    fleet = Fleet()
    fleet.add(2, "learning", 1)
    room = fleet.add(3, "learning", 5, world, learning)
    _step_until(fleet, room, lambda: fleet.rollout_ticks(room) == 20)
    twin = Fleet()
    neighbour = twin.add(3, "learning", 5)
    restored = twin.restore(fleet.checkpoint(room))
    assert twin.configs(restored) == (world, learning)
    assert twin.configs(neighbour) == (WorldConfig(), LearningConfig())
    assert twin.snapshot(restored)["width"] == 12
    run = assert_restores_exactly(fleet, room, twin, restored, 130, alongside=[neighbour])
    assert run.updates >= 3 and run.episodes >= 2


def test_a_scripted_room_of_another_world_restored_goes_on_exactly() -> None:
    fleet = Fleet()
    room = fleet.add(4, "heuristic", 2, WorldConfig(width=16, height=10, max_ticks=50))
    for _ in range(30):
        advance(fleet, room)
    twin = Fleet(WORLD)
    restored = twin.restore(fleet.checkpoint(room))
    assert twin.configs(restored)[0] == WorldConfig(width=16, height=10, max_ticks=50)
    assert assert_restores_exactly(fleet, room, twin, restored, 80).episodes >= 1


@pytest.mark.parametrize(
    ("part", "change", "message"),
    [
        ("world", {"max_tick": 60}, "unknown field 'max_tick'"),
        ("world", {"max_ticks": "60"}, "world.max_ticks is '60'"),
        ("world", {"max_ticks": True}, "world.max_ticks is True"),
        ("world", {"wall_length": [2]}, "world.wall_length"),
        ("world", {"width": 3}, "3x20"),
        ("learning", {"shared": 1}, "learning.shared is 1"),
        ("learning", None, "learning config None"),
    ],
)
def test_a_checkpoint_of_malformed_configs_is_refused_and_takes_no_room(
    part: str, change: dict[str, object] | None, message: str
) -> None:
    fleet = Fleet(WORLD, LEARNING)
    room = fleet.add(4, "learning", 5)
    checkpoint = fleet.checkpoint(room)
    checkpoint.facts[part] = None if change is None else {**checkpoint.facts[part], **change}
    with pytest.raises(ValueError, match=re.escape(message)):
        fleet.restore(checkpoint)
    assert len(fleet) == 1


def test_a_checkpoint_of_another_format_is_refused() -> None:
    fleet = Fleet(WORLD, LEARNING)
    checkpoint = fleet.checkpoint(fleet.add(4, "learning", 5))
    checkpoint.facts["format"] = "simrooms-room-v0"
    with pytest.raises(ValueError, match="simrooms-room-v0"):
        fleet.restore(checkpoint)


def test_a_checkpoint_from_before_a_config_field_existed_takes_its_default() -> None:
    fleet = Fleet(WORLD, LEARNING)
    room = fleet.add(2, "random", 5)
    checkpoint = fleet.checkpoint(room)
    del checkpoint.facts["world"]["low_energy_margin"]
    restored = fleet.restore(checkpoint)
    assert fleet.configs(restored) == fleet.configs(room)


def test_a_checkpoint_whose_arrays_do_not_fit_is_refused_and_takes_no_room() -> None:
    fleet = Fleet(WORLD, LEARNING)
    room = fleet.add(4, "learning", 5)
    checkpoint = fleet.checkpoint(room)
    checkpoint.arrays["world/0/grid"] = checkpoint.arrays["world/0/grid"][:-1]
    with pytest.raises(ValueError, match="'grid'"):
        fleet.restore(checkpoint)
    assert len(fleet) == 1
    found = fleet.learner_of(room)
    assert found is not None
    del checkpoint.arrays["policy/params/" + next(iter(found[0].params))]
    with pytest.raises(ValueError, match=r"'params/"):
        fleet.restore(checkpoint)


def test_reading_a_file_that_is_not_a_room_checkpoint_names_it(tmp_path: Path) -> None:
    garbage = tmp_path / "garbage.safetensors"
    garbage.write_bytes(b"\x10\x00\x00\x00\x00\x00\x00\x00not json at all!")
    with pytest.raises(ValueError, match=r"garbage\.safetensors"):
        read_room_checkpoint(garbage)
    other = tmp_path / "other.safetensors"
    safetensors.numpy.save_file({"x": np.zeros(3)}, str(other), metadata={"format": "simrooms-policy-v1"})
    with pytest.raises(ValueError, match=r"other\.safetensors.*simrooms-policy-v1"):
        read_room_checkpoint(other)
    older = tmp_path / "older.safetensors"
    fleet = Fleet(WORLD, LEARNING)
    checkpoint = fleet.checkpoint(fleet.add(2, "random", 1))
    write_room_checkpoint(older, RoomCheckpoint({**checkpoint.facts, "format": "simrooms-room-v0"}, {}))
    with pytest.raises(ValueError, match=r"older\.safetensors"):
        read_room_checkpoint(older)
    assert FORMAT != "simrooms-room-v0"


def test_a_failed_write_leaves_the_old_file_and_no_temporary_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fleet = Fleet(WORLD, LEARNING)
    checkpoint = fleet.checkpoint(fleet.add(2, "heuristic", 1))
    path = tmp_path / "room.safetensors"
    write_room_checkpoint(path, checkpoint)
    before = path.read_bytes()

    def failing_replace(source: str, target: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", failing_replace)
    with pytest.raises(OSError, match="disk full"):
        write_room_checkpoint(path, checkpoint)
    assert os.listdir(tmp_path) == ["room.safetensors"] and path.read_bytes() == before


_IN_ANOTHER_PROCESS = """
import hashlib, json, sys
from agents.fleet import Fleet
from agents.ppo import LearningConfig
from agents.room_checkpoint import read_room_checkpoint
from env.config import WorldConfig
fleet = Fleet(WorldConfig(max_ticks=60), LearningConfig())
room = fleet.restore(read_room_checkpoint(sys.argv[1]))
summaries = [fleet.step_one(room) for _ in range(int(sys.argv[2]))]
found = fleet.state_digest_bytes(room) + json.dumps(fleet.snapshot(room)).encode() + repr(summaries).encode()
print(hashlib.sha256(found).hexdigest())
"""


def test_a_room_restored_in_another_process_goes_on_exactly(tmp_path: Path) -> None:
    """A restart: the MLX of a fresh process, none of this one's compiled calls or caches."""
    fleet = Fleet(WORLD, LEARNING)
    room = fleet.add(4, "learning", 51)
    fleet.set_envs(room, 2)
    _step_until(fleet, room, lambda: fleet.rollout_ticks(room) == 100)
    path = tmp_path / "room.safetensors"
    write_room_checkpoint(path, fleet.checkpoint(room))
    ticks = 150
    child = subprocess.run(
        [sys.executable, "-c", _IN_ANOTHER_PROCESS, str(path), str(ticks)],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parents[2],
        env={**os.environ, "OPENBLAS_NUM_THREADS": "1"},
        timeout=120,
    )
    summaries = [fleet.step_one(room) for _ in range(ticks)]
    assert any(summaries), "the run crosses an episode"
    found = (
        fleet.state_digest_bytes(room) + json.dumps(fleet.snapshot(room)).encode() + repr(summaries).encode()
    )
    assert child.stdout.strip() == hashlib.sha256(found).hexdigest()
