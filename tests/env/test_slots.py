"""A slot taken out of a world and put into another holds the same state, derived tables too."""

from __future__ import annotations

import numpy as np
import pytest

from env import snapshot
from env.config import WorldConfig
from env.core import BatchedWorld
from env.layout import lay_out
from env.slots import KEPT, put_slot, take_slot


def _played(ticks: int) -> BatchedWorld:
    """A world of two slots whose slot 1 has played `ticks` ticks of random allowed actions."""
    config = WorldConfig(max_ticks=1000)
    world = BatchedWorld(config, slots=2, max_agents=4)
    for slot in range(2):
        world.reset_slot(slot, lay_out(config, np.random.SeedSequence(slot + 5), 4), new_episode=True)
    rng = np.random.default_rng(1)
    slots = np.arange(2)
    for _ in range(ticks):
        masks = world.action_masks(slots)
        actions = np.array([[rng.choice(np.flatnonzero(m)) for m in room] for room in masks])
        world.step(slots, actions)
    return world


def test_a_slot_put_into_another_world_holds_every_array_and_its_log() -> None:
    world = _played(150)
    assert world.log[1], "the slot has logged events"
    arrays, log = take_slot(world, 1)
    assert set(arrays) == set(KEPT) and "dist" not in arrays
    other = BatchedWorld(world.config, slots=3, max_agents=4)
    put_slot(other, 2, arrays, log)
    for name in BatchedWorld.SLOT_ARRAYS:
        assert np.array_equal(getattr(other, name)[2], getattr(world, name)[1]), name
    assert list(other.log[2]) == list(world.log[1])
    assert snapshot.state_digest_bytes(other, 2) == snapshot.state_digest_bytes(world, 1)
    for _ in range(30):
        actions = np.zeros((1, 4), dtype=np.int64) + 1
        first, second = world.step(np.array([1]), actions), other.step(np.array([2]), actions)
        assert np.array_equal(first.rewards, second.rewards)
    assert snapshot.state_digest_bytes(other, 2) == snapshot.state_digest_bytes(world, 1)


def test_a_slot_of_another_shape_is_refused() -> None:
    world = _played(3)
    arrays, log = take_slot(world, 0)
    smaller = BatchedWorld(world.config, slots=1, max_agents=3)
    with pytest.raises(ValueError, match="'pos'"):
        put_slot(smaller, 0, arrays, log)
    del arrays["energy"]
    with pytest.raises(ValueError, match="'energy'"):
        put_slot(world, 1, arrays, log)
