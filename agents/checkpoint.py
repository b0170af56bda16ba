"""Checkpoints of a room's learning policy, as safetensors: the file format, and which of a
learner's state a checkpoint holds (weights, Adam's state, sampling and shuffling state)."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

import mlx.core as mx
import numpy as np

from agents.learner import Optimised, StackedLearner
from agents.learning import LearningPolicy
from agents.ppo import LearningConfig
from env.config import WorldConfig

FORMAT = "simrooms-policy-v1"
_TREES = ("params", "adam_m1", "adam_m2")
"""Name prefixes of the weights and Adam's two moments among a checkpoint's arrays."""


def save(policy: LearningPolicy, path: str | Path) -> None:
    """Write `policy` to `path`; loading it gives a policy that acts exactly the same."""
    save_room(policy.learner, policy.room, path)


def save_room(learner: StackedLearner, room: int, path: str | Path) -> None:
    """Write the policy of `room` in `learner` to `path`."""
    metadata = {"format": FORMAT, "policy": json.dumps(describe(learner, room))}
    mx.save_safetensors(str(path), room_arrays(learner, room), metadata=metadata)


def load(path: str | Path, world: WorldConfig | None = None) -> LearningPolicy:
    """Read a policy written by `save`."""
    loaded: Any = mx.load(str(path), return_metadata=True)
    arrays: dict[str, mx.array] = loaded[0]
    metadata: dict[str, str] = loaded[1]
    if metadata.get("format") != FORMAT:
        raise ValueError(
            f"{str(path)!r} is not a simrooms policy checkpoint (format {metadata.get('format')!r})."
        )
    facts = json.loads(metadata["policy"])
    policy = LearningPolicy(
        facts["num_agents"],
        np.random.SeedSequence(0),
        world or WorldConfig(),
        LearningConfig(**facts["config"]),
    )
    try:
        restore(policy.learner, policy.room, facts, arrays)
    except (KeyError, ValueError) as error:
        raise ValueError(f"Checkpoint {str(path)!r} does not fit this world: {error}") from None
    return policy


def room_arrays(learner: StackedLearner, room: int) -> dict[str, mx.array]:
    """A room's weights, Adam moments and step counts, named for a checkpoint."""
    weights = learner.room_weights(room)
    arrays = {"adam_step": weights.steps}
    for prefix, tree in zip(_TREES, (weights.params, weights.moment1, weights.moment2), strict=True):
        arrays.update({f"{prefix}/{name}": value for name, value in tree.items()})
    return arrays


def set_room_arrays(learner: StackedLearner, room: int, arrays: dict[str, mx.array]) -> None:
    """Write arrays named as `room_arrays` names them into `room`."""
    params, moment1, moment2 = (
        _checked_tree(learner, prefix, stacked, arrays)
        for prefix, stacked in zip(_TREES, (learner.params, learner.moment1, learner.moment2), strict=True)
    )
    learner.set_room_weights(room, Optimised(params, moment1, moment2, arrays["adam_step"]))


def _checked_tree(
    learner: StackedLearner, prefix: str, stacked: dict[str, mx.array], arrays: dict[str, mx.array]
) -> dict[str, mx.array]:
    """The arrays of one room named `prefix`/name for each array of `stacked`, checked against it."""
    tree = {}
    for name, value in stacked.items():
        given = arrays[f"{prefix}/{name}"]
        wanted = (learner.groups, *value.shape[1:])
        if tuple(given.shape) != wanted:
            raise ValueError(f"Array {prefix}/{name} has shape {tuple(given.shape)}, not {wanted}.")
        tree[name] = given
    return tree


def describe(learner: StackedLearner, room: int) -> dict[str, Any]:
    """JSON-safe facts about a room that a checkpoint keeps beside its arrays."""
    return {
        "config": asdict(learner.config),
        "num_agents": learner.num_agents,
        "acted": int(learner.acted[room]),
        "noise_key": str(int(learner.noise_keys[room])),
        "unrecorded": int(learner.unrecorded[room]),
        "shuffle_state": learner.shuffler(room).bit_generator.state,
    }


def restore(learner: StackedLearner, room: int, facts: dict[str, Any], arrays: dict[str, mx.array]) -> None:
    """Take the state that `describe` and `room_arrays` gave (a checkpoint) into `room`."""
    set_room_arrays(learner, room, arrays)
    learner.acted[room] = int(facts["acted"])
    learner.noise_keys[room] = np.uint64(int(facts["noise_key"]))
    learner.unrecorded[room] = int(facts["unrecorded"])
    learner.shuffler(room).bit_generator.state = facts["shuffle_state"]
