"""Checkpoints of a learning policy: weights, Adam's state and sampling state, as safetensors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import mlx.core as mx
import numpy as np

from env.config import WorldConfig

if TYPE_CHECKING:
    from agents.learning import LearningPolicy

FORMAT = "simrooms-policy-v1"


def save(policy: LearningPolicy, path: str | Path) -> None:
    """Write `policy` to `path`; loading it gives a policy that acts exactly the same."""
    arrays: dict[str, mx.array] = {"adam_step": policy.adam_step}
    for prefix, tree in (("params", policy.params), ("adam_m1", policy.moment1), ("adam_m2", policy.moment2)):
        arrays.update({f"{prefix}/{name}": value for name, value in tree.items()})
    metadata = {
        "format": FORMAT,
        "policy": json.dumps(policy.describe()),
        "shuffle_state": json.dumps(policy.shuffle_state()),
    }
    mx.save_safetensors(str(path), arrays, metadata=metadata)


def load(path: str | Path, world: WorldConfig | None = None) -> LearningPolicy:
    """Read a policy written by `save`."""
    from agents.learning import LearningConfig, LearningPolicy

    loaded: Any = mx.load(str(path), return_metadata=True)
    arrays: dict[str, mx.array] = loaded[0]
    metadata: dict[str, str] = loaded[1]
    if metadata.get("format") != FORMAT:
        raise ValueError(f"{str(path)!r} is not a simrooms policy checkpoint (format {metadata.get('format')!r}).")
    facts = json.loads(metadata["policy"])
    config = LearningConfig(**facts["config"])
    policy = LearningPolicy(facts["num_agents"], np.random.SeedSequence(0), world or WorldConfig(), config)
    trees: dict[str, dict[str, mx.array]] = {"params": {}, "adam_m1": {}, "adam_m2": {}}
    for key, value in arrays.items():
        if "/" in key:
            prefix, name = key.split("/", 1)
            trees[prefix][name] = value
    if set(trees["params"]) != set(policy.params) or any(
        trees["params"][k].shape != v.shape for k, v in policy.params.items()
    ):
        raise ValueError(f"Checkpoint {str(path)!r} does not fit a world of this observation size.")
    order = list(policy.params)
    policy.params, policy.moment1, policy.moment2 = (
        {name: trees[prefix][name] for name in order} for prefix in ("params", "adam_m1", "adam_m2")
    )
    policy.adam_step = arrays["adam_step"]
    policy.acted = int(facts["acted"])
    policy.noise_key = int(facts["noise_key"])
    policy.restore_shuffle_state(json.loads(metadata["shuffle_state"]))
    return policy
