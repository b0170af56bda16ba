"""The sharing events of namespace ``/sim``: a room's own events (``room_event``, also in
``join_room``'s ack), ``request_control`` and the ``control_requested`` it sends (the rest of the
protocol is simrooms.protocol)."""

from __future__ import annotations

from typing import Literal, get_args

from pydantic import Field

from simrooms.protocol import OkAck, Role, RoomRequest, ServerModel, Snapshot

RoomEventKind = Literal[
    "started",
    "stopped",
    "stepped",
    "reset",
    "speed",
    "training_restarted",
    "granted",
    "revoked",
    "joined",
    "left",
    "control_requested",
    "renamed",
]
ROOM_EVENT_KINDS: tuple[str, ...] = get_args(RoomEventKind)
RECENT_ROOM_EVENTS = 50
"""Room events kept per room (in memory) and given in ``join_room``'s ack."""
CONTROL_REQUEST_SECONDS = 30
"""A user asks for control of one room at most once in this many seconds."""


class RoomEvent(ServerModel):
    """Something a person (or the server) did to the room: sent to the room's members as it
    happens. ``join_room``'s ack has the recent ones, up to the join itself: a room_event that
    reaches the joining connection around its ack may be among them (same ``ts``, ``kind`` and
    ``user``: the same event)."""

    room: str
    tick: int = Field(description="The room's tick when it happened (for a control: the tick its ack gave).")
    ts: int = Field(description="Server time when it happened, epoch milliseconds.")
    kind: RoomEventKind = Field(
        description="started, stopped, stepped, reset (the episode ended), speed, training_restarted, "
        "granted, revoked (control), joined, left (a user's first connection joined, its last left), "
        "control_requested, renamed."
    )
    user: str | None = Field(description="Who did it; null when the server did (a room stopped by an error).")
    detail: str | None = Field(
        description='The new speed for speed ("2.5", "max"); the user concerned for granted and revoked; '
        "the old name for renamed; else null."
    )


class JoinAck(OkAck):
    role: Role
    state: Snapshot
    events: list[RoomEvent] = Field(
        description=f"The room's most recent room events (at most {RECENT_ROOM_EVENTS}), oldest first."
    )


class RequestControl(RoomRequest):
    """Ask the room's owner and admins who have joined it for control: they get
    ``control_requested``, and the members a ``control_requested`` room event. ``invalid_state`` when
    the sender controls the room already or nobody who may grant control has joined it; once per
    user and room every 30 s (else ``rate_limited``)."""


class ControlRequested(ServerModel):
    """A user asks for control of the room: sent to the connections of its owner and admins that
    have joined it (they may answer with ``grant_control``)."""

    room: str
    user: str
    ts: int = Field(description="Server time of the request, epoch milliseconds.")
