"""A room's config as the public API gives it: one pydantic model for the world, one for the learner.

`WorldSettings` holds every field of env.config.WorldConfig and `LearnerSettings` every field of
agents.learning_config.LearningConfig, each optional with the dataclass's default, bounded, and
described by the dataclass field's own docstring (so the docs of a field live in one place).
`RoomConfig` is ``{"world": ..., "learner": ...}``: what `create_room` and `create_sweep` take,
what `simrooms simulate --config FILE` reads, what RoomInfo shows (`whole`) and what the page
header and config diffs show (`differences`). The dataclasses stay what the simulation runs on;
these models are the one checked way in from people and files.

Validation is strict, as the protocol's: an unknown field, a string or a bool for a number, or a
value out of its bounds is a pydantic ValidationError whose `loc` is the field's path (``world,
max_ticks``); a JSON integer is a number for a float field. `describe_error` turns one into a
sentence naming the dotted field and the value.
"""

from __future__ import annotations

import ast
import inspect
import json
import textwrap
import tomllib
from collections.abc import Mapping
from dataclasses import asdict
from itertools import pairwise
from pathlib import Path
from typing import Annotated, Any, Self

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictInt,
    ValidationError,
    field_validator,
    model_validator,
)

from agents.learning_config import LearningConfig
from agents.policy import POLICIES
from env.config import MAX_AGENTS, WorldConfig

MAX_SIDE = 40
"""The widest and tallest grid a room may ask for (see WorldSettings.width)."""
LEARNING_POLICIES = ("learning",)
"""The policies of agents.policy.POLICIES that learn, and so take a `learner` part."""


def field_docs(kind: type) -> dict[str, str]:
    """Each field's docstring of the dataclass `kind` (the string literal after its annotation),
    on one line: the description its settings model shows."""
    tree = ast.parse(textwrap.dedent(inspect.getsource(kind)))
    body = tree.body[0].body if isinstance(tree.body[0], ast.ClassDef) else []
    docs: dict[str, str] = {}
    for node, following in pairwise(body):
        if (
            isinstance(node, ast.AnnAssign)
            and isinstance(node.target, ast.Name)
            and isinstance(following, ast.Expr)
            and isinstance(following.value, ast.Constant)
            and isinstance(following.value.value, str)
        ):
            docs[node.target.id] = " ".join(following.value.value.split())
    return docs


_WORLD = WorldConfig()
_WORLD_DOCS = field_docs(WorldConfig)
_LEARNING = LearningConfig()
_LEARNING_DOCS = field_docs(LearningConfig)


def _world(name: str, **bounds: Any) -> Any:
    """The Field of WorldConfig's field `name`: its default, its docstring, these bounds."""
    return Field(getattr(_WORLD, name), description=_WORLD_DOCS[name], **bounds)


def _learning(name: str, **bounds: Any) -> Any:
    """The Field of LearningConfig's field `name`: its default, its docstring, these bounds."""
    return Field(getattr(_LEARNING, name), description=_LEARNING_DOCS[name], **bounds)


class _Settings(BaseModel):
    # Strict as the protocol's client models (simrooms.protocol.ClientModel), so that a
    # config validates the same alone and inside create_room: no "4" for 4, no true for 1.
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


# A pair of integers that may come as a JSON array (a list): strict mode alone takes only a tuple
# from Python, while the items stay strict (no "2", no true).
WallLength = Annotated[tuple[StrictInt, StrictInt], Field(strict=False)]


