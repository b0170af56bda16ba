"""Fleet.restart_training: a learning room's episode ends and its learning starts over from fresh
weights, optimiser and rollout drawn from its seed and its count of restarts, alike in any fleet,
and a checkpoint taken after a restart goes on exactly, the next restart included."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from agents.determinism import advance, assert_restores_exactly, assert_same_room
from agents.fleet import EpisodeSummary, Fleet
from env.config import WorldConfig

WORLD = WorldConfig(max_ticks=60)


def restart(fleet: Fleet, room: int) -> EpisodeSummary:
    summary, _ = fleet.restart_training(room)
    return summary


def stepped(fleet: Fleet, room: int, ticks: int) -> None:
    for _ in range(ticks):
        advance(fleet, room)


def learner_rows(fleet: Fleet, room: int) -> tuple[np.ndarray, ...]:
    """The room's Adam moments and steps, and its rollout filled so far."""
    found = fleet.learner_of(room)
    assert found is not None
    learner, row = found
    weights = learner.room_weights(row)
    moments = np.concatenate(
        [np.array(v).ravel() for tree in (weights.moment1, weights.moment2) for v in tree.values()]
    )
    return moments, np.array(weights.steps), np.array([learner.filled[row]])


def test_a_restart_ends_the_episode_and_starts_learning_afresh_alike_in_any_fleet() -> None:
    fleet = Fleet(WORLD)
    room = fleet.add(4, "learning", 7)
    while not learner_rows(fleet, room)[1].all():  # past the first update
        advance(fleet, room)
    stepped(fleet, room, 5)  # and a rollout in progress
    moments, steps, filled = learner_rows(fleet, room)
    assert moments.any() and steps.all() and filled[0] > 0
    before = fleet.state_digest_bytes(room)
    tick, episode = fleet.tick(room), fleet.episode(room)

    summary, restarts = fleet.restart_training(room)
    assert (restarts, summary.reason, summary.episode, summary.tick) == (1, "reset", episode, tick)
    assert (fleet.tick(room), fleet.episode(room)) == (tick, episode + 1)
    moments, steps, filled = learner_rows(fleet, room)
    assert not moments.any() and not steps.any() and filled[0] == 0
    assert fleet.state_digest_bytes(room) != before, "fresh weights"

    # The same seed restarted alike, beside other rooms in another fleet: the same room.
    other = Fleet(WORLD)
    other.add(4, "learning", 8)
    twin = other.add(4, "learning", 7)
    stepped(other, twin, tick)
    assert other.restart_training(twin)[1] == 1
    assert_same_room(fleet, room, other, twin)
    # Past the fresh weights' first update (their cohort leaves out at most 120 ticks).
    run = assert_restores_exactly(fleet, room, other, twin, 320, {60: restart})
    assert run.updates >= 1 and run.episodes >= 2
    # Every restart is counted, the twin's own included.
    assert fleet.restart_training(room)[1] == 3


@pytest.mark.parametrize("restarts_before", [0, 1, 2])
def test_a_room_restored_after_restarts_goes_on_exactly_through_the_next(restarts_before: int) -> None:
    fleet = Fleet(WORLD)
    room = fleet.add(4, "learning", 3)
    for _ in range(restarts_before):
        stepped(fleet, room, 20)
        fleet.restart_training(room)
    stepped(fleet, room, 10)
    restored = Fleet(WORLD)
    twin = restored.restore(fleet.checkpoint(room))
    actions: dict[int, Callable[[Fleet, int], object]] = {5: restart, 40: restart}
    assert_restores_exactly(fleet, room, restored, twin, 60, actions)
    assert restored.restart_training(twin)[1] == restarts_before + 3


def test_a_checkpoint_made_before_restarts_existed_restores_with_none() -> None:
    fleet = Fleet(WORLD)
    room = fleet.add(2, "learning", 5)
    stepped(fleet, room, 5)
    checkpoint = fleet.checkpoint(room)
    del checkpoint.facts["restarts"]
    restored = Fleet(WORLD)
    twin = restored.restore(checkpoint)
    assert_restores_exactly(fleet, room, restored, twin, 10, {3: restart})


@pytest.mark.parametrize("policy", ["heuristic", "random"])
def test_a_room_that_does_not_learn_has_no_training_to_restart(policy: str) -> None:
    fleet = Fleet(WORLD)
    room = fleet.add(3, policy, 1)
    stepped(fleet, room, 4)
    with pytest.raises(ValueError, match=f"A {policy} room does not learn"):
        fleet.restart_training(room)
    assert (fleet.tick(room), fleet.episode(room)) == (4, 1), "nothing was done"
