"""What the engine sends a room's members: folded state updates and a joiner's first snapshot.

Updates to a room's members are folded: at most ``update_rate`` per second, each the delta from
the last snapshot sent to the current one, encoded once per room, and nothing at all for a room
without members. Everything here runs on the engine thread; what is sent is handed to the event
loop through the Bridge, in order.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from agents.fleet import EpisodeSummary, Fleet
from env.snapshot import SlotState, changes_many
from server.engine.handoff import AfterHub, Bridge, Hub
from server.engine.room import EngineRoom
from server.engine.updates import EngineFigures, Sent, encode_event, now_ms, update_payload

log = logging.getLogger(__name__)
FIGURES_INTERVAL = 0.5
"""Seconds between two hand-overs of the engine's figures to the event loop (for /metrics)."""


class Broadcast:
    """Folds each room's changes into its members' updates (engine thread only)."""

    def __init__(self, bridge: Bridge, hub: Hub, update_rate: float) -> None:
        self.bridge = bridge
        self.hub = hub
        self.interval = 1.0 / update_rate
        """Seconds between two updates of one room at least."""
        self.figures = EngineFigures()
        """What the engine did since the figures were last handed over."""
        self._figures_handed = 0.0

    def flush(
        self,
        fleet: Fleet,
        rooms: list[EngineRoom],
        now: float,
        fail: Callable[[EngineRoom, BaseException], None],
    ) -> None:
        """Send the members of every room that changed and is due an update; a room whose
        update raises is stopped with `fail`."""
        due = [
            room for room in rooms if room.dirty and room.members and now >= room.last_flush + self.interval
        ]
        # The rooms are captured together, one gather per array, and their changes since the
        # last update are found together too.
        states: dict[str, SlotState] = {}
        worlds: dict[str, dict[str, Any]] = {}
        try:
            keys = {room.fleet_id: room.key for room in due}
            states = {keys[i]: state for i, state in fleet.states(keys).items()} if keys else {}
            previous = {
                room.key: room.last_sent for room in due if room.key in states and room.last_sent is not None
            }
            found = changes_many(
                [states[key] for key in previous], [sent.state for sent in previous.values()]
            )
            worlds = dict(zip(previous, found, strict=True))
        except Exception:
            log.exception("Taking the updates of %d rooms together raised; taking them one by one", len(due))
            states, worlds = {}, {}
        for room in due:
            try:
                state = states.get(room.key)
                if state is None:
                    state = fleet.state(room.fleet_id)
                self._flush_room(room, now, state, worlds.get(room.key))
            except Exception as error:
                room.last_sent = None
                fail(room, error)

    def _flush_room(
        self, room: EngineRoom, now: float, state: SlotState, world: dict[str, Any] | None = None
    ) -> None:
        """Send the members what changed since their last update, as one state_update: the
        delta's fields beside the update's own (see docs/protocol.md), or a full snapshot when
        they have none to build on. `state` is the room's world now, `world` (when known) the
        world's changes since the last update."""
        room.dirty = False
        room.last_flush = now
        current = Sent(state, room.running, room.speed)
        payload = update_payload(room.name, current, room.last_sent, world)
        room.last_sent = current
        if payload is None:
            return
        body = encode_event("state_update", payload)
        self.figures.count_update(body)
        key = room.key
        self.bridge.post(lambda: self.hub.send_room(key, "state_update", body))

    def episode_ended(self, room: EngineRoom, summary: EpisodeSummary) -> None:
        """Tell the members an episode ended (game_ended) and its figures (metrics)."""
        if not room.members:
            return
        ended = encode_event(
            "game_ended",
            {
                "room": room.name,
                "episode": int(summary.episode),
                "tick": int(summary.tick),
                "stats": dict(summary.stats),
                "reason": summary.reason,
            },
        )
        figures: dict[str, Any] = {"room": room.name, "episode": int(summary.episode)}
        figures.update({k: v for k, v in summary.metrics.items() if k not in figures})
        metrics = encode_event("metrics", figures)
        key = room.key
        # No update is forced out here: that would break "at most update_rate a second" in turbo,
        # where episodes can end many times a second. The next update folds the episode's end in.
        self.bridge.post(
            lambda: (
                self.hub.send_room(key, "game_ended", ended),
                self.hub.send_room(key, "metrics", metrics),
            )
        )

    def room_failed(self, room: EngineRoom, message: str, stopped_at: int | None) -> None:
        """Tell the members (room_error) and the hub that the room's step failed: it stopped at
        tick `stopped_at`, or was not running (None)."""
        body = encode_event("room_error", {"room": room.name, "message": message})
        key = room.key

        def report() -> None:
            self.hub.send_room(key, "room_error", body)
            self.hub.room_failed(key, message, stopped_at)

        self.bridge.post(report)

    def join(self, fleet: Fleet, room: EngineRoom, sid: str, members: int) -> AfterHub:
        """The snapshot the room's next delta starts from, returned once the event loop has added
        `sid` to the room and sent it that snapshot as a full update.

        With members already there, that is the last snapshot sent to them (at most one update
        interval old): the joiner then takes the same deltas as everyone, and joins never add
        updates beyond ``update_rate`` a second. In an empty room it is the current snapshot.
        """
        if not (room.members and room.last_sent is not None):
            room.last_sent = Sent(fleet.state(room.fleet_id), room.running, room.speed)
            room.last_flush = time.monotonic()
            room.dirty = False
        room.members = members
        current = room.last_sent.snapshot(room.name)
        body = encode_event("state_update", dict(current, ts=now_ms(), full=True))
        self.figures.count_update(body)
        key = room.key
        return AfterHub(current, lambda: self.hub.join_member(key, sid, body))

    def hand_figures(self) -> None:
        """Hand the event loop the engine's figures, at most every FIGURES_INTERVAL."""
        now = time.monotonic()
        figures = self.figures
        if now - self._figures_handed < FIGURES_INTERVAL or figures == EngineFigures():
            return
        self._figures_handed, self.figures = now, EngineFigures()
        self.bridge.post(lambda: self.hub.engine_figures(figures))