class WorldSettings(_Settings):
    """The production world's parameters (env.config.WorldConfig), each optional and bounded."""

    # At most 40 (WorldConfig allows 64): a layout's all-pairs distance table grows with the
    # square of the cells, 2.6 MB and 31 ms to lay at 40x40 against 17 MB and 570 ms at 64x64,
    # per world, on the engine's thread and in every checkpoint.
    width: int = _world("width", ge=5, le=MAX_SIDE)
    height: int = _world("height", ge=5, le=MAX_SIDE)
    wall_segments: int = _world("wall_segments", ge=0, le=64)
    wall_length: WallLength = _world("wall_length")
    factories: int = _world("factories", ge=1, le=64)
    chargers: int = _world("chargers", ge=1, le=64)
    initial_resources: int = _world("initial_resources", ge=0, le=1000)
    max_resources: int = _world("max_resources", ge=0, le=1000)
    respawn_probability: float = _world("respawn_probability", ge=0.0, le=1.0, allow_inf_nan=False)
    max_energy: int = _world("max_energy", ge=1, le=10_000)
    move_cost: int = _world("move_cost", ge=0, le=1000)
    work_cost: int = _world("work_cost", ge=0, le=1000)
    charge_rate: int = _world("charge_rate", ge=0, le=10_000)
    carry_capacity: int = _world("carry_capacity", ge=1, le=64)
    max_ticks: int = _world("max_ticks", ge=50, le=10_000)
    view_radius: int = _world("view_radius", ge=1, le=8)
    product_reward: float = _world("product_reward", ge=0.0, le=100.0, allow_inf_nan=False)
    pick_reward: float = _world("pick_reward", ge=-10.0, le=10.0, allow_inf_nan=False)
    out_of_energy_penalty: float = _world("out_of_energy_penalty", ge=0.0, le=100.0, allow_inf_nan=False)
    shaping_scale: float = _world("shaping_scale", ge=0.0, le=10.0, allow_inf_nan=False)
    low_energy_margin: int = _world("low_energy_margin", ge=0, le=1000)

    @field_validator("wall_length")
    @classmethod
    def _ordered_wall_length(cls, value: tuple[int, int]) -> tuple[int, int]:
        low, high = value
        if not 1 <= low <= high <= 64:
            raise ValueError(
                f"A wall's length [{low}, {high}] must be a range from the shortest to the longest, "
                f"each 1 to 64 cells, the shortest first."
            )
        return value

    @model_validator(mode="after")
    def _fits_the_grid(self) -> Self:
        """The rules WorldConfig keeps and those a layout needs to be laid at all."""
        cells = self.width * self.height
        needed = self.factories + self.chargers + self.max_resources + MAX_AGENTS
        if needed > cells // 2:
            raise ValueError(
                f"A {self.width}x{self.height} grid is too small for {needed} special cells and agents "
                f"({self.factories} factories, {self.chargers} chargers, {self.max_resources} "
                f"max_resources and {MAX_AGENTS} agents at most): they may fill at most half of its "
                f"{cells} cells."
            )
        if self.initial_resources > self.max_resources:
            raise ValueError(
                f"initial_resources {self.initial_resources} is more than max_resources "
                f"{self.max_resources}, the most resources that may lie on the grid."
            )
        # Walls are redrawn until the free cells connect (env.layout.generate): walls at most half
        # the shorter side, covering at most an eighth of the grid, keep that to a few draws.
        longest, side = self.wall_length[1], min(self.width, self.height)
        if self.wall_segments and longest > max(1, side // 2):
            raise ValueError(
                f"A wall of {longest} cells is longer than half the shorter side of a "
                f"{self.width}x{self.height} grid ({max(1, side // 2)} cells at most)."
            )
        if self.wall_segments * longest > cells // 8:
            raise ValueError(
                f"{self.wall_segments} walls of up to {longest} cells may cover more than an eighth of "
                f"a {self.width}x{self.height} grid's {cells} cells ({cells // 8} at most); fewer or "
                f"shorter walls keep its free cells connected."
            )
        return self

    def to_world_config(self) -> WorldConfig:
        """The WorldConfig the simulation runs on."""
        return WorldConfig(**self.model_dump())


class LearnerSettings(_Settings):
    """The learning policy's hyper-parameters (agents.learning_config.LearningConfig), each
    optional and bounded."""

    shared: bool = _learning("shared")
    hidden: int = _learning("hidden", ge=4, le=512)
    learning_rate: float = _learning("learning_rate", gt=0.0, le=0.1, allow_inf_nan=False)
    adam_eps: float = _learning("adam_eps", gt=0.0, le=0.01, allow_inf_nan=False)
    gamma: float = _learning("gamma", ge=0.0, le=1.0, allow_inf_nan=False)
    gae_lambda: float = _learning("gae_lambda", ge=0.0, le=1.0, allow_inf_nan=False)
    rollout_ticks: int = _learning("rollout_ticks", ge=8, le=4096)
    rollout_cohorts: int = _learning("rollout_cohorts", ge=1, le=4096)
    epochs: int = _learning("epochs", ge=1, le=32)
    minibatches: int = _learning("minibatches", ge=1, le=256)
    clip: float = _learning("clip", gt=0.0, le=1.0, allow_inf_nan=False)
    entropy_coef: float = _learning("entropy_coef", ge=0.0, le=1.0, allow_inf_nan=False)
    value_coef: float = _learning("value_coef", ge=0.0, le=10.0, allow_inf_nan=False)
    max_grad_norm: float = _learning("max_grad_norm", gt=0.0, le=100.0, allow_inf_nan=False)

    @model_validator(mode="after")
    def _rollout_splits(self) -> Self:
        """A rollout splits evenly into minibatches and into cohorts (agents.learner's rules)."""
        for name, parts in (("minibatches", self.minibatches), ("rollout_cohorts", self.rollout_cohorts)):
            if self.rollout_ticks % parts:
                raise ValueError(
                    f"A rollout of {self.rollout_ticks} ticks (rollout_ticks) does not split evenly "
                    f"into {parts} {name}."
                )
        return self

    def to_learning_config(self) -> LearningConfig:
        """The LearningConfig the learner runs on."""
        return LearningConfig(**self.model_dump())


class RoomConfig(_Settings):
    """A room's whole config: its world and, for a learning room, its learner."""

    world: WorldSettings = Field(
        default_factory=WorldSettings, description="The production world; every field optional."
    )
    learner: LearnerSettings = Field(
        default_factory=LearnerSettings,
        description="The learning policy's hyper-parameters; only for a room whose policy learns.",
    )

    def to_configs(self) -> tuple[WorldConfig, LearningConfig]:
        """The dataclasses the simulation runs on (agents.fleet.Fleet.add takes them)."""
        return self.world.to_world_config(), self.learner.to_learning_config()

    def whole(self) -> dict[str, Any]:
        """Every field, defaults filled in, JSON-safe: what RoomInfo's `config` shows."""
        return self.model_dump(mode="json")

    def differences(self) -> dict[str, Any]:
        """The fields that differ from their defaults, by dotted name (``world.max_ticks``), in
        the models' field order, JSON-safe: what a room's header and a config diff show."""
        found: dict[str, Any] = {}
        defaults = RoomConfig().whole()
        for part, values in self.whole().items():
            for name, value in values.items():
                if value != defaults[part][name]:
                    found[f"{part}.{name}"] = value
        return found

    def check_policy(self, policy: str) -> None:
        """A ValueError when a `learner` part was given for a room whose policy does not learn:
        it would be silently ignored, so it is refused instead."""
        if policy not in POLICIES:
            raise ValueError(f"Policy {policy!r} is not one of {', '.join(POLICIES)}.")
        if "learner" in self.model_fields_set and policy not in LEARNING_POLICIES:
            raise ValueError(
                f"A learner part was given for a {policy} room, whose policy does not learn; "
                f"leave it out, or use the policy learning."
            )

    @classmethod
    def from_configs(cls, world: WorldConfig, learning: LearningConfig) -> Self:
        """The config of a room that runs on these dataclasses (agents.fleet.Fleet.configs)."""
        return cls.from_stored({"world": asdict(world), "learner": asdict(learning)})

    @classmethod
    def from_stored(cls, stored: Mapping[str, Any] | None) -> Self:
        """A config from what `whole` gave, read back from a record or JSON (None: the defaults);
        a room checkpoint's facts, whose learner part is named `learning`, are taken too. A
        field the stored dict lacks (one added since) takes its default."""
        if stored is None:
            return cls()
        parts = {
            "world": stored.get("world") or {},
            "learner": stored.get("learner", stored.get("learning")) or {},
        }
        return cls.model_validate(json.loads(json.dumps(parts)))


def dotted(loc: tuple[int | str, ...]) -> str:
    """A pydantic error's location as a dotted name: ("world", "wall_length", 0) is
    world.wall_length.0."""
    return ".".join(str(part) for part in loc)


def describe_error(error: ValidationError) -> str:
    """The first problem of a RoomConfig's ValidationError as one sentence naming the dotted
    field and the value given (for the CLI's usage errors and the protocol's messages)."""
    first = error.errors(include_url=False)[0]
    where = dotted(first["loc"]) or "the config"
    reason = str(first["msg"]).removeprefix("Value error, ").rstrip(".")
    if first["type"] == "extra_forbidden":
        return f"{where} is not a config field: the config has no field by that name."
    if first["type"] in ("model_type", "dict_type") or not first["loc"] or first["type"] == "value_error":
        return f"{where}: {reason}."
    return f"{where} = {json.dumps(first['input'], default=str)} is refused: {reason}."


def read_object_file(path: str | Path, label: str) -> dict[str, Any]:
    """The object (table) a JSON or TOML file (``.toml``: TOML, else JSON) holds; a ValueError
    with a one-line message naming the `label`led file when it cannot be read or holds no object."""
    target = Path(path)
    try:
        text = target.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise ValueError(f"{label} {str(target)!r} cannot be read: {error}.") from None
    try:
        data: Any = tomllib.loads(text) if target.suffix.lower() == ".toml" else json.loads(text)
    except (tomllib.TOMLDecodeError, json.JSONDecodeError) as error:
        kind = "TOML" if target.suffix.lower() == ".toml" else "JSON"
        raise ValueError(f"{label} {str(target)!r} is not valid {kind}: {error}.") from None
    if not isinstance(data, dict):
        raise ValueError(f"{label} {str(target)!r} holds {type(data).__name__}, not an object.")
    return data


def read_room_config(path: str | Path) -> RoomConfig:
    """The RoomConfig in a JSON or TOML file (``.toml``: TOML, else JSON) holding the object
    `create_room` takes as `config`; a ValueError with a one-line message naming the file, and
    the dotted field and value when a value is refused."""
    data = read_object_file(path, "Config file")
    try:
        return RoomConfig.model_validate(data)
    except ValidationError as error:
        raise ValueError(f"Config file {str(Path(path))!r}: {describe_error(error)}") from None
