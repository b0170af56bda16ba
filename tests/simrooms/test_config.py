"""The public config models: every field of the dataclasses, bounded, documented, strict."""

from __future__ import annotations

import dataclasses
import json
import time
from pathlib import Path
from typing import Any

import pytest
from hypothesis.strategies import SearchStrategy
from pydantic import BaseModel, ValidationError

from agents.learning_config import LearningConfig
from env.config import WorldConfig
from simrooms import LearnerSettings, RoomConfig, WorldSettings, describe_error, read_room_config
from simrooms.config import field_docs

PAIRS: list[tuple[type, type[BaseModel]]] = [(WorldConfig, WorldSettings), (LearningConfig, LearnerSettings)]


@pytest.mark.parametrize(("kind", "model"), PAIRS)
def test_every_dataclass_field_is_a_documented_model_field_with_its_default(
    kind: type, model: type[BaseModel]
) -> None:
    names = [field.name for field in dataclasses.fields(kind)]
    assert list(model.model_fields) == names, "a new config field needs its model field, in order"
    docs = field_docs(kind)
    defaults = kind()
    for name, info in model.model_fields.items():
        assert info.description, f"{model.__name__}.{name} has no description"
        assert "\n" not in info.description
        assert info.description == docs[name], f"{name}: the description is the dataclass docstring"
        assert info.default == getattr(defaults, name), name


@pytest.mark.parametrize(("kind", "model"), PAIRS)
def test_every_number_field_is_bounded_in_the_schema(kind: type, model: type[BaseModel]) -> None:
    properties = model.model_json_schema()["properties"]
    for name, schema in properties.items():
        if schema.get("type") in ("integer", "number"):
            low = "minimum" in schema or "exclusiveMinimum" in schema
            high = "maximum" in schema or "exclusiveMaximum" in schema
            assert low and high, f"{model.__name__}.{name} is not bounded: {schema}"


def test_defaults_round_trip_to_the_dataclasses() -> None:
    assert RoomConfig().to_configs() == (WorldConfig(), LearningConfig())
    assert WorldSettings().to_world_config() == WorldConfig()
    assert LearnerSettings().to_learning_config() == LearningConfig()
    assert RoomConfig.from_configs(WorldConfig(), LearningConfig()) == RoomConfig()
    assert RoomConfig.from_stored(None) == RoomConfig()


def test_the_acceptance_fields_and_bounds() -> None:
    world = WorldSettings.model_json_schema()["properties"]["max_ticks"]
    assert (world["minimum"], world["maximum"], world["default"]) == (50, 10_000, 500)
    rate = LearnerSettings.model_json_schema()["properties"]["learning_rate"]
    assert (rate["exclusiveMinimum"], rate["maximum"]) == (0, 0.1)
    for good in (50, 10_000):
        assert RoomConfig.model_validate({"world": {"max_ticks": good}}).world.max_ticks == good
    for good_rate in (0.1, 1e-6):
        RoomConfig.model_validate({"learner": {"learning_rate": good_rate}})


@pytest.mark.parametrize(
    ("payload", "loc"),
    [
        ({"world": {"max_ticks": 49}}, ("world", "max_ticks")),
        ({"world": {"max_ticks": 10_001}}, ("world", "max_ticks")),
        ({"learner": {"learning_rate": 0}}, ("learner", "learning_rate")),
        ({"learner": {"learning_rate": 0.2}}, ("learner", "learning_rate")),
        ({"world": {"respawn_probability": 1.5}}, ("world", "respawn_probability")),
        ({"world": {"width": 41}}, ("world", "width")),
        ({"world": {"max_tick": 60}}, ("world", "max_tick")),
        ({"learner": {"rate": 0.01}}, ("learner", "rate")),
        ({"planet": {}}, ("planet",)),
        ({"world": {"max_ticks": "60"}}, ("world", "max_ticks")),
        ({"world": {"max_ticks": True}}, ("world", "max_ticks")),
        ({"world": {"max_ticks": 60.0}}, ("world", "max_ticks")),
        ({"learner": {"learning_rate": True}}, ("learner", "learning_rate")),
        ({"learner": {"learning_rate": "0.01"}}, ("learner", "learning_rate")),
        ({"learner": {"shared": 1}}, ("learner", "shared")),
        ({"world": {"respawn_probability": float("nan")}}, ("world", "respawn_probability")),
        ({"world": {"wall_length": [5, 2]}}, ("world", "wall_length")),
        ({"world": {"wall_length": [2, True]}}, ("world", "wall_length", 1)),
        ({"world": {"wall_length": [2, 3, 4]}}, ("world", "wall_length")),
        ({"world": 7}, ("world",)),
    ],
)
def test_bad_fields_are_refused_at_their_dotted_path(payload: dict[str, Any], loc: tuple[Any, ...]) -> None:
    with pytest.raises(ValidationError) as raised:
        RoomConfig.model_validate(payload)
    assert raised.value.errors()[0]["loc"] == loc
    message = describe_error(raised.value)
    assert message.startswith(".".join(map(str, loc)))
    assert "\n" not in message


