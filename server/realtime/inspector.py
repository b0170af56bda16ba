"""The agent inspector and the training history: two client events of namespace ``/sim``.

``inspect_agent {room, agent}``
    Watch agent ``agent`` (an int, 0 to the room's agents - 1) of a room the connection has
    joined; ``agent: null`` stops watching. One agent per connection and room: a new one replaces
    the old. Ack ``{"ok": true, "room", "agent", "inspect": AgentInspect or null}`` (the figures
    now, so the page need not wait). Errors: ``invalid_payload``, ``not_found`` (no such room or
    agent), ``invalid_state`` (the connection has not joined the room), ``rate_limited``.

    While watching, the connection alone receives ``agent_inspect`` AgentInspect events, at most
    ``INSPECT_RATE`` a second and only when the room's tick changed: ``{room, tick, episode,
    agent, x, y, action, probabilities, value, view_radius}``. ``probabilities`` maps each action
    name to the probability the policy gave it at its last decision (null for policies without
    probabilities, e.g. ``random``), ``value`` is the policy's value estimate then (or null),
    ``action`` the action it took, ``view_radius`` r: its field of view is the (2r+1) x (2r+1)
    square around (x, y). Watching stops on ``inspect_agent`` with ``agent: null``, on
    ``leave_room``, on disconnect and when the room is deleted.

``metrics_history {room}``
    Ack ``{"ok": true, "room", "episodes": [figures]}``: the ``metrics`` figures of the room's most
    recent finished episodes (at most 100), oldest first, so that charts start full. No join needed.

Figures are read on the engine thread (``Engine.call``), the only thread that touches simulations.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from env.config import ACTION_NAMES
from server.realtime.validation import ProtocolError
from simrooms.protocol import NAMESPACE, InspectAgent, MetricsHistory

if TYPE_CHECKING:
    from flask_socketio import SocketIO

    from server.engine.engine import Engine
    from server.realtime.rooms import Connection
    from server.services import Services

log = logging.getLogger(__name__)
INSPECT_RATE = 10.0
"""agent_inspect events per second per watching connection, at most."""
IDLE_SLEEP = 0.25
HISTORY_KEPT = 100


@dataclass
class Watch:
    sid: str
    key: str
    name: str
    agent: int
    last_tick: int = -1


def _finite(value: Any) -> float | None:
    number = float(value)
    return round(number, 5) if math.isfinite(number) else None


def read_agents(engine: Engine, wanted: dict[str, set[int]]) -> dict[str, dict[str, Any]]:
    """On the engine thread: the inspector's figures of the agents `wanted` per room key."""
    fleet = engine.fleet
    out: dict[str, dict[str, Any]] = {}
    for key, agents in wanted.items():
        room = engine.rooms.get(key)
        if room is None:
            continue
        act = fleet.last_act(room.fleet_id)
        positions = fleet.positions(room.fleet_id)
        figures: dict[int, dict[str, Any]] = {}
        for agent in agents:
            if agent >= room.agents:
                continue
            x, y = (int(v) for v in positions[agent])
            entry: dict[str, Any] = {"x": x, "y": y, "action": None, "probabilities": None, "value": None}
            if act is not None:
                entry["action"] = ACTION_NAMES[int(act.actions[agent])]
                if act.probabilities is not None:
                    odds = act.probabilities[agent]
                    entry["probabilities"] = {
                        name: _finite(odds[i]) or 0.0 for i, name in enumerate(ACTION_NAMES)
                    }
                if act.values is not None:
                    entry["value"] = _finite(act.values[agent])
            figures[agent] = entry
        out[key] = {
            "tick": room.tick,
            "episode": room.episode,
            "view_radius": fleet.configs(room.fleet_id)[0].view_radius,
            "agents": figures,
        }
    return out


def read_history(engine: Engine, key: str) -> list[dict[str, Any]]:
    """On the engine thread: the metrics figures of the room's recent finished episodes."""
    room = engine.room(key)
    episodes: list[dict[str, Any]] = []
    for summary in engine.fleet.totals(room.fleet_id).finished[-HISTORY_KEPT:]:
        figures: dict[str, Any] = {"room": room.name, "episode": int(summary.episode)}
        figures.update({k: v for k, v in summary.metrics.items() if k not in figures})
        episodes.append(figures)
    return episodes


