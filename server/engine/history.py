"""A room's past, re-simulated rather than recorded frame by frame.

A room's state at any tick is its nearest checkpoint at or before that tick plus the controls
recorded after it, replayed through the same deterministic code (agents.fleet): seeking and
forking both come from ``replay``. Only four controls change what a room goes on to do: a reset
ends its episode, a training restart ends it and starts the room's learning over (from weights
drawn from its seed and its count of restarts, which the checkpoints hold), and turbo on and off
change how many worlds a learning room trains in. The others (start, stop, step, speed) are kept
in the log for people to read; replaying steps the room from tick to tick whatever its speed was.

A control is recorded with the tick the room was at when it came, so a room's state "at tick t"
is the state after tick t's step and after every control recorded at t (a reset at t leaves the
room at tick t, in its next episode).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from agents.fleet import Fleet

RESET = "reset"
RESTART_TRAINING = "restart_training"
TURBO_ON = "turbo_on"
TURBO_OFF = "turbo_off"


class Control(Protocol):
    """One recorded control (server.storage's ControlRecord)."""

    @property
    def seq(self) -> int: ...
    @property
    def tick(self) -> int: ...
    @property
    def kind(self) -> str: ...
    @property
    def value(self) -> Any: ...


class BrokenLog(Exception):
    """The recorded controls do not fit the room they are replayed on."""


@dataclass(frozen=True)
class Replayed:
    """Where a replay left a room: its tick and the last control applied."""

    tick: int
    seq: int


def replay(fleet: Fleet, room_id: int, seq: int, controls: Sequence[Control], to_tick: int) -> Replayed:
    """Step room `room_id` of `fleet`, whose last applied control is `seq`, to the end of tick
    `to_tick`, applying `controls` (those after `seq`, in order) at their ticks."""
    tick = fleet.tick(room_id)
    if to_tick < tick:
        raise BrokenLog(f"A replay goes forward: the room is at tick {tick}, past {to_tick}.")
    pending = [control for control in controls if control.seq > seq]
    index = 0
    while True:
        while index < len(pending) and pending[index].tick <= tick:
            control = pending[index]
            if control.tick < tick:
                raise BrokenLog(
                    f"Control {control.seq} ({control.kind}) was recorded at tick {control.tick}, "
                    f"but the replay reached it at tick {tick}."
                )
            apply(fleet, room_id, control)
            seq = control.seq
            index += 1
        if tick >= to_tick:
            return Replayed(tick, seq)
        fleet.step_one(room_id)
        tick = fleet.tick(room_id)


def apply(fleet: Fleet, room_id: int, control: Control) -> None:
    """Do what a recorded control did to the room's future (nothing, for most)."""
    if control.kind == RESET:
        fleet.reset(room_id)
    elif control.kind == RESTART_TRAINING:
        _, restarts = fleet.restart_training(room_id)
        if restarts != control.value["restarts"]:
            raise BrokenLog(
                f"Control {control.seq} was the room's training restart {control.value['restarts']}, "
                f"but the replay counts {restarts}."
            )
    elif control.kind == TURBO_ON:
        fleet.set_envs(room_id, int(control.value["worlds"]))
    elif control.kind == TURBO_OFF:
        fleet.set_envs(room_id, 1)
