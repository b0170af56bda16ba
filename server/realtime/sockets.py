"""Socket.IO handlers of namespace /sim: authenticate, validate, call the room manager, ack.

Handlers are thin. Every client event is rate limited per connection, validated by its pydantic
model (simrooms.protocol) and answered ``{"ok": true, ...}`` or ``{"ok": false, "error": {...}}``;
no exception escapes to the client as a dropped connection.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from flask import request
from flask_login import current_user  # type: ignore[import-untyped]
from flask_socketio import ConnectionRefusedError, SocketIO

from server.realtime.validation import ProtocolError, error_ack, parse
from simrooms import protocol as p
from simrooms.events import CLIENT_EVENTS
from simrooms.protocol import NAMESPACE
from simrooms.protocol_manage import RenameRoom, RestartTraining
from simrooms.protocol_sharing import RequestControl
from simrooms.protocol_sweeps import CreateSweep, DeleteSweep

if TYPE_CHECKING:
    from server.realtime.rooms import Connection
    from server.services import Services

log = logging.getLogger(__name__)
Handler = Callable[["Connection", Any], dict[str, Any]]


def register(socketio: SocketIO, svc: Services, more: dict[str, Handler] | None = None) -> None:
    """Answer every client event of simrooms.protocol on namespace /sim; `more` holds the
    handlers of events that other modules own (the agent inspector's)."""
    rooms = svc.rooms
    metrics = svc.metrics

    def on_connect(auth: Any = None) -> dict[str, Any] | None:
        sid = request.sid  # type: ignore[attr-defined]
        if sid in rooms.connections:  # a client's event named "connect", not a connection
            return not_an_event("connect")
        user, token_id = None, None
        if isinstance(auth, dict) and "token" in auth:
            checked = svc.auth.check_token(auth.get("token"))
            if checked is not None:
                user, token_id = checked.user, checked.token_id
        elif current_user.is_authenticated:
            user = current_user.user
        if user is None:
            metrics.events.labels("connect", "unauthorized").inc()
            raise ConnectionRefusedError(
                "unauthorized",
                {
                    "code": "unauthorized",
                    "message": "Sign in (session cookie) or connect with auth={'token': TOKEN}.",
                },
            )
        try:
            rooms.connect(sid, user, token_id)
        except ProtocolError as refused:
            metrics.events.labels("connect", refused.code).inc()
            raise ConnectionRefusedError(
                refused.code, {"code": refused.code, "message": refused.message}
            ) from None
        metrics.events.labels("connect", "ok").inc()
        return None

    def on_disconnect(reason: Any = None, *_: Any) -> dict[str, Any] | None:
        sid = request.sid  # type: ignore[attr-defined]
        if socketio.server.manager.is_connected(sid, NAMESPACE):  # a client's event, not a disconnection
            return not_an_event("disconnect")
        rooms.disconnect(sid)
        return None

    socketio.on_event("connect", on_connect, namespace=NAMESPACE)
    socketio.on_event("disconnect", on_disconnect, namespace=NAMESPACE)

    def create_room(conn: Connection, m: p.CreateRoom) -> dict[str, Any]:
        return {"room": rooms.create(conn.user, m)}

    def list_rooms(conn: Connection, m: p.ListRooms) -> dict[str, Any]:
        return {"rooms": rooms.visible_rooms(conn.user)}

    def join_room(conn: Connection, m: p.JoinRoom) -> dict[str, Any]:
        role, state, events = rooms.join(conn, m.room)
        return {"role": role, "state": state, "events": events}

    def leave_room(conn: Connection, m: p.LeaveRoom) -> dict[str, Any]:
        rooms.leave(conn, m.room)
        return {}

    def get_state(conn: Connection, m: p.GetState) -> dict[str, Any]:
        return {"state": rooms.get_state(conn.user, m.room, m.tick)}

    def start_game(conn: Connection, m: p.StartGame) -> dict[str, Any]:
        return {"tick": rooms.start(conn.user, m.room)}

    def stop_game(conn: Connection, m: p.StopGame) -> dict[str, Any]:
        return {"tick": rooms.stop(conn.user, m.room)}

    def step_game(conn: Connection, m: p.StepGame) -> dict[str, Any]:
        return {"tick": rooms.step(conn.user, m.room)}

    def reset_game(conn: Connection, m: p.ResetGame) -> dict[str, Any]:
        return {"tick": rooms.reset(conn.user, m.room)}

    def set_speed(conn: Connection, m: p.SetSpeed) -> dict[str, Any]:
        return {"speed": rooms.set_speed(conn.user, m.room, m.speed)}

    def grant_control(conn: Connection, m: p.GrantControl) -> dict[str, Any]:
        rooms.grant(conn.user, m.room, m.user, m.allow)
        return {}

    def delete_room(conn: Connection, m: p.DeleteRoom) -> dict[str, Any]:
        rooms.delete(conn.user, m.room)
        return {}

    # Managing a room as a whole (server.realtime.manage).
    def restart_training(conn: Connection, m: RestartTraining) -> dict[str, Any]:
        return {"tick": svc.manage.restart_training(conn.user, m.room)}

    def rename_room(conn: Connection, m: RenameRoom) -> dict[str, Any]:
        return {"room": svc.manage.rename(conn.user, m.room, m.name)}

    # sharing (simrooms.protocol_sharing)
    def request_control(conn: Connection, m: RequestControl) -> dict[str, Any]:
        svc.control_requests.request(conn.user, m.room)
        return {}

    def create_sweep(conn: Connection, m: CreateSweep) -> dict[str, Any]:
        return svc.sweeps.create(conn.user, m)

    def delete_sweep(conn: Connection, m: DeleteSweep) -> dict[str, Any]:
        svc.sweeps.delete(conn.user, m.name)
        return {}

    handlers: dict[str, Handler] = {
        "create_room": create_room,
        "list_rooms": list_rooms,
        "join_room": join_room,
        "leave_room": leave_room,
        "get_state": get_state,
        "start_game": start_game,
        "stop_game": stop_game,
        "step_game": step_game,
        "reset_game": reset_game,
        "set_speed": set_speed,
        "grant_control": grant_control,
        "delete_room": delete_room,
        "restart_training": restart_training,
        "rename_room": rename_room,
        "request_control": request_control,  # sharing
        "create_sweep": create_sweep,
        "delete_sweep": delete_sweep,
        **(more or {}),
    }
    missing = set(CLIENT_EVENTS) ^ set(handlers)
    if missing:
        raise RuntimeError(f"Client events without handler or model: {sorted(missing)}")

    for name, handler in handlers.items():
        socketio.on_event(name, _wrap(svc, name, handler), namespace=NAMESPACE)


def not_an_event(name: str) -> dict[str, Any]:
    """The ack of a client event named like a Socket.IO lifecycle event (its handler is that of
    the lifecycle event, which must not run twice)."""
    return error_ack("invalid_payload", f"{name!r} is not a client event of /sim; see docs/protocol.md.")


def _wrap(svc: Services, event: str, handler: Handler) -> Callable[..., dict[str, Any]]:
    rooms = svc.rooms
    counter = svc.metrics.events

    def on_event(*args: Any) -> dict[str, Any]:
        conn = rooms.connections.get(request.sid)  # type: ignore[attr-defined]
        if conn is None:
            ack = error_ack("unauthorized", "This connection is not signed in; connect again.")
        elif not conn.bucket.take():
            ack = error_ack(
                "rate_limited",
                f"Too many events: at most {svc.settings.rate_limit_per_second:g} a second "
                f"({svc.settings.rate_limit_burst} at once). Slow down and retry.",
            )
        else:
            try:
                ack = {"ok": True, **handler(conn, parse(event, args))}
            except ProtocolError as error:
                ack = error.ack()
            except TimeoutError:
                log.warning("%s timed out waiting for the engine", event)
                ack = error_ack("internal", f"{event} took too long: the engine is busy. Try again.")
            except Exception:
                log.exception("%s failed", event)
                ack = error_ack("internal", f"{event} failed on the server; the error is logged.")
        counter.labels(event, "ok" if ack["ok"] else ack["error"]["code"]).inc()
        return ack

    on_event.__name__ = f"on_{event}"
    return on_event
