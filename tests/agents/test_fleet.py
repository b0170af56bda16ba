"""Rooms stepped together: a room's run is the same alone or batched with hundreds of others."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from agents.fleet import Fleet
from agents.learner import StackedLearner, UpdateJob, UpdateResult
from agents.ppo import LearningConfig
from agents.trainer import BackgroundTrainer
from env.config import WorldConfig

FAST_LEARNING = LearningConfig(rollout_ticks=16, minibatches=2)
ALIGNED = LearningConfig(rollout_ticks=16, minibatches=2, rollout_cohorts=1)
"""Every room fills its rollouts at multiples of 16 ticks."""


def _run_alone(
    agents: int, policy: str, seed: int, ticks: int, learning: LearningConfig, envs: int = 1
) -> tuple[bytes, dict]:
    fleet = Fleet(learning=learning)
    room = fleet.add(agents, policy, seed)
    fleet.set_envs(room, envs)
    for _ in range(ticks):
        fleet.step([room])
    return fleet.state_digest_bytes(room), fleet.snapshot(room)


@pytest.mark.parametrize("policy", ["learning", "heuristic", "random"])
def test_a_room_alone_equals_the_room_among_others(policy: str) -> None:
    """Others of every bucket come and go and step at other cadences around the watched room."""
    ticks = 70
    fleet = Fleet(learning=FAST_LEARNING)
    rng = np.random.default_rng(0)
    others = [
        fleet.add(int(rng.integers(1, 9)), str(rng.choice(["learning", "heuristic", "random"])), i)
        for i in range(12)
    ]
    others += [fleet.add(4, policy, 1000 + i) for i in range(6)]
    watched = fleet.add(4, policy, 7)
    for tick in range(ticks):
        due = [r for r in others if r in fleet and rng.random() < 0.7] + [watched]
        rng.shuffle(due)
        fleet.step(due)
        if tick == 20:
            fleet.remove(others.pop(3))
            others.append(fleet.add(4, policy, 99))
        if tick == 30 and policy == "learning":
            fleet.reset(others[-1])
    alone_digest, alone_snapshot = _run_alone(4, policy, 7, ticks, FAST_LEARNING)
    assert fleet.state_digest_bytes(watched) == alone_digest
    assert fleet.snapshot(watched) == alone_snapshot


def test_a_learning_room_alone_equals_the_room_batched_with_500_others() -> None:
    ticks = 40
    fleet = Fleet(learning=FAST_LEARNING)
    others = [fleet.add(4, "learning", 5000 + i) for i in range(500)]
    watched = fleet.add(4, "learning", 3)
    everyone = [*others, watched]
    for _ in range(ticks):
        fleet.step(everyone)
    learner = fleet.learner_of(watched)
    assert learner is not None and learner[0].capacity >= 501
    alone_digest, alone_snapshot = _run_alone(4, "learning", 3, ticks, FAST_LEARNING)
    assert fleet.state_digest_bytes(watched) == alone_digest
    assert fleet.snapshot(watched) == alone_snapshot
    # The others really are different rooms, not copies of the watched one.
    assert fleet.state_digest_bytes(others[0]) != alone_digest


def test_a_removed_room_frees_its_slot_for_a_new_one() -> None:
    fleet = Fleet()
    first = fleet.add(2, "heuristic", 1)
    fleet.step([first])
    fleet.remove(first)
    second = fleet.add(2, "heuristic", 1)
    assert first not in fleet and second in fleet and len(fleet) == 1
    assert fleet.tick(second) == 0 and fleet.episode(second) == 1
    assert fleet.snapshot(second)["log"] == []


def test_unknown_policy_and_a_room_twice_in_one_step_are_refused() -> None:
    fleet = Fleet()
    with pytest.raises(ValueError, match="'greedy' is not one of"):
        fleet.add(4, "greedy", 1)
    room = fleet.add(2, "random", 1)
    with pytest.raises(ValueError, match="names one twice"):
        fleet.step([room, room])
    assert fleet.tick(room) == 0


def test_an_update_budget_defers_rooms_without_changing_their_runs() -> None:
    """Rooms whose rollouts fill on one tick update a few per step; the others wait a step."""
    ticks, seeds = 40, [11, 12, 13, 14, 15]
    fleet = Fleet(learning=ALIGNED, update_budget=2)
    rooms = [fleet.add(4, "learning", seed) for seed in seeds]
    deferrals = 0
    while any(fleet.tick(room) < ticks for room in rooms):
        due = sorted((room for room in rooms if fleet.tick(room) < ticks), key=fleet.tick)
        fleet.step(due)
        assert len(fleet.deferred) <= len(due)
        deferrals += len(fleet.deferred)
    assert deferrals > 0, "five rooms filling together with a budget of 2 must wait"
    for room, seed in zip(rooms, seeds, strict=True):
        assert fleet.state_digest_bytes(room) == _run_alone(4, "learning", seed, ticks, ALIGNED)[0]


def _weights(fleet: Fleet, room: int) -> bytes:
    found = fleet.learner_of(room)
    assert found is not None
    return found[0].digest(found[1])


def test_a_room_training_in_several_worlds_keeps_its_world_and_weights() -> None:
    fleet = Fleet(learning=ALIGNED)
    room = fleet.add(3, "learning", 5)
    for _ in range(20):
        fleet.step([room])
    before, weights = fleet.snapshot(room), _weights(fleet, room)
    observations = fleet.observation(room)[0].copy()

    fleet.set_envs(room, 4)
    assert fleet.envs(room) == 4
    assert fleet.snapshot(room) == before and _weights(fleet, room) == weights
    np.testing.assert_array_equal(fleet.observation(room)[0], observations)
    learner, row = fleet.learner_of(room) or (None, 0)
    assert learner is not None and learner.envs == 4 and learner.filled[row] == 0
    updates = learner.figures[row].updates
    assert updates == 1, "the figures of the episode so far come along"
    grids = fleet._rooms[room].bucket.world.grid[fleet._rooms[room].slots]
    assert len({grid.tobytes() for grid in grids}) == 4, "each world lays its own episode"

    for _ in range(ALIGNED.rollout_ticks + 1):
        fleet.step([room])
    assert fleet.tick(room) == 20 + ALIGNED.rollout_ticks + 1
    assert _weights(fleet, room) != weights, "a full rollout of four worlds updates the weights"
    assert learner.figures[row].updates == updates + 1

    shown = fleet.snapshot(room)
    fleet.set_envs(room, 1)
    assert fleet.envs(room) == 1 and fleet.snapshot(room) == shown
    fleet.step([room])
    assert fleet.tick(room) == 20 + ALIGNED.rollout_ticks + 2


def test_a_room_in_several_worlds_runs_the_same_alone_or_among_others() -> None:
    def run(fleet: Fleet, room: int, others: list[int]) -> None:
        for tick in range(60):
            if tick == 10:
                fleet.set_envs(room, 3)
            if tick == 45:
                fleet.set_envs(room, 1)
            if tick == 50:
                fleet.set_envs(room, 3)
            fleet.step([room, *others])

    alone = Fleet(learning=FAST_LEARNING)
    room = alone.add(4, "learning", 21)
    run(alone, room, [])
    crowded = Fleet(learning=FAST_LEARNING)
    others = [crowded.add(4, "learning", 100 + i) for i in range(5)]
    for other in others[:2]:
        crowded.set_envs(other, 3)
    watched = crowded.add(4, "learning", 21)
    run(crowded, watched, others)
    assert crowded.state_digest_bytes(watched) == alone.state_digest_bytes(room)
    assert crowded.snapshot(watched) == alone.snapshot(room)
    assert crowded.state_digest_bytes(others[0]) != alone.state_digest_bytes(room)


def test_rooms_that_do_not_learn_keep_one_world() -> None:
    fleet = Fleet()
    room = fleet.add(2, "heuristic", 1)
    fleet.set_envs(room, 8)
    assert fleet.envs(room) == 1
    with pytest.raises(ValueError, match="at least one world, not 0"):
        fleet.set_envs(room, 0)


def _step_until(fleet: Fleet, rooms: list[int], ticks: int) -> int:
    """Step the rooms until each has `ticks` ticks; how many times a room was deferred."""
    deferrals = 0
    while due := [room for room in rooms if fleet.tick(room) < ticks]:
        fleet.step(due)
        deferrals += len(fleet.deferred)
        if len(fleet.deferred) == len(due):
            time.sleep(0.001)  # every room waits for the trainer
    return deferrals


def test_updates_on_the_trainer_thread_leave_each_room_as_it_runs_alone() -> None:
    ticks, seeds, worlds = 40, [31, 32, 33, 34, 35], [2, 1, 1, 3, 1]
    trainer = BackgroundTrainer()
    try:
        fleet = Fleet(learning=FAST_LEARNING, update_budget=2, trainer=trainer)
        rooms = [fleet.add(4, "learning", seed) for seed in seeds]
        for room, envs in zip(rooms, worlds, strict=True):
            fleet.set_envs(room, envs)
        assert _step_until(fleet, rooms, ticks) > 0, "rooms wait for their updates from the trainer"
        for room, seed, envs in zip(rooms, seeds, worlds, strict=True):
            expected = _run_alone(4, "learning", seed, ticks, FAST_LEARNING, envs)
            assert fleet.state_digest_bytes(room) == expected[0]
            assert fleet.snapshot(room) == expected[1]
    finally:
        trainer.close()


def test_a_room_waits_for_its_update_before_it_is_reset_moved_or_removed() -> None:
    trainer = BackgroundTrainer()
    try:
        fleet = Fleet(learning=ALIGNED, trainer=trainer)
        room, other = fleet.add(2, "learning", 1), fleet.add(2, "learning", 2)
        _step_until(fleet, [room, other], ALIGNED.rollout_ticks)
        fleet.step([room, other])
        assert set(fleet.deferred) == {room, other}, "both rollouts are full: both go to the trainer"
        fleet.reset(room)
        learner, row = fleet.learner_of(room) or (None, 0)
        assert learner is not None and learner.filled[row] == 0 and learner.figures[row].updates == 0
        assert fleet.totals(room).finished[-1].metrics["updates"] == 1, (
            "the update counts in the episode it ends"
        )
        assert fleet.step_one(other) is None and fleet.tick(other) == ALIGNED.rollout_ticks + 1
        fleet.remove(room)
        assert trainer.outstanding == 0
    finally:
        trainer.close()


def test_an_update_that_fails_on_the_trainer_raises_here_and_is_tried_again(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    trainer = BackgroundTrainer()
    try:
        fleet = Fleet(learning=ALIGNED, trainer=trainer)
        room = fleet.add(2, "learning", 1)
        _step_until(fleet, [room], ALIGNED.rollout_ticks)
        compute = StackedLearner.compute

        def broken(self: StackedLearner, job: object) -> None:
            raise RuntimeError("out of memory")

        monkeypatch.setattr(StackedLearner, "compute", broken)
        fleet.step([room])
        with pytest.raises(RuntimeError, match="out of memory"):
            while True:
                fleet.step([room])
        monkeypatch.setattr(StackedLearner, "compute", compute)
        _step_until(fleet, [room], ALIGNED.rollout_ticks + 1)
        assert (
            fleet.state_digest_bytes(room)
            == _run_alone(2, "learning", 1, ALIGNED.rollout_ticks + 1, ALIGNED)[0]
        )
    finally:
        trainer.close()


def test_rooms_started_together_fill_their_rollouts_on_different_ticks() -> None:
    fleet = Fleet(learning=FAST_LEARNING)
    rooms = [fleet.add(2, "learning", seed) for seed in range(40)]
    filled_on: dict[int, int] = {}
    for tick in range(1, 2 * FAST_LEARNING.rollout_ticks):
        fleet.step([room for room in rooms if room not in filled_on])
        for room in rooms:
            learner, row = fleet.learner_of(room) or (None, 0)
            assert learner is not None
            if room not in filled_on and learner.full(np.array([row]))[0]:
                filled_on[room] = tick
    assert len(filled_on) == len(rooms), "every room fills within two rollouts' worth of ticks"
    assert min(filled_on.values()) >= FAST_LEARNING.rollout_ticks
    # FAST_LEARNING's 16 ticks in 16 cohorts: one tick apart.
    assert len(set(filled_on.values())) >= 10, sorted(filled_on.values())
    with pytest.raises(ValueError, match="does not split into 3 cohorts"):
        Fleet(learning=LearningConfig(rollout_ticks=16, rollout_cohorts=3)).add(2, "learning", 1)


def test_a_room_whose_update_failed_can_still_be_removed(monkeypatch: pytest.MonkeyPatch) -> None:
    trainer = BackgroundTrainer()
    try:
        fleet = Fleet(learning=ALIGNED, trainer=trainer)
        room, other = fleet.add(2, "learning", 1), fleet.add(2, "learning", 2)
        _step_until(fleet, [room, other], ALIGNED.rollout_ticks)

        def broken(self: StackedLearner, job: object) -> None:
            raise RuntimeError("out of memory")

        monkeypatch.setattr(StackedLearner, "compute", broken)
        fleet.step([room, other])
        assert set(fleet.deferred) == {room, other}
        fleet.remove(room)
        assert room not in fleet and other in fleet and trainer.outstanding == 0
    finally:
        trainer.close()


def test_a_room_added_while_the_trainer_computes_leaves_that_update_alone(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The learner grows and writes new rooms' weights while a job computes with its weights."""
    go = threading.Event()
    compute = StackedLearner.compute

    def held(self: StackedLearner, job: UpdateJob) -> UpdateResult:
        assert go.wait(30)
        return compute(self, job)

    monkeypatch.setattr(StackedLearner, "compute", held)
    trainer = BackgroundTrainer()
    try:
        fleet = Fleet(learning=ALIGNED, trainer=trainer)
        first = fleet.add(2, "learning", 1)
        for _ in range(ALIGNED.rollout_ticks):
            fleet.step([first])
        fleet.step([first])
        assert fleet.deferred == [first], "its update is with the trainer"
        others = [fleet.add(2, "learning", seed) for seed in (2, 3, 4)]
        for _ in range(3):
            fleet.step(others)
        go.set()
        _step_until(fleet, [first], ALIGNED.rollout_ticks + 1)
        assert (
            fleet.state_digest_bytes(first)
            == _run_alone(2, "learning", 1, ALIGNED.rollout_ticks + 1, ALIGNED)[0]
        )
    finally:
        go.set()
        trainer.close()