def test_a_json_integer_is_a_number_and_a_list_is_a_wall_length() -> None:
    config = RoomConfig.model_validate_json('{"world": {"product_reward": 2, "wall_length": [1, 3]}}')
    assert config.world.product_reward == 2.0 and isinstance(config.world.product_reward, float)
    assert config.world.wall_length == (1, 3)
    again = RoomConfig.model_validate({"world": {"pick_reward": 0}, "learner": {"gamma": 1}})
    assert isinstance(again.world.pick_reward, float) and isinstance(again.learner.gamma, float)


@pytest.mark.parametrize(
    ("world", "named"),
    [
        ({"width": 5, "height": 5}, "5x5"),
        ({"initial_resources": 25}, "initial_resources 25"),
        (
            {"width": 8, "height": 8, "initial_resources": 4, "max_resources": 10, "wall_length": [2, 9]},
            "9 cells",
        ),
        ({"wall_segments": 30}, "30 walls"),
    ],
)
def test_cross_field_rules_say_which_values_clash(world: dict[str, Any], named: str) -> None:
    with pytest.raises(ValidationError) as raised:
        RoomConfig.model_validate({"world": world})
    assert named in describe_error(raised.value)


def test_a_rollout_must_split_into_minibatches_and_cohorts() -> None:
    with pytest.raises(ValidationError, match="128 ticks"):
        LearnerSettings(minibatches=3)
    with pytest.raises(ValidationError, match="rollout_cohorts"):
        LearnerSettings(rollout_ticks=64, rollout_cohorts=5)
    assert LearnerSettings(rollout_ticks=64, rollout_cohorts=8, minibatches=2).rollout_ticks == 64


def test_whole_fills_every_default_and_is_json_safe() -> None:
    config = RoomConfig.model_validate({"world": {"max_ticks": 60}})
    whole = config.whole()
    assert set(whole) == {"world", "learner"}
    assert set(whole["world"]) == {field.name for field in dataclasses.fields(WorldConfig)}
    assert set(whole["learner"]) == {field.name for field in dataclasses.fields(LearningConfig)}
    assert whole["world"]["max_ticks"] == 60 and whole["world"]["width"] == 20
    assert json.loads(json.dumps(whole)) == whole
    assert RoomConfig.from_stored(whole) == config


def test_differences_are_the_fields_off_their_defaults_by_dotted_name() -> None:
    assert RoomConfig().differences() == {}
    assert RoomConfig.model_validate({"world": {"max_ticks": 500}}).differences() == {}
    config = RoomConfig.model_validate(
        {
            "world": {"max_ticks": 60, "wall_length": [1, 3]},
            "learner": {"learning_rate": 0.01, "shared": False},
        }
    )
    assert config.differences() == {
        "world.wall_length": [1, 3],
        "world.max_ticks": 60,
        "learner.shared": False,
        "learner.learning_rate": 0.01,
    }


def test_from_stored_takes_a_checkpoints_facts_and_fills_fields_added_since() -> None:
    facts = {
        "world": dataclasses.asdict(WorldConfig(max_ticks=60)),
        "learning": dataclasses.asdict(LearningConfig(hidden=32)),
    }
    facts["world"]["wall_length"] = list(facts["world"]["wall_length"])
    del facts["world"]["low_energy_margin"]
    assert RoomConfig.from_stored(facts).to_configs() == (
        WorldConfig(max_ticks=60),
        LearningConfig(hidden=32),
    )


@pytest.mark.parametrize("policy", ["heuristic", "random"])
def test_a_learner_part_for_a_policy_that_does_not_learn_is_refused(policy: str) -> None:
    parts: list[dict[str, Any]] = [{"learner": {}}, {"learner": {"learning_rate": 0.01}}]
    for given in parts:
        with pytest.raises(ValueError, match=f"{policy} room, whose policy does not learn"):
            RoomConfig.model_validate(given).check_policy(policy)
    RoomConfig.model_validate({"world": {"max_ticks": 60}}).check_policy(policy)
    RoomConfig.model_validate({"learner": {"learning_rate": 0.01}}).check_policy("learning")
    with pytest.raises(ValueError, match="greedy"):
        RoomConfig().check_policy("greedy")


def test_the_models_are_frozen() -> None:
    config = RoomConfig()
    with pytest.raises(ValidationError):
        config.world.max_ticks = 60  # type: ignore[misc]


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("room.json", '{"world": {"max_ticks": 60}, "learner": {"learning_rate": 0.005}}'),
        ("room.toml", "[world]\nmax_ticks = 60\n\n[learner]\nlearning_rate = 0.005\n"),
    ],
)
def test_a_config_file_in_json_or_toml(tmp_path: Path, name: str, text: str) -> None:
    path = tmp_path / name
    path.write_text(text)
    config = read_room_config(path)
    assert config.differences() == {"world.max_ticks": 60, "learner.learning_rate": 0.005}


