"""The Socket.IO protocol of namespace ``/sim``: one pydantic model per client and server event.

Client payloads are validated strictly (``extra="forbid"``, no coercion: ``"4"`` is not an int,
``true`` is not a number). simrooms.events lists the events with these models, and
docs/protocol.md and ``GET /api/schema`` are generated from that list
(``python -m server.realtime.protocol_docs``).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, get_args

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)

from agents.policy import PolicyName
from env import wire
from env.config import MAX_AGENTS
from simrooms.config import RoomConfig

NAMESPACE = "/sim"
ROOM_NAME_PATTERN = r"^[A-Za-z0-9_-](?:[A-Za-z0-9 _-]{0,38}[A-Za-z0-9_-])?$"
USER_NAME_PATTERN = r"^[A-Za-z0-9_.-]{1,40}$"
MAX_SEED = 2**63 - 1
ErrorCode = Literal[
    "invalid_payload",
    "unauthorized",
    "forbidden",
    "not_found",
    "conflict",
    "rate_limited",
    "limit_reached",
    "invalid_state",
    "internal",
]
ERROR_CODES: tuple[str, ...] = get_args(ErrorCode)

RoomName = Annotated[
    str,
    StringConstraints(min_length=1, max_length=40, pattern=ROOM_NAME_PATTERN),
    Field(
        description="1-40 ASCII letters, digits, spaces, '-' or '_', no space at either end; "
        "unique ignoring case.",
        examples=["Factory 1"],
    ),
]
UserName = Annotated[
    str,
    StringConstraints(min_length=1, max_length=40, pattern=USER_NAME_PATTERN),
    Field(description="1-40 ASCII letters, digits, '.', '-' or '_'.", examples=["alice"]),
]
SpeedValue = Annotated[float, Field(ge=0.1, le=5.0, allow_inf_nan=False)]
Speed = Annotated[
    SpeedValue | Literal["max"],
    Field(
        description='Ticks per second / 10, from 0.1 to 5.0 (a JSON number), or "max": turbo, as fast '
        "as the engine allows, shared fairly with the other rooms; a learning room in turbo also trains "
        "in copies of its world (the server's turbo_worlds), and its members see the first.",
    ),
]
Role = Literal["owner", "controller", "admin", "observer"]
GoalName = Literal["resource", "factory", "charger"]
"""env.wire.GOALS (a test holds them equal)."""


class ClientModel(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class ServerModel(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


# ------------------------------------------------------------------ client events


class Fork(ClientModel):
    """The room and tick a new room starts from."""

    room: RoomName
    tick: Annotated[int, Field(ge=0, description="A tick of that room's past, or null: now.")] | None = None


class CreateRoom(ClientModel):
    """Create a room (the sender owns it). Does not join it."""

    name: RoomName
    agents: Annotated[int, Field(ge=1, le=MAX_AGENTS, description=f"Agents in the room, 1-{MAX_AGENTS}.")] = 4
    policy: PolicyName = "learning"
    seed: (
        Annotated[int, Field(ge=0, le=MAX_SEED, description="Seed of the room's episodes, or null.")] | None
    ) = None
    speed: Speed = 1.0
    public: bool = True
    config: RoomConfig | None = Field(
        default=None,
        description="The world's and the learner's settings, each part and field optional "
        "(GET /api/config/schema lists every field with its bounds); a learner part only for a "
        "learning room.",
    )
    fork: Fork | None = None

    @model_validator(mode="after")
    def _fork_takes_its_origin(self) -> CreateRoom:
        given = sorted(self.model_fields_set & set(FORK_INHERITS))
        if self.fork is not None and given:
            raise ValueError(
                f"A fork takes {', '.join(FORK_INHERITS)} from the room it forks; do not give {', '.join(given)}"
            )
        if self.config is not None:
            self.config.check_policy(self.policy)
        return self


FORK_INHERITS = ("agents", "policy", "seed", "config")
"""What a fork takes from its origin and so may not be given with ``fork``."""


class ListRooms(ClientModel):
    """The rooms the sender may see: public ones and private ones it may join."""


class RoomRequest(ClientModel):
    room: RoomName


class JoinRoom(RoomRequest):
    """Become a member: receive ``state_update``, ``presence`` and the room's game events."""


class LeaveRoom(RoomRequest):
    """Stop being a member."""