def test_rooms_that_end_episodes_together_lay_the_next_ones_ahead_a_few_a_step(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Rooms started together end every episode on one tick; their next layouts are laid on the
    ticks before, at most ceil(rooms / ticks left) a step, and the runs are those laid at reset."""
    from agents import fleet as fleet_module

    config = WorldConfig(max_ticks=12)
    rooms, ticks = 8, 40

    def run(lay_ahead_ticks: int) -> tuple[list[bytes], list[int]]:
        monkeypatch.setattr(fleet_module, "LAY_AHEAD_TICKS", lay_ahead_ticks)
        laid = [0]  # layouts laid: when the rooms are added, then on each step
        real = fleet_module.lay_out

        def counted(*args: object) -> object:
            laid[-1] += 1
            return real(*args)  # type: ignore[arg-type]

        monkeypatch.setattr(fleet_module, "lay_out", counted)
        fleet = Fleet(config=config, learning=FAST_LEARNING)
        ids = [fleet.add(3, "heuristic", 70 + i) for i in range(rooms)]
        for _ in range(ticks):
            laid.append(0)
            fleet.step(ids)
        return [fleet.state_digest_bytes(room) for room in ids], laid[1:]

    ahead, laid_ahead = run(fleet_module.LAY_AHEAD_TICKS)
    at_reset, laid_at_reset = run(-1)
    assert ahead == at_reset
    assert max(laid_at_reset) == rooms  # every room lays its next episode on the tick it ends
    assert max(laid_ahead) == 1


SMALL_WORLD = WorldConfig(width=12, height=12, max_ticks=60, wall_segments=3)
SHORT_EPISODES = WorldConfig(max_ticks=60)
FAST_STEPS = LearningConfig(rollout_ticks=16, minibatches=2, learning_rate=5e-3)


def test_rooms_of_different_configs_step_together_each_as_alone() -> None:
    """Two world configs (short episodes, a 12x12 grid) and two learning rates in one fleet: each
    room equals, tick by tick, the same room alone in a default fleet of its own."""
    specs: list[tuple[int, str, int, WorldConfig | None, LearningConfig | None]] = [
        (3, "learning", 1, SHORT_EPISODES, FAST_LEARNING),
        (3, "learning", 1, SHORT_EPISODES, FAST_STEPS),
        (3, "learning", 1, SMALL_WORLD, FAST_LEARNING),
        (3, "learning", 2, None, FAST_STEPS),
        (3, "heuristic", 1, SMALL_WORLD, None),
        (3, "heuristic", 1, None, None),
    ]
    fleet = Fleet(learning=FAST_LEARNING)
    together = [
        fleet.add(agents, policy, seed, world, learning) for agents, policy, seed, world, learning in specs
    ]
    alone = []
    for agents, policy, seed, world, learning in specs:
        own = Fleet()
        alone.append((own, own.add(agents, policy, seed, world, learning or FAST_LEARNING)))
    for room, (own, own_room) in zip(together, alone, strict=True):
        assert fleet.configs(room) == own.configs(own_room)
    assert fleet.configs(together[3]) == (WorldConfig(), FAST_STEPS)
    assert fleet.configs(together[5]) == (WorldConfig(), FAST_LEARNING), "None takes the fleet's defaults"
    episodes = 0
    for tick in range(130):
        ended = fleet.step(together)
        episodes += len(ended)
        for index, (room, (own, own_room)) in enumerate(zip(together, alone, strict=True)):
            assert ended.get(room) == own.step([own_room]).get(own_room), (index, tick)
            assert fleet.state_digest_bytes(room) == own.state_digest_bytes(own_room), (index, tick)
    for room, (own, own_room) in zip(together, alone, strict=True):
        assert fleet.snapshot(room) == own.snapshot(own_room)
    assert episodes >= 8, "the 60-tick rooms crossed episodes"
    # Other learning rates learn otherwise: equal seeds, configs apart, weights apart.
    assert fleet.state_digest_bytes(together[0]) != fleet.state_digest_bytes(together[1])


def test_rooms_of_several_grid_sizes_snapshot_together() -> None:
    fleet = Fleet()
    big = WorldConfig(width=30, height=24)
    rooms = [
        fleet.add(2, "random", 1, SMALL_WORLD),
        fleet.add(2, "random", 1),
        fleet.add(2, "random", 1, big),
    ]
    for _ in range(5):
        fleet.step(rooms)
    states = fleet.states(rooms)
    for room, (width, height) in zip(rooms, [(12, 12), (20, 20), (30, 24)], strict=True):
        snapshot = fleet.snapshot(room)
        assert (snapshot["width"], snapshot["height"]) == (width, height)
        assert len(snapshot["grid"]) == height and {len(row) for row in snapshot["grid"]} == {width}
        assert all(0 <= a["x"] < width and 0 <= a["y"] < height for a in snapshot["agents"])
        assert states[room].snapshot() == snapshot


def test_set_envs_keeps_a_rooms_configs() -> None:
    fleet = Fleet(learning=FAST_LEARNING)
    room = fleet.add(2, "learning", 4, SMALL_WORLD, FAST_STEPS)
    other = fleet.add(2, "learning", 4)
    fleet.set_envs(room, 3)
    fleet.step([room, other])
    assert fleet.configs(room) == (SMALL_WORLD, FAST_STEPS)
    assert fleet.snapshot(room)["width"] == 12 and fleet.snapshot(other)["width"] == 20
    found, other_found = fleet.learner_of(room), fleet.learner_of(other)
    assert found is not None and other_found is not None
    assert found[0] is not other_found[0] and found[0].config == FAST_STEPS


def test_rooms_of_different_configs_with_the_trainer_each_run_as_alone() -> None:
    """Updates of rooms of several learning configs (several learners) queue for one trainer."""
    ticks = 50
    specs = [(SHORT_EPISODES, FAST_LEARNING, 2), (SMALL_WORLD, FAST_STEPS, 1), (WorldConfig(), FAST_STEPS, 3)]
    trainer = BackgroundTrainer()
    try:
        fleet = Fleet(update_budget=1, trainer=trainer)
        rooms = [fleet.add(3, "learning", 8, world, learning) for world, learning, _ in specs]
        for room, (_, _, envs) in zip(rooms, specs, strict=True):
            fleet.set_envs(room, envs)
        assert _step_until(fleet, rooms, ticks) > 0
        for room, (world, learning, envs) in zip(rooms, specs, strict=True):
            own = Fleet()
            own_room = own.add(3, "learning", 8, world, learning)
            own.set_envs(own_room, envs)
            for _ in range(ticks):
                own.step([own_room])
            assert fleet.state_digest_bytes(room) == own.state_digest_bytes(own_room)
            assert fleet.snapshot(room) == own.snapshot(own_room)
    finally:
        trainer.close()


def test_the_buckets_of_a_config_go_with_its_last_room() -> None:
    """Sweeps bring configs and take them away: their buckets (worlds, learners) must not pile up."""
    fleet = Fleet(learning=FAST_LEARNING)
    kept = fleet.add(2, "learning", 1)
    fleet.step([kept])
    buckets = len(fleet._buckets)
    for rate in (1e-3, 2e-3, 3e-3):
        learning = LearningConfig(rollout_ticks=16, minibatches=2, learning_rate=rate)
        rooms = [fleet.add(2, "learning", seed, SMALL_WORLD, learning) for seed in (1, 2)]
        rooms.append(fleet.add(2, "heuristic", 3, SMALL_WORLD))
        fleet.set_envs(rooms[0], 2)
        fleet.step([kept, *rooms])
        for room in rooms:
            fleet.remove(room)
    fleet.step([kept])
    assert len(fleet._buckets) == buckets
    alone = Fleet(learning=FAST_LEARNING)
    room = alone.add(2, "learning", 1)
    for _ in range(fleet.tick(kept)):
        alone.step([room])
    assert fleet.state_digest_bytes(kept) == alone.state_digest_bytes(room)
