"""The protocol's models say what env.wire, the one definition of the wire form, says."""

from __future__ import annotations

from typing import get_args

from env import wire
from simrooms.protocol import AgentState, GoalName, Snapshot, StateUpdateDelta, Stats


def test_a_delta_model_has_a_field_for_every_delta_key_and_snapshot_field() -> None:
    fields = set(StateUpdateDelta.model_fields)
    assert set(wire.DELTA_KEYS) <= fields
    whole = set(wire.SNAPSHOT_FIELDS) - {"agents", "stats", "log"}  # these travel as a, s, l
    assert whole <= fields


def test_the_snapshot_models_list_the_wire_fields_in_order() -> None:
    assert tuple(Snapshot.model_fields) == wire.SNAPSHOT_FIELDS
    assert tuple(AgentState.model_fields) == wire.AGENT_FIELDS
    assert set(Stats.model_fields) == set(wire.STATS_FIELDS)
    assert get_args(GoalName) == wire.GOALS


def test_the_delta_docs_name_the_wire_scales() -> None:
    described = StateUpdateDelta.model_fields
    assert f"id * {1 << wire.ID_SHIFT} + mask" in (described[wire.AGENTS].description or "")
    assert all(stat in (described[wire.STATS].description or "") for stat in wire.CHANGED_STATS)