class Inspector:
    """Who watches which agent, and the green loop that sends them the figures."""

    def __init__(self, socketio: SocketIO, svc: Services) -> None:
        self.socketio = socketio
        self.svc = svc
        self.watches: dict[tuple[str, str], Watch] = {}
        self._looping = False
        self.interval = 1.0 / min(INSPECT_RATE, svc.settings.update_rate)

    # --------------------------------------------------------------- events

    def handlers(self) -> dict[str, Callable[[Connection, Any], dict[str, Any]]]:
        """The client events this inspector answers, for server.realtime.sockets.register."""
        return {"inspect_agent": self.inspect, "metrics_history": self.history}

    def inspect(self, conn: Connection, m: InspectAgent) -> dict[str, Any]:
        manager = self.svc.rooms
        room = manager.find(conn.user, m.room)
        if m.agent is None:
            self.watches.pop((conn.sid, room.key), None)
            return {"room": room.name, "agent": None, "inspect": None}
        if conn.sid not in room.members:
            raise ProtocolError("invalid_state", f"Join room {room.name!r} before inspecting its agents.")
        if m.agent >= room.agents:
            raise ProtocolError(
                "not_found",
                f"Room {room.name!r} has {room.agents} agents (0-{room.agents - 1}), not agent {m.agent}.",
            )
        watch = Watch(conn.sid, room.key, room.name, m.agent)
        self.watches[(conn.sid, room.key)] = watch
        figures = self._read({room.key: {m.agent}})
        payload = self._payload(watch, figures.get(room.key))
        if payload is not None:
            watch.last_tick = payload["tick"]
        self._ensure_loop()
        return {"room": room.name, "agent": m.agent, "inspect": payload}

    def history(self, conn: Connection, m: MetricsHistory) -> dict[str, Any]:
        room = self.svc.rooms.find(conn.user, m.room)
        try:
            episodes = self.svc.engine.call(read_history, self.svc.engine, room.key)
        except KeyError:
            raise ProtocolError("not_found", f"There is no room named {m.room!r}.") from None
        return {"room": room.name, "episodes": episodes}

    def rename(self, old_key: str, key: str, name: str) -> None:
        """Room `old_key` is called `name` (key `key`) now: its watches go on under that name."""
        for ident, watch in list(self.watches.items()):
            if watch.key == old_key:
                del self.watches[ident]
                watch.key, watch.name = key, name
                self.watches[(watch.sid, key)] = watch

    # --------------------------------------------------------------- the loop

    def _read(self, wanted: dict[str, set[int]]) -> dict[str, dict[str, Any]]:
        result: dict[str, dict[str, Any]] = self.svc.engine.call(read_agents, self.svc.engine, wanted)
        return result

    @staticmethod
    def _payload(watch: Watch, room_figures: dict[str, Any] | None) -> dict[str, Any] | None:
        if room_figures is None or watch.agent not in room_figures["agents"]:
            return None
        return {
            "room": watch.name,
            "tick": room_figures["tick"],
            "episode": room_figures["episode"],
            "agent": watch.agent,
            **room_figures["agents"][watch.agent],
            "view_radius": room_figures["view_radius"],
        }

    def _ensure_loop(self) -> None:
        if not self._looping:
            self._looping = True
            self.socketio.start_background_task(self._loop)

    def _prune(self) -> None:
        """Forget watches of connections that left the room or are gone, and of deleted rooms."""
        manager = self.svc.rooms
        for ident, watch in list(self.watches.items()):
            conn = manager.connections.get(watch.sid)
            room = manager.rooms.get(watch.key)
            if conn is None or room is None or watch.key not in conn.rooms or watch.sid not in room.members:
                self.watches.pop(ident, None)

    def _loop(self) -> None:
        try:
            while self.watches and self.svc.running:
                self.socketio.sleep(self.interval)
                self.send_once()
        finally:
            self._looping = False
        if self.watches:  # one arrived as the loop ended
            self._ensure_loop()

    def send_once(self) -> None:
        self._prune()
        if not self.watches:
            return
        wanted: dict[str, set[int]] = {}
        for watch in self.watches.values():
            wanted.setdefault(watch.key, set()).add(watch.agent)
        try:
            figures = self._read(wanted)
        except Exception:
            log.exception("Reading the inspected agents failed")
            return
        for watch in list(self.watches.values()):
            room_figures = figures.get(watch.key)
            if room_figures is None or room_figures["tick"] == watch.last_tick:
                continue
            payload = self._payload(watch, room_figures)
            if payload is None:
                continue
            watch.last_tick = payload["tick"]
            self.socketio.emit("agent_inspect", payload, to=watch.sid, namespace=NAMESPACE)


def register(socketio: SocketIO, svc: Services) -> Inspector:
    """The inspector of this app; its ``handlers`` go to server.realtime.sockets.register."""
    return Inspector(socketio, svc)
