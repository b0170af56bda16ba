"""What a room's policy holds between two ticks, taken out of its bucket as numpy and JSON, and
put back into another bucket (see agents.room_checkpoint.RoomCheckpoint).

A learning room holds its weights, Adam's moments and steps, its sampling noise key and count,
its shuffler, its cohort offset (`unrecorded`), the figures of the episode in progress and the
rollout in progress: the ticks gathered since its last update, which it learns from at the next.
Rows of the rollout past what it gathered are written before they are read, so they are left out.
A scripted room holds the state of its random generator.
"""

from __future__ import annotations

from dataclasses import asdict, fields
from typing import Any, TypeVar

import mlx.core as mx
import numpy as np

from agents.learner import Optimised, StackedLearner
from agents.policy import POLICIES, ActOutput, EpisodeFigures
from agents.ppo import LearningConfig
from agents.room_checkpoint import FORMAT
from env.config import WorldConfig
from env.core import BatchedWorld
from env.seeding import EpisodeSeeds
from env.slots import put_slot, take_slot

ROLLOUT = ("observations", "masks", "actions", "log_probs", "values", "rewards", "dones")
"""The learner's per-room rollout arrays, (rooms, ticks, ...)."""
_TREES = ("params", "moment1", "moment2")
_Config = TypeVar("_Config", WorldConfig, LearningConfig)


def learner_room_state(learner: StackedLearner, room: int) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """Facts and arrays of `room` in `learner` (which must not have its update in flight)."""
    filled = int(learner.filled[room])
    facts = {
        "filled": filled,
        "acted": int(learner.acted[room]),
        "noise_key": str(int(learner.noise_keys[room])),
        "unrecorded": int(learner.unrecorded[room]),
        "shuffle_state": learner.shuffler(room).bit_generator.state,
        "figures": asdict(learner.figures[room]),
    }
    weights = learner.room_weights(room)
    arrays = {"adam_steps": np.array(weights.steps)}
    for prefix, tree in zip(_TREES, (weights.params, weights.moment1, weights.moment2), strict=True):
        arrays.update({f"{prefix}/{name}": np.array(value) for name, value in tree.items()})
    for name in ROLLOUT:
        arrays[f"rollout/{name}"] = np.array(getattr(learner, name)[room, :filled])
    return facts, arrays


def restore_learner_room(
    learner: StackedLearner, facts: dict[str, Any], arrays: dict[str, np.ndarray]
) -> int:
    """A new room of `learner` holding what `learner_room_state` took; its index."""
    _check_learner_arrays(learner, facts, arrays)
    room = learner.add(np.random.SeedSequence(0))
    params, moment1, moment2 = (
        {name: mx.array(arrays[f"{prefix}/{name}"]) for name in learner.params} for prefix in _TREES
    )
    learner.set_room_weights(room, Optimised(params, moment1, moment2, mx.array(arrays["adam_steps"])))
    filled = int(facts["filled"])
    for name in ROLLOUT:
        rollout = getattr(learner, name)
        rollout[room] = 0
        rollout[room, :filled] = arrays[f"rollout/{name}"]
    learner.filled[room] = filled
    learner.acted[room] = int(facts["acted"])
    learner.noise_keys[room] = np.uint64(int(facts["noise_key"]))
    learner.unrecorded[room] = int(facts["unrecorded"])
    learner.shuffler(room).bit_generator.state = facts["shuffle_state"]
    learner.figures[room] = EpisodeFigures(**facts["figures"])
    return room


def _check_learner_arrays(
    learner: StackedLearner, facts: dict[str, Any], arrays: dict[str, np.ndarray]
) -> None:
    """A ValueError naming the first array that is missing or does not fit `learner`."""
    filled = int(facts["filled"])
    if not 0 <= filled <= learner.config.rollout_ticks:
        raise ValueError(f"A rollout of {learner.config.rollout_ticks} ticks cannot hold {filled} ticks.")
    wanted: dict[str, tuple[int, ...]] = {"adam_steps": (learner.groups,)}
    for prefix in _TREES:
        wanted.update(
            {f"{prefix}/{name}": (learner.groups, *value.shape[1:]) for name, value in learner.params.items()}
        )
    for name in ROLLOUT:
        wanted[f"rollout/{name}"] = (filled, *getattr(learner, name).shape[2:])
    for name, shape in wanted.items():
        given = arrays.get(name)
        if given is None or tuple(given.shape) != shape:
            found = None if given is None else tuple(given.shape)
            raise ValueError(f"The room's array {name!r} has shape {found}, not {shape}.")


# ------------------------------------------------------------- the rest of a room, for agents.fleet


def check_facts(facts: dict[str, Any]) -> None:
    """A ValueError unless `facts` are of this checkpoint format and name a known policy."""
    if facts.get("format") != FORMAT:
        raise ValueError(f"A room checkpoint of format {facts.get('format')!r} is not of {FORMAT!r}.")
    if facts.get("policy") not in POLICIES:
        raise ValueError(f"Policy {facts.get('policy')!r} is not one of {', '.join(POLICIES)}.")


