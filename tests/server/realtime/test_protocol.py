"""The protocol's models, their examples and docs/protocol.md (simrooms.events, protocol,
validation, protocol_docs)."""

from __future__ import annotations

from typing import Any

import pytest

from env.delta import apply
from server.realtime.protocol_docs import DOC_PATH, markdown
from server.realtime.validation import ProtocolError, parse
from simrooms.events import CLIENT_EVENTS, SERVER_EVENTS, example_snapshot
from simrooms.protocol import ERROR_CODES, Snapshot, StateUpdateDelta


def test_models_cover_every_event_and_examples_validate() -> None:
    assert set(CLIENT_EVENTS) == {
        "create_room",
        "list_rooms",
        "join_room",
        "leave_room",
        "get_state",
        "start_game",
        "stop_game",
        "step_game",
        "reset_game",
        "set_speed",
        "grant_control",
        "delete_room",
        "inspect_agent",
        "metrics_history",
        "create_sweep",
        "delete_sweep",
        "request_control",
        "restart_training",
        "rename_room",
    }
    assert {
        "state_update",
        "game_started",
        "game_stopped",
        "game_ended",
        "metrics",
        "presence",
        "room_error",
        "room_list",
        "agent_inspect",
        "room_event",
        "control_requested",
        "room_renamed",
    } <= set(SERVER_EVENTS)
    for spec in CLIENT_EVENTS.values():
        spec.model.model_validate(spec.example)
        spec.ack.model_validate(spec.example_ack)
    for server_event in SERVER_EVENTS.values():
        errors = []
        for model in server_event.models:
            try:
                model.model_validate(server_event.example)
                break
            except Exception as error:
                errors.append(error)
        else:
            raise AssertionError(errors)
    assert len(ERROR_CODES) == 9


def test_protocol_docs_are_current() -> None:
    assert DOC_PATH.read_text() == markdown(), (
        "docs/protocol.md is stale: run python -m server.realtime.protocol_docs"
    )


@pytest.mark.parametrize(
    ("payload", "ok"),
    [
        ({"name": "a" * 40}, True),
        ({"name": "a" * 41}, False),
        ({"name": "with space", "speed": 0.1}, True),
        ({"name": "x", "speed": 0.09}, False),
        ({"name": "x", "seed": 2**63 - 1}, True),
        ({"name": "x", "seed": 2**63}, False),
        ({"name": "x", "agents": 1}, True),
        ({"name": "x", "agents": 0}, False),
        ({"name": "x", "public": 1}, False),
        ({"name": "x", "speed": float("nan")}, False),
    ],
)
def test_create_room_bounds(payload: dict[str, Any], ok: bool) -> None:
    if ok:
        parse("create_room", (payload,))
    else:
        with pytest.raises(ProtocolError) as error:
            parse("create_room", (payload,))
        assert error.value.code == "invalid_payload" and "create_room" in error.value.message


def test_delta_example_in_docs_applies() -> None:
    example = SERVER_EVENTS["state_update"].example
    StateUpdateDelta.model_validate(example)
    before = example_snapshot()
    state = apply(before, {k: v for k, v in example.items() if k not in ("ts", "full")})
    Snapshot.model_validate(state)
    assert (
        state["tick"] == 121
        and state["grid"][4][7] == 0
        and state["log"][-1] == {"tick": 121, "agent": 0, "action": "pick"}
    )
    assert state["stats"] == {"products_created": 2, "efficiency": 1.72, "total_reward": 2.62}
    assert state["agents"][0] == {
        "id": 0,
        "x": 7,
        "y": 4,
        "energy": 80,
        "carrying": 2,
        "reward": 1.22,
        "action": "pick",
        "goal": "factory",  # full hands: the goal travels as its code, 1
    }