class GetState(RoomRequest):
    """The room's current Snapshot (no need to have joined), or with ``tick`` the Snapshot it had
    at the end of that past tick, re-simulated (not_found for a tick it never had)."""

    tick: Annotated[int, Field(ge=0, description="A past tick of the room, or null: now.")] | None = None


class StartGame(RoomRequest):
    """Start ticking at the room's speed. Controllers only."""


class StopGame(RoomRequest):
    """Stop ticking. Controllers only."""


class StepGame(RoomRequest):
    """Advance a stopped room by one tick. Controllers only; a running room answers invalid_state."""


class ResetGame(RoomRequest):
    """End the episode and start the next one of the room's seed sequence. Controllers only."""


class SetSpeed(RoomRequest):
    """Change the room's speed. Controllers only."""

    speed: Speed


class GrantControl(RoomRequest):
    """Give a user control of the room (``allow`` true) or take it back. Owner and admins only."""

    user: UserName
    allow: bool


class DeleteRoom(RoomRequest):
    """Delete the room: it stops, its members are dropped from it, its memory is freed.
    Owner and admins only."""


# ------------------------------------------------------------------ shared shapes


class RoomInfo(ServerModel):
    name: str
    owner: str
    agents: int
    policy: PolicyName
    public: bool
    running: bool
    tick: int
    episode: int
    speed: float | Literal["max"]
    observers: int = Field(description="Connections that are members of the room.")
    seed: int = Field(description="The seed of the room's episodes (drawn when none was given).")
    worlds: int = Field(description="Worlds it steps: 1, or turbo_worlds for a learning room in turbo.")
    config: dict[str, Any] = Field(description="The room's whole config, every default filled in.")
    config_changes: dict[str, Any] = Field(
        description='The config fields that differ from the defaults, by dotted name ("world.max_ticks").'
    )
    sweep: str | None = Field(default=None, description="The sweep that made the room, if any.")
    sweep_point: dict[str, Any] | None = Field(
        default=None, description="Its grid point in that sweep: dotted fields and their values."
    )


class AgentState(ServerModel):
    id: int
    x: int
    y: int
    energy: int
    carrying: int
    reward: float
    action: str = Field(description="The agent's last action.")
    goal: GoalName = Field(
        description="The kind of cell the agent heads for now, by the world's rule "
        "(env.core.BatchedWorld.goals): a charger when low on energy or still charging; else a "
        "factory when its hands are full, the nearer of a factory and a resource when it carries "
        "some, a resource when it carries none. The scripted policy follows it; learners see it."
    )


class Stats(ServerModel):
    products_created: int
    efficiency: float = Field(description="Products per 100 units of energy spent this episode.")
    total_reward: float


class LogEntry(ServerModel):
    tick: int
    agent: int
    action: str


class Snapshot(ServerModel):
    """The whole visible state of a room at one tick."""

    room: str
    tick: int = Field(description="Ticks since the room was made; never goes back.")
    episode: int
    running: bool
    speed: float | Literal["max"]
    width: int
    height: int
    grid: list[list[int]] = Field(description="grid[y][x], values keyed in legend.")
    legend: dict[str, str]
    agents: list[AgentState]
    stats: Stats
    log: list[LogEntry] = Field(description="Recent actions, oldest first.")


class PresenceUser(ServerModel):
    name: str
    role: Role


class ErrorBody(ServerModel):
    code: ErrorCode
    message: str


# ------------------------------------------------------------------ acks


class ErrorAck(ServerModel):
    ok: Literal[False]
    error: ErrorBody


class OkAck(ServerModel):
    ok: Literal[True]


class RoomAck(OkAck):
    room: RoomInfo


class RoomsAck(OkAck):
    rooms: list[RoomInfo]


class StateAck(OkAck):
    state: Snapshot


class TickAck(OkAck):
    tick: int


class SpeedAck(OkAck):
    speed: float | Literal["max"]


# ------------------------------------------------------------------ server events


class StateUpdateFull(Snapshot):
    """``full: true``: the Snapshot's fields at the top level, plus ``ts``."""

    ts: int = Field(description="Server time of the update, epoch milliseconds.")
    full: Literal[True]


def _in_units(stat: str) -> str:
    scale = wire.STATS_SCALES[stat]
    return f"{stat} in 1/{scale}" if scale > 1 else stat


