"""A reusable check that a restored room goes on exactly as the room it was checkpointed from.

Like env.conformance for the world, this is for tests, benches and a server's own self-checks:
step a room and its restored twin side by side, tick by tick, and hold every observable part of
them equal (world state and weights, the Snapshot, what the agents did, what they observe next,
the episodes that end, the totals and the rollout in progress). Rooms "survive restarts", "seek
to a past tick" and "fork" on this holding.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from agents.fleet import EpisodeSummary, Fleet
from agents.policy import ActOutput

Action = Callable[[Fleet, int], EpisodeSummary | None]
"""Something done to a room between two ticks (set_envs, reset...); what it returns is compared."""


@dataclass
class TwinRun:
    """What a side-by-side run went through, for tests to check that it covered what they meant."""

    ticks: int = 0
    episodes: int = 0
    """Episodes of the room's first world that ended."""
    updates: int = 0
    """Learning updates of the room (its rollout started over)."""


def advance(fleet: Fleet, room_id: int, alongside: Sequence[int] = ()) -> EpisodeSummary | None:
    """Step the room once with `Fleet.step`, with the rooms `alongside`, as a server does: when its
    update is deferred (with a trainer, or beyond the fleet's budget) step again until it has
    stepped. The summary of the episode its tick ended, if any."""
    while True:
        ended = fleet.step([room_id, *[other for other in alongside if other in fleet]])
        if room_id not in fleet.deferred:
            return ended.get(room_id)
        time.sleep(0.0005)


def assert_same_room(first: Fleet, first_id: int, second: Fleet, second_id: int) -> None:
    """Every observable part of the two rooms is equal (AssertionError naming the first that is not)."""
    pairs = {
        "tick": (first.tick(first_id), second.tick(second_id)),
        "episode": (first.episode(first_id), second.episode(second_id)),
        "envs": (first.envs(first_id), second.envs(second_id)),
        "state digest": (first.state_digest_bytes(first_id), second.state_digest_bytes(second_id)),
        "rollout ticks": (first.rollout_ticks(first_id), second.rollout_ticks(second_id)),
        "snapshot": (first.snapshot(first_id), second.snapshot(second_id)),
        "totals": (first.totals(first_id), second.totals(second_id)),
    }
    for name, (a, b) in pairs.items():
        assert a == b, f"The rooms' {name} differ at tick {first.tick(first_id)}: {a!r} != {b!r}."
    for a_array, b_array, name in zip(
        first.observation(first_id), second.observation(second_id), ("observations", "masks"), strict=True
    ):
        assert np.array_equal(a_array, b_array), f"The rooms' {name} differ at tick {first.tick(first_id)}."
    assert _same_act(first.last_act(first_id), second.last_act(second_id)), (
        f"The rooms' last actions differ at tick {first.tick(first_id)}."
    )


def _same_act(a: ActOutput | None, b: ActOutput | None) -> bool:
    if a is None or b is None:
        return a is b
    pairs = ((a.actions, b.actions), (a.probabilities, b.probabilities), (a.values, b.values))
    return all(
        (x is None and y is None) or (x is not None and y is not None and np.array_equal(x, y))
        for x, y in pairs
    )


def assert_restores_exactly(
    original: Fleet,
    original_id: int,
    restored: Fleet,
    restored_id: int,
    ticks: int,
    actions: Mapping[int, Action] | None = None,
    alongside: Sequence[int] = (),
) -> TwinRun:
    """Step the room `original_id` of `original` and its restored twin `restored_id` of `restored`
    `ticks` times each, holding them equal (`assert_same_room`) before the first tick and after
    every one, and every episode summary equal. `actions[k]` is done to both before tick k (and
    what it returns compared); `alongside` are other rooms of `restored` stepped with the twin.
    What the run went through, for the caller to check that it crossed updates and episodes."""
    run = TwinRun()
    assert_same_room(original, original_id, restored, restored_id)
    rollout = original.rollout_ticks(original_id)
    for tick in range(ticks):
        action = (actions or {}).get(tick)
        if action is not None:
            done = action(original, original_id), action(restored, restored_id)
            assert done[0] == done[1], (
                f"Before tick {tick} of the run the action gave {done[0]} and {done[1]}."
            )
            assert_same_room(original, original_id, restored, restored_id)
            rollout = original.rollout_ticks(original_id)
        ended = advance(original, original_id), advance(restored, restored_id, alongside)
        assert ended[0] == ended[1], (
            f"At tick {tick} of the run the episodes ended as {ended[0]} and {ended[1]}."
        )
        assert_same_room(original, original_id, restored, restored_id)
        now = original.rollout_ticks(original_id)
        run.ticks += 1
        run.episodes += ended[0] is not None
        run.updates += now < rollout
        rollout = now
    return run
