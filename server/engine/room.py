"""A room as the engine holds it, and when it is due."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from server.engine.updates import Sent

TICKS_PER_SPEED = 10.0
"""Ticks a second at speed 1.0."""
PHASE_GRID = 0.1
"""A room that starts (or restarts its schedule) takes its first tick at the next multiple of
this many seconds, or of its period if that is shorter, on the engine's clock: rooms of one
speed then come due together and step in one batch, instead of a few at a time all period long."""


@dataclass
class EngineRoom:
    """One room on the engine: its place in the Fleet, its schedule and what its members saw.

    Only the engine thread writes it, except that the event loop reads the published fields
    (``tick``, ``episode``, ``running``, ``speed``)."""

    key: str
    """The room's name in lower case (names are unique ignoring case)."""
    name: str
    fleet_id: int
    """The room's id in the engine's agents.fleet.Fleet."""
    agents: int
    speed: float | str = 1.0
    running: bool = False
    tick: int = 0
    episode: int = 1
    members: int = 0
    next_due: float = 0.0
    last_sent: Sent | None = None
    """What the members were last sent; None when nobody is there to send to."""
    last_flush: float = 0.0
    dirty: bool = False
    """Changed since its members' last update."""
    error: str | None = None
    """The room_error message that stopped it, until it starts again."""
    worlds: int = 1
    """Worlds the room trains in: several for a learning room in turbo (Settings.turbo_worlds)."""
    record_id: int = 0
    """The room's id in storage (server.storage)."""
    seq: int = 0
    """The number of the last control recorded (server.engine.keeper)."""
    checkpoint_tick: int = -1
    """The tick of the room's last checkpoint."""
    checkpoint_seq: int = 0
    """The last control it holds."""
    checkpointed_at: float = 0.0
    """When it was taken, on the engine's clock."""
    replay_cost: float = 0.0
    """Seconds a replay from that checkpoint to now would take, estimated (server.engine.keeper)."""
    shown: tuple[tuple[Any, ...], dict[str, Any]] | None = None
    """The last snapshot ``get_state`` was answered with, and the (tick, episode, running, speed)
    it is of: one snapshot a tick however many ask (a member may ask 20 times a second)."""
    waiting: bool = False
    """Due, but waiting for its learning update from the trainer thread, which wakes the engine
    when an update is done: the engine does not wake for it before."""

    @property
    def turbo(self) -> bool:
        return self.speed == "max"

    @property
    def agent_steps_per_tick(self) -> int:
        return self.worlds * self.agents

    @property
    def period(self) -> float:
        """Seconds between ticks; 0 in turbo (due every cycle)."""
        return 0.0 if self.speed == "max" else 1.0 / (TICKS_PER_SPEED * float(self.speed))


def first_due(now: float, period: float) -> float:
    """When a room whose schedule starts at `now` takes its first tick (see PHASE_GRID)."""
    grid = min(period, PHASE_GRID)
    return math.ceil(now / grid) * grid if grid > 0 else now
