"""Checkpoints of a room's learning policy: weights, Adam's state and sampling state, as
safetensors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import mlx.core as mx
import numpy as np

from env.config import WorldConfig

if TYPE_CHECKING:
    from agents.learning import LearningPolicy, StackedLearner

FORMAT = "simrooms-policy-v1"


def save(policy: LearningPolicy, path: str | Path) -> None:
    """Write `policy` to `path`; loading it gives a policy that acts exactly the same."""
    save_room(policy.learner, policy.room, path)


def save_room(learner: StackedLearner, room: int, path: str | Path) -> None:
    """Write the policy of `room` in `learner` to `path`."""
    metadata = {"format": FORMAT, "policy": json.dumps(learner.describe(room))}
    mx.save_safetensors(str(path), learner.room_arrays(room), metadata=metadata)


def load(path: str | Path, world: WorldConfig | None = None) -> LearningPolicy:
    """Read a policy written by `save`."""
    from agents.learning import LearningConfig, LearningPolicy

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
        policy.restore(facts, arrays)
    except (KeyError, ValueError) as error:
        raise ValueError(f"Checkpoint {str(path)!r} does not fit this world: {error}") from None
    return policy
