"""Every event of namespace ``/sim``: its name, its models and an example, for the handlers and the docs."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from simrooms.config import RoomConfig
from simrooms.protocol import (
    AgentInspect,
    ClientModel,
    CreateRoom,
    DeleteRoom,
    GameEnded,
    GameStarted,
    GameStopped,
    GetState,
    GrantControl,
    HistoryAck,
    InspectAck,
    InspectAgent,
    JoinRoom,
    LeaveRoom,
    ListRooms,
    MembershipEnded,
    Metrics,
    MetricsHistory,
    OkAck,
    Presence,
    ResetGame,
    RoomAck,
    RoomDeleted,
    RoomError,
    RoomList,
    RoomsAck,
    SetSpeed,
    SpeedAck,
    StartGame,
    StateAck,
    StateUpdateDelta,
    StateUpdateFull,
    StepGame,
    StopGame,
    TickAck,
)
from simrooms.protocol_manage import RenameRoom, RestartTraining, RoomRenamed
from simrooms.protocol_sharing import ControlRequested, JoinAck, RequestControl, RoomEvent
from simrooms.protocol_sweeps import CreateSweep, DeleteSweep, SweepAck


@dataclass(frozen=True)
class ClientEvent:
    name: str
    model: type[ClientModel]
    ack: type[BaseModel]
    example: dict[str, Any]
    example_ack: dict[str, Any]


@dataclass(frozen=True)
class ServerEvent:
    name: str
    models: tuple[type[BaseModel], ...]
    example: dict[str, Any]


def example_room(**overrides: Any) -> dict[str, Any]:
    room = {
        "name": "Factory 1",
        "owner": "alice",
        "agents": 4,
        "policy": "learning",
        "public": True,
        "running": False,
        "tick": 0,
        "episode": 1,
        "speed": 1.0,
        "observers": 0,
        "seed": 7,
        "worlds": 1,
        "config": RoomConfig().whole(),
        "config_changes": {},
        "sweep": None,
        "sweep_point": None,
    }
    room.update(overrides)
    return room


def example_snapshot() -> dict[str, Any]:
    grid = [[0] * 20 for _ in range(20)]
    grid[0][0:3] = [1, 1, 1]
    grid[4][7] = 2
    grid[10][10] = 3
    grid[15][3] = 4
    return {
        "room": "Factory 1",
        "tick": 120,
        "episode": 1,
        "running": True,
        "speed": 1.0,
        "width": 20,
        "height": 20,
        "grid": grid,
        "legend": {"0": "empty", "1": "wall", "2": "resource", "3": "factory", "4": "charger"},
        "agents": [
            {
                "id": 0,
                "x": 7,
                "y": 5,
                "energy": 81,
                "carrying": 1,
                "reward": 1.12,
                "action": "up",
                "goal": "resource",
            },
            {
                "id": 1,
                "x": 2,
                "y": 9,
                "energy": 64,
                "carrying": 0,
                "reward": 0.4,
                "action": "left",
                "goal": "resource",
            },
        ],
        "stats": {"products_created": 2, "efficiency": 1.74, "total_reward": 2.52},
        "log": [{"tick": 119, "agent": 0, "action": "pick"}, {"tick": 120, "agent": 1, "action": "drop"}],
    }


def example_inspect() -> dict[str, Any]:
    names = ("stay", "up", "down", "left", "right", "pick", "drop")
    odds = (0.05, 0.6, 0.05, 0.1, 0.1, 0.1, 0.0)
    return {
        "room": "Factory 1", "tick": 121, "episode": 1, "agent": 0, "x": 7, "y": 4, "action": "up",
        "probabilities": dict(zip(names, odds, strict=True)), "value": 1.93, "view_radius": 3,
    }  # fmt: skip


def example_room_event() -> dict[str, Any]:
    return {
        "room": "Factory 1",
        "tick": 164,
        "ts": 1764444000123,
        "kind": "speed",
        "user": "alice",
        "detail": "2.5",
    }


ROOM_ONLY = {"room": "Factory 1"}
OK_ACK: dict[str, Any] = {"ok": True}

CLIENT_EVENTS: dict[str, ClientEvent] = {
    e.name: e
    for e in (
        ClientEvent(
            "create_room",
            CreateRoom,
            RoomAck,
            {"name": "Factory 1", "agents": 4, "policy": "learning", "seed": 7, "speed": 1.0, "public": True},
            {"ok": True, "room": example_room()},
        ),
        ClientEvent(
            "list_rooms", ListRooms, RoomsAck, {}, {"ok": True, "rooms": [example_room(observers=2)]}
        ),
        ClientEvent(
            "join_room",
            JoinRoom,
            JoinAck,
            ROOM_ONLY,
            {"ok": True, "role": "observer", "state": example_snapshot(), "events": [example_room_event()]},
        ),
        ClientEvent("leave_room", LeaveRoom, OkAck, ROOM_ONLY, OK_ACK),
        ClientEvent("get_state", GetState, StateAck, ROOM_ONLY, {"ok": True, "state": example_snapshot()}),
        ClientEvent("start_game", StartGame, TickAck, ROOM_ONLY, {"ok": True, "tick": 120}),
        ClientEvent("stop_game", StopGame, TickAck, ROOM_ONLY, {"ok": True, "tick": 164}),
        ClientEvent("step_game", StepGame, TickAck, ROOM_ONLY, {"ok": True, "tick": 165}),
        ClientEvent("reset_game", ResetGame, TickAck, ROOM_ONLY, {"ok": True, "tick": 165}),
        ClientEvent(
            "set_speed", SetSpeed, SpeedAck, {"room": "Factory 1", "speed": 2.5}, {"ok": True, "speed": 2.5}
        ),
        ClientEvent(
            "grant_control", GrantControl, OkAck, {"room": "Factory 1", "user": "bob", "allow": True}, OK_ACK
        ),
        # sharing (simrooms.protocol_sharing)
        ClientEvent("request_control", RequestControl, OkAck, ROOM_ONLY, OK_ACK),
        ClientEvent("delete_room", DeleteRoom, OkAck, ROOM_ONLY, OK_ACK),
        ClientEvent(
            "create_sweep",
            CreateSweep,
            SweepAck,
            {
                "name": "LR",
                "room": {"agents": 4, "policy": "learning", "speed": "max"},
                "seeds": [1, 2],
                "grid": {"learner.learning_rate": [0.001, 0.003]},
            },
            {
                "ok": True,
                "sweep": {"name": "LR", "rooms": [example_room(name="LR 01", seed=1, running=True)]},
            },
        ),
        ClientEvent("delete_sweep", DeleteSweep, OkAck, {"name": "LR"}, OK_ACK),
        # Managing a room as a whole (simrooms.protocol_manage).
        ClientEvent("restart_training", RestartTraining, TickAck, ROOM_ONLY, {"ok": True, "tick": 165}),
        ClientEvent(
            "rename_room",
            RenameRoom,
            RoomAck,
            {"room": "Factory 1", "name": "Factory A"},
            {"ok": True, "room": example_room(name="Factory A")},
        ),
        ClientEvent(
            "inspect_agent",
            InspectAgent,
            InspectAck,
            {"room": "Factory 1", "agent": 0},
            {"ok": True, "room": "Factory 1", "agent": 0, "inspect": example_inspect()},
        ),
        ClientEvent(
            "metrics_history",
            MetricsHistory,
            HistoryAck,
            ROOM_ONLY,
            {
                "ok": True,
                "room": "Factory 1",
                "episodes": [{"room": "Factory 1", "episode": 1, "return": 2.85, "products": 9}],
            },
        ),
    )
}

SERVER_EVENTS: dict[str, ServerEvent] = {
    e.name: e
    for e in (
        ServerEvent(
            "state_update",
            (StateUpdateFull, StateUpdateDelta),
            {
                "room": "Factory 1",
                "tick": 121,
                "episode": 1,
                "ts": 1764444000123,
                "full": False,
                "s": [-2, 100],
                "c": [87, 0],
                "a": [126, 4, 80, 2, 100, 5, 1],
                "l": [121, 0, 5],
                "n": 3,
            },
        ),
        ServerEvent("game_started", (GameStarted,), {"room": "Factory 1", "tick": 120, "episode": 1}),
        ServerEvent("game_stopped", (GameStopped,), {"room": "Factory 1", "tick": 164, "episode": 1}),
        ServerEvent(
            "game_ended",
            (GameEnded,),
            {
                "room": "Factory 1",
                "episode": 1,
                "tick": 500,
                "stats": {"products_created": 9, "efficiency": 3.1, "total_reward": 11.4},
                "reason": "truncated",
            },
        ),
        ServerEvent(
            "metrics",
            (Metrics,),
            {
                "room": "Factory 1",
                "episode": 1,
                "return": 2.85,
                "products": 9,
                "ticks": 500,
                "agent_steps": 2000,
                "updates": 3,
                "policy_loss": -0.012,
                "value_loss": 0.31,
                "entropy": 1.84,
                "approx_kl": 0.004,
            },
        ),
        ServerEvent(
            "presence",
            (Presence,),
            {
                "room": "Factory 1",
                "users": [{"name": "alice", "role": "owner"}, {"name": "bob", "role": "observer"}],
            },
        ),
        ServerEvent(
            "room_error",
            (RoomError,),
            {"room": "Factory 1", "message": "The room's step failed: ValueError: ..."},
        ),
        ServerEvent("room_list", (RoomList,), {"rooms": [example_room(running=True, tick=120, observers=2)]}),
        ServerEvent("room_deleted", (RoomDeleted,), {"room": "Factory 1"}),
        ServerEvent("room_renamed", (RoomRenamed,), {"room": "Factory 1", "name": "Factory A"}),
        ServerEvent(
            "membership_ended",
            (MembershipEnded,),
            {
                "room": "Factory 1",
                "reason": "Your control of this private room was revoked: you can no longer see it.",
            },
        ),
        ServerEvent("agent_inspect", (AgentInspect,), example_inspect()),
        # sharing (simrooms.protocol_sharing)
        ServerEvent("room_event", (RoomEvent,), example_room_event()),
        ServerEvent(
            "control_requested",
            (ControlRequested,),
            {"room": "Factory 1", "user": "bob", "ts": 1764444000123},
        ),
    )
}
