"""What the engine sends: events encoded once as JSON, and the state_update between two states.

A room's members are sent the delta from the last state they were sent (``Sent``) to the
current one, in env.delta's form beside the update's own fields, or a full snapshot when they
have nothing to build on (docs/protocol.md).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any

from env.delta import same_json
from env.snapshot import SlotState


def now_ms() -> int:
    return int(time.time() * 1000)


def _plain_scalar(value: Any) -> Any:
    """JSON for numpy scalars that slip into a payload (``np.int64(3)`` -> ``3``)."""
    item = getattr(value, "item", None)
    if item is not None and getattr(value, "shape", None) == ():
        return item()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def encode_event(event: str, payload: dict[str, Any]) -> str:
    """The Socket.IO event packet body ``["event", payload]`` as compact JSON, encoded once."""
    return json.dumps(
        [event, payload], separators=(",", ":"), ensure_ascii=False, allow_nan=False, default=_plain_scalar
    )


def plain(payload: dict[str, Any]) -> dict[str, Any]:
    """`payload` as plain JSON values (for acks, which python-socketio encodes itself)."""
    result: dict[str, Any] = json.loads(json.dumps(payload, allow_nan=False, default=_plain_scalar))
    return result


@dataclass(frozen=True)
class Sent:
    """A room's state as its members were sent it: the world's part, running and speed."""

    state: SlotState
    running: bool
    speed: float | str

    def snapshot(self, name: str) -> dict[str, Any]:
        return self.state.snapshot(name, self.running, self.speed)

    def changes(self, since: Sent, world: dict[str, Any] | None = None) -> dict[str, Any]:
        """The delta (env.delta's form) from what `since` showed to what this shows; `world`,
        when given, is the world's part of it, ``self.state.changes(since.state)``."""
        delta = dict(world) if world is not None else self.state.changes(since.state)
        if not same_json(self.running, since.running):
            delta["running"] = self.running
        if not same_json(self.speed, since.speed):
            delta["speed"] = self.speed
        return delta


def update_payload(
    name: str, current: Sent, previous: Sent | None, world: dict[str, Any] | None = None
) -> dict[str, Any] | None:
    """The state_update taking members from `previous` (None: nothing yet) to `current`: a full
    snapshot, or the delta's fields beside the update's own; None when nothing changed. `world`
    is the world's part of the delta when it was already taken (see Sent.changes)."""
    if previous is None:
        return dict(current.snapshot(name), ts=now_ms(), full=True)
    delta = current.changes(previous, world)
    if not delta:
        return None
    payload: dict[str, Any] = {"room": name, "tick": current.state.tick, "episode": current.state.episode}
    payload.update(delta)
    payload.update(ts=now_ms(), full=False)
    return payload


@dataclass
class EngineFigures:
    """What the engine did since it last handed its figures to the event loop."""

    ticks: int = 0
    """Ticks of all rooms."""
    agent_steps: int = 0
    """Agent-steps of all rooms, in every world they train in."""
    durations: list[float] = field(default_factory=list)
    """Seconds each cycle spent stepping its due rooms."""
    cycle_rooms: list[int] = field(default_factory=list)
    """Rooms each cycle stepped."""
    updates: int = 0
    """state_update events encoded."""
    update_bytes: int = 0
    """Their bytes."""

    def count_tick(self, agent_steps: int) -> None:
        self.ticks += 1
        self.agent_steps += agent_steps

    def count_update(self, body: str) -> None:
        self.updates += 1
        self.update_bytes += len(body)