@pytest.mark.parametrize(
    ("name", "text", "named"),
    [
        ("bad.json", '{"world": {"max_ticks": 20}}', "world.max_ticks = 20"),
        ("bad.toml", "[world]\nmax_ticks = 20\n", "world.max_ticks = 20"),
        ("bad.json", "{", "not valid JSON"),
        ("bad.toml", "[world\n", "not valid TOML"),
        ("bad.json", "[1]", "not an object"),
        ("missing.json", None, "cannot be read"),
    ],
)
def test_a_bad_config_file_is_one_line_naming_the_file(
    tmp_path: Path, name: str, text: str | None, named: str
) -> None:
    path = tmp_path / name
    if text is not None:
        path.write_text(text)
    with pytest.raises(ValueError) as raised:
        read_room_config(path)
    message = str(raised.value)
    assert named in message and name in message and "\n" not in message


@pytest.mark.parametrize(
    "world",
    [
        {
            "width": 5,
            "height": 5,
            "factories": 1,
            "chargers": 1,
            "initial_resources": 2,
            "max_resources": 2,
            "wall_segments": 0,
        },
        {"width": 40, "height": 5, "wall_segments": 12, "wall_length": [2, 2], "view_radius": 8},
        {"width": 12, "height": 12, "wall_segments": 18, "wall_length": [1, 1], "max_ticks": 50},
        {"width": 12, "height": 12, "wall_segments": 3, "wall_length": [6, 6]},
        {"width": 40, "height": 40, "wall_segments": 10, "wall_length": [20, 20]},
        {"width": 40, "height": 40, "wall_segments": 40, "wall_length": [5, 5]},
    ],
)
def test_edge_worlds_the_models_allow_lay_out_and_run_with_eight_agents(world: dict[str, Any]) -> None:
    """Walls are redrawn until the grid is connected: the bounds keep that to a few draws."""
    import numpy as np

    from agents.fleet import Fleet
    from env.layout import lay_out

    config = RoomConfig.model_validate({"world": world}).world.to_world_config()
    started = time.perf_counter()
    for seed in range(30):
        lay_out(config, np.random.SeedSequence(seed), 8)
    assert time.perf_counter() - started < 20
    fleet = Fleet()
    room = fleet.add(8, "heuristic", 3, config)
    for _ in range(60):
        fleet.step([room])
    assert fleet.snapshot(room)["width"] == config.width


def _bounded_values(model: type[BaseModel]) -> SearchStrategy[dict[str, Any]]:
    """A hypothesis strategy of partial payloads of `model`, each value within its schema's bounds."""
    from hypothesis import strategies as st

    fields: dict[str, Any] = {}
    for name, schema in model.model_json_schema()["properties"].items():
        kind = schema.get("type")
        if kind == "integer":
            fields[name] = st.integers(schema["minimum"], schema["maximum"])
        elif kind == "number":
            low = schema.get("minimum", schema.get("exclusiveMinimum"))
            fields[name] = st.floats(
                low, schema["maximum"], exclude_min="exclusiveMinimum" in schema, allow_nan=False
            )
        elif kind == "boolean":
            fields[name] = st.booleans()
        else:
            fields[name] = st.tuples(st.integers(1, 8), st.integers(1, 8)).map(lambda pair: sorted(pair))
    return st.fixed_dictionaries({}, optional=fields)


def test_whatever_the_models_accept_the_dataclasses_accept_and_round_trip() -> None:
    from hypothesis import HealthCheck, given, settings

    @settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
    @given(world=_bounded_values(WorldSettings), learner=_bounded_values(LearnerSettings))
    def check(world: dict[str, Any], learner: dict[str, Any]) -> None:
        try:
            config = RoomConfig.model_validate({"world": world, "learner": learner})
        except ValidationError as error:
            assert "\n" not in describe_error(error)
            return
        world_config, learning_config = config.to_configs()  # WorldConfig's own checks hold
        assert RoomConfig.from_configs(world_config, learning_config) == config
        assert RoomConfig.from_stored(json.loads(json.dumps(config.whole()))) == config
        assert learning_config.rollout_ticks % learning_config.minibatches == 0

    check()


def test_the_smallest_learner_the_model_allows_learns() -> None:
    from agents.fleet import Fleet

    learner = {"hidden": 4, "rollout_ticks": 8, "minibatches": 8, "rollout_cohorts": 8, "epochs": 1}
    for shared in (True, False):
        world, learning = RoomConfig.model_validate(
            {"world": {"max_ticks": 50}, "learner": {**learner, "shared": shared}}
        ).to_configs()
        fleet = Fleet()
        room = fleet.add(1, "learning", 2, world, learning)
        for _ in range(60):
            fleet.step([room])
        assert fleet.totals(room).episodes == 1