def configs_from(facts: dict[str, Any]) -> tuple[WorldConfig, LearningConfig]:
    """The world and learning configs a room of `facts` ran with; a ValueError naming the first
    field that is unknown or of the wrong type. A field the facts lack (one added since they were
    written) takes its default."""
    return _config_from(WorldConfig, facts.get("world"), "world"), _config_from(
        LearningConfig, facts.get("learning"), "learning"
    )


def _config_from(kind: type[_Config], given: Any, name: str) -> _Config:
    """`kind` made from `given` (its fields as JSON gives them back: tuples as lists)."""
    if not isinstance(given, dict):
        raise ValueError(f"The room's {name} config {given!r} is not an object of fields.")
    known = {field.name: field for field in fields(kind)}
    unknown = sorted(set(given) - set(known))
    if unknown:
        raise ValueError(f"The room's {name} config has the unknown field {unknown[0]!r}.")
    values: dict[str, Any] = {}
    for key, value in given.items():
        default = getattr(kind(), key)
        values[key] = _field_value(default, value, f"{name}.{key}")
    try:
        return kind(**values)
    except (TypeError, ValueError) as error:
        raise ValueError(f"The room's {name} config does not hold: {error}") from None


def _field_value(default: Any, value: Any, dotted: str) -> Any:
    """`value` as the type of `default` (an int also for a float field); a ValueError naming
    `dotted` when it is not one."""
    if isinstance(default, bool):
        ok = isinstance(value, bool)
    elif isinstance(default, int):
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif isinstance(default, float):
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        value = float(value) if ok else value
    elif isinstance(default, tuple):
        ok = isinstance(value, list | tuple) and len(value) == len(default)
        ok = ok and all(isinstance(item, int) and not isinstance(item, bool) for item in value)
        value = tuple(value) if ok else value
    else:
        ok = False
    if not ok:
        raise ValueError(f"The room's config field {dotted} is {value!r}, not a {type(default).__name__}.")
    return value


def seeds_facts(seeds: list[EpisodeSeeds]) -> list[dict[str, Any]]:
    """Each world's episode seeds, JSON-safe (entropy as a string: it may exceed 64 bits)."""
    return [{"entropy": str(s.entropy), "stream": list(s.stream), "handed_out": s.handed_out} for s in seeds]


def seeds_from(facts: list[dict[str, Any]]) -> list[EpisodeSeeds]:
    """The episode seeds `seeds_facts` described, each as far on as it was."""
    seeds = []
    for entry in facts:
        seed = EpisodeSeeds(int(entry["entropy"]), stream=tuple(int(k) for k in entry["stream"]))
        seed.handed_out = int(entry["handed_out"])
        seeds.append(seed)
    return seeds


def take_worlds(
    world: BatchedWorld, slots: np.ndarray
) -> tuple[dict[str, np.ndarray], list[list[list[Any]]]]:
    """The state of `slots` of `world` as arrays named world/<index>/<name>, and their logs."""
    arrays: dict[str, np.ndarray] = {}
    logs = []
    for env, slot in enumerate(slots.tolist()):
        slot_arrays, log = take_slot(world, slot)
        arrays |= {f"world/{env}/{name}": value for name, value in slot_arrays.items()}
        logs.append([list(entry) for entry in log])
    return arrays, logs


def put_worlds(
    world: BatchedWorld, slots: np.ndarray, arrays: dict[str, np.ndarray], logs: list[list[list[Any]]]
) -> None:
    """Put the worlds `take_worlds` took into `slots` of `world`, in order."""
    if len(logs) != len(slots):
        raise ValueError(f"The room has {len(logs)} worlds, not the {len(slots)} it is restored into.")
    for env, slot in enumerate(slots.tolist()):
        prefix = f"world/{env}/"
        slot_arrays = {k.removeprefix(prefix): v for k, v in arrays.items() if k.startswith(prefix)}
        put_slot(world, slot, slot_arrays, [(int(t), int(a), str(e)) for t, a, e in logs[env]])


def checked_copies(
    arrays: dict[str, np.ndarray], observations: np.ndarray, masks: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Copies of the observations and masks among `arrays`, checked against blank ones."""
    copies = []
    for name, blank in (("observations", observations), ("masks", masks)):
        given = arrays.get(name)
        if given is None or given.shape != blank.shape or given.dtype != blank.dtype:
            found = None if given is None else (given.shape, str(given.dtype))
            raise ValueError(f"The room's {name} are {found}, not {(blank.shape, str(blank.dtype))}.")
        copies.append(given.copy())
    return copies[0], copies[1]


def act_arrays(act: ActOutput | None) -> dict[str, np.ndarray]:
    """What the room's agents did last as arrays named last_act/<field> (none before they act)."""
    if act is None:
        return {}
    found = {"actions": act.actions, "probabilities": act.probabilities, "values": act.values}
    return {f"last_act/{name}": np.array(value) for name, value in found.items() if value is not None}


def act_from(arrays: dict[str, np.ndarray]) -> ActOutput | None:
    """The ActOutput `act_arrays` gave as arrays."""
    if "last_act/actions" not in arrays:
        return None
    probabilities, values = arrays.get("last_act/probabilities"), arrays.get("last_act/values")
    return ActOutput(
        arrays["last_act/actions"].copy(),
        None if probabilities is None else probabilities.copy(),
        None if values is None else values.copy(),
    )