_STATS_CHANGES = (
    f"Stats: the changes of {', '.join(_in_units(stat) for stat in wire.CHANGED_STATS)}, in that order, "
    f"without the zero changes at the end (1 to {len(wire.CHANGED_STATS)} values)."
)
_ROW_FIELDS_READ = [
    f"the reward's change in 1/{wire.REWARD_SCALE}"
    if name == "reward"
    else f"{name} code"
    if name in ("action", "goal")
    else name
    for name in wire.ROW_FIELDS
]
_AGENT_ROWS = (
    f"Agents: rows of id * {1 << wire.ID_SHIFT} + mask, then the fields of the mask: "
    f"{', '.join(_ROW_FIELDS_READ)}."
)
_LOG_ROWS = f"Log: rows of {', '.join(wire.LOG_FIELDS[:-1])}, {wire.LOG_FIELDS[-1]} code."


class StateUpdateDelta(ServerModel):
    """``full: false``: a delta (see 'Deltas' below) beside the update's own fields. The update
    without ``ts`` and ``full``, applied to the previous state, gives this tick's Snapshot; fields
    absent are as before."""

    room: str
    tick: int
    episode: int
    ts: int = Field(description="Server time of the update, epoch milliseconds.")
    full: Literal[False]
    running: bool | None = None
    speed: float | Literal["max"] | None = None
    width: int | None = None
    height: int | None = None
    legend: dict[str, str] | None = None
    s: list[int] | None = Field(None, description=_STATS_CHANGES)
    c: list[int] | None = Field(None, description="Cells: index, value, index, value, ...")
    grid: list[list[int]] | None = None
    a: list[int | str | None] | None = Field(None, description=_AGENT_ROWS)
    g: list[int] | None = Field(None, description="Gone: the ids of the agents no longer there.")
    l: list[int | str] | None = Field(None, description=_LOG_ROWS)
    n: int | None = Field(None, description="The log's new length.")


class GameStarted(ServerModel):
    room: str
    tick: int
    episode: int


class GameStopped(ServerModel):
    room: str
    tick: int
    episode: int


class GameEnded(ServerModel):
    """An episode ended; a running room goes on with the next one."""

    room: str
    episode: int
    tick: int
    stats: Stats
    reason: Literal["terminated", "truncated", "reset"]


class Metrics(BaseModel):
    """Training figures of an episode that ended. More figures may appear as policies grow."""

    model_config = ConfigDict(extra="allow", strict=True)

    room: str
    episode: int
    products: int = Field(description="Products made in the episode.")
    ticks: int = Field(description="Ticks the episode lasted.")
    updates: int = Field(description="Learning updates made during the episode (0 without learning).")
    return_: float = Field(alias="return", description="Mean return per agent.")
    agent_steps: int = Field(
        description="The room's agent-steps so far, every world it trains in counted (for learning curves)."
    )
    policy_loss: float | None = None
    value_loss: float | None = None
    entropy: float | None = None
    approx_kl: float | None = None


class Presence(ServerModel):
    """The users connected to the room, sent on every join and leave."""

    room: str
    users: list[PresenceUser]


class RoomError(ServerModel):
    """The room's step failed; the room stopped. Other rooms go on."""

    room: str
    message: str


class RoomList(ServerModel):
    """The rooms the receiving user may see, sent when rooms appear, vanish, start or stop."""

    rooms: list[RoomInfo]


class MembershipEnded(ServerModel):
    """The receiving connection is no longer a member of the room: its user may no longer see it
    (control of a private room was revoked). It gets no more of the room's events."""

    room: str
    reason: str


class RoomDeleted(ServerModel):
    """The room was deleted; its members are no longer members."""

    room: str


# ------------------------------------------------------------------ the agent inspector


class InspectAgent(ClientModel):
    """Watch one agent of a joined room live (``agent: null`` stops watching)."""

    room: RoomName
    agent: Annotated[int, Field(ge=0, le=MAX_AGENTS - 1)] | None


class MetricsHistory(ClientModel):
    """The training figures of the room's recent episodes (up to 100)."""

    room: RoomName


class AgentInspect(BaseModel):
    """What an inspected agent sees and would do: sent only to the connections watching it, at
    most 10 a second, until they stop, leave or disconnect."""

    room: str
    tick: int
    episode: int
    agent: int
    x: int | None
    y: int | None
    action: str | None
    probabilities: dict[str, float] | None
    value: float | None
    view_radius: int


class InspectAck(BaseModel):
    ok: Literal[True]
    room: str
    agent: int | None
    inspect: AgentInspect | None


class HistoryAck(BaseModel):
    ok: Literal[True]
    room: str
    episodes: list[dict[str, Any]]
