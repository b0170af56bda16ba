"""What the admin page shows: ``GET /api/admin/rooms`` (admins only).

Answer::

    {"ts": epoch ms,
     "server": {"connections": int, "users": int, "rooms": int, "running": int},
     "rooms": [{name, owner, agents, policy, public, running, speed, tick, episode, observers,
                "members": [user names], "controllers": [user names],
                "tick_rate": ticks/s measured since the previous request (null on the first),
                "target_rate": speed x 10 (null in turbo),
                "worlds": worlds the room trains in (several for a learning room in turbo),
                "lag_ms": how far the room's next tick is behind its schedule (0 when on time or stopped),
                "state_bytes": bytes of the room's full Snapshot as JSON,
                "error": the room_error message that stopped it, or null}],
     "users": [{"name", "admin", "connections", "rooms": [room names joined]}]}

Stopping and deleting a room are the ordinary ``stop_game`` and ``delete_room`` socket events,
which admins may send for every room. Figures about a room's simulation are read on the engine
thread (``Engine.call``), the only thread that touches simulations.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any

from flask import Blueprint, current_app, jsonify
from flask_login import current_user  # type: ignore[import-untyped]

from server.engine.engine import Engine
from server.services import Services, services

bp = Blueprint("admin", __name__)
SIZE_CACHE_SECONDS = 10.0
"""A room's state size is measured again at most this often (a JSON encode of its snapshot)."""
RATE_WINDOW = 0.5
"""The tick rate is measured over at least this many seconds."""


@dataclass
class _Sample:
    at: float
    tick: int


@dataclass
class AdminFigures:
    """Per-server memory of the admin API: the last tick seen per room, state sizes."""

    samples: dict[str, _Sample] = field(default_factory=dict)
    rates: dict[str, float] = field(default_factory=dict)
    sizes: dict[str, tuple[float, int]] = field(default_factory=dict)


def _figures() -> AdminFigures:
    figures = current_app.extensions.get("simrooms-admin")
    if figures is None:
        figures = current_app.extensions["simrooms-admin"] = AdminFigures()
    return figures  # type: ignore[no-any-return,unused-ignore]


def engine_view(
    engine: Engine, keys: list[str], sizes: dict[str, tuple[float, int]]
) -> dict[str, dict[str, Any]]:
    """On the engine thread: schedule lag and state size of rooms `keys`."""
    now = time.monotonic()
    out: dict[str, dict[str, Any]] = {}
    for key in keys:
        room = engine.rooms.get(key)
        if room is None:
            continue
        lag = 0.0
        if room.running and not room.turbo:
            lag = max(0.0, now - room.next_due)
        cached = sizes.get(key)
        if cached is None or now - cached[0] > SIZE_CACHE_SECONDS:
            snapshot = (
                room.last_sent.snapshot(room.name) if room.last_sent is not None else engine.snapshot(room)
            )
            size = len(json.dumps(snapshot, separators=(",", ":")))
            sizes[key] = (now, size)
        else:
            size = cached[1]
        out[key] = {
            "tick": room.tick,
            "worlds": room.worlds,
            "lag_ms": round(lag * 1000.0, 1),
            "state_bytes": size,
            "error": room.error,
        }
    return out


def admin_data(svc: Services, figures: AdminFigures) -> dict[str, Any]:
    manager = svc.rooms
    rooms = sorted(list(manager.rooms.values()), key=lambda r: r.key)
    keys = [room.key for room in rooms]
    view = svc.engine.call(engine_view, svc.engine, keys, figures.sizes) if keys else {}
    now = time.monotonic()
    names = {}
    for conn in list(manager.connections.values()):
        names[conn.user.id] = conn.user.name
    listed: list[dict[str, Any]] = []
    for room in rooms:
        info = room.info()
        seen = view.get(room.key, {})
        tick = int(seen.get("tick", info["tick"]))
        sample = figures.samples.get(room.key)
        rate = figures.rates.get(room.key)  # the last one measured, when asked again too soon
        if sample is not None and now - sample.at >= RATE_WINDOW:
            rate = figures.rates[room.key] = round((tick - sample.tick) / (now - sample.at), 2)
        if sample is None or now - sample.at >= RATE_WINDOW:
            figures.samples[room.key] = _Sample(now, tick)
        speed = info["speed"]
        info.update(
            members=sorted({user.name for user in list(room.members.values())}, key=str.lower),
            controllers=sorted(
                (names.get(uid) or _user_name(svc, uid) for uid in room.controllers), key=str.lower
            ),
            tick_rate=rate,
            target_rate=None if speed == "max" else round(float(speed) * 10.0, 2),
            worlds=seen.get("worlds", 1),
            lag_ms=seen.get("lag_ms", 0.0),
            state_bytes=seen.get("state_bytes"),
            error=seen.get("error"),
        )
        listed.append(info)
    for key in list(figures.samples):
        if key not in manager.rooms:
            figures.samples.pop(key, None)
            figures.rates.pop(key, None)
            figures.sizes.pop(key, None)
    users: dict[int, dict[str, Any]] = {}
    for conn in list(manager.connections.values()):
        entry = users.setdefault(
            conn.user.id,
            {"name": conn.user.name, "admin": conn.user.is_admin, "connections": 0, "rooms": set()},
        )
        entry["connections"] += 1
        entry["rooms"] |= {manager.rooms[key].name for key in list(conn.rooms) if key in manager.rooms}
    user_list = [dict(u, rooms=sorted(u["rooms"], key=str.lower)) for u in users.values()]
    user_list.sort(key=lambda u: u["name"].lower())
    return {
        "ts": int(time.time() * 1000),
        "server": {
            "connections": len(manager.connections),
            "users": len(user_list),
            "rooms": len(listed),
            "running": sum(1 for r in listed if r["running"]),
        },
        "rooms": listed,
        "users": user_list,
    }


def _user_name(svc: Services, user_id: int) -> str:
    user = svc.storage.user_by_id(user_id)
    return user.name if user is not None else f"#{user_id}"


@bp.get("/api/admin/rooms")
def rooms() -> Any:
    if not current_user.is_authenticated:
        return jsonify({"error": "Sign in or send Authorization: Bearer TOKEN."}), 401
    if not current_user.user.is_admin:
        return jsonify({"error": "Only admins may see this."}), 403
    svc = services()
    response = jsonify(admin_data(svc, _figures()))
    response.headers["Cache-Control"] = "no-store"
    return response
