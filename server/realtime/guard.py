"""Connections that send what the Socket.IO protocol cannot decode, or too much, are closed at once.

python-socketio raises from its Engine.IO message handler on a packet it cannot decode (broken
JSON, an unknown packet type), and Engine.IO logs each with a full traceback and keeps the
connection: anyone could fill the log. A binary packet announces attachments that must follow as
binary messages; python-socketio takes whatever comes next as one, so a client that announces
some and then sends text never gets another ack. The guard wraps python-socketio's handler: it
closes such a connection at once and logs one line saying why (so at most one per connection).
It also checks that an event is named by a string before python-socketio looks the name up in its
own green thread, where a list or an object failed with a traceback and no ack.
``close_on_undecodable_messages`` does the same for a websocket message Engine.IO itself cannot
decode, which ended its handler without closing the session.

A long-polling POST over the size limit made Engine.IO close its session and wait for the
client's next GET to flush the close: a client that never sends one held the request's green
thread forever. ``BodyLimit`` answers such a POST at once, before Engine.IO reads it, and closes
the session without waiting; ``close_session`` never waits either. ``SessionRate`` bounds the
Engine.IO sessions a client address opens per second.

These use python-socketio and python-engineio internals, pinned in pyproject.toml and checked by
tests/server/realtime/test_transport_internals.py.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qs

import engineio.packet
import engineio.socket

from server.ratelimit import KeyedLimiter

log = logging.getLogger(__name__)
MARKED = "simrooms_guarded"
"""Set on Engine.IO methods this module wrapped (each is wrapped once per process)."""
MAX_ATTACHMENTS = 1
"""Binary attachments a client packet may announce: the protocol takes one JSON object per event,
so one binary payload (which it refuses with invalid_payload) is the most a client has cause to
send."""


class PacketGuard:
    """Wraps a python-socketio Server's Engine.IO message handler (see the module's docstring)."""

    def __init__(self, server: Any) -> None:
        self._server = server
        self._handle: Callable[[str, Any], None] = server._handle_eio_message
        self.closed = 0
        """Connections closed for what they sent."""
        server.eio.on("message", self.on_message)
        # python-socketio looks an event's name up in a dict later, in the event's own green
        # thread: a name that is not a string must fail here, where the connection can be closed.
        handle_event = server._handle_event

        def checked_event(eio_sid: str, namespace: str | None, ack_id: int | None, data: Any) -> None:
            if not (isinstance(data, list) and data and isinstance(data[0], str)):
                raise ValueError("an event packet must hold a list that starts with the event's name")
            handle_event(eio_sid, namespace, ack_id, data)

        server._handle_event = checked_event

    def on_message(self, eio_sid: str, data: Any) -> None:
        if eio_sid not in self._server.eio.sockets:
            return  # closed: what it had sent before the close was read is dropped unread
        waiting = self._server._binary_packet.get(eio_sid)
        if waiting is not None and not isinstance(data, bytes):
            self._close(eio_sid, "a text message came where a binary attachment was announced")
            return
        try:
            self._handle(eio_sid, data)
        except Exception as error:
            self._close(eio_sid, f"{type(error).__name__}: {error}")
            return
        announced = self._server._binary_packet.get(eio_sid)
        if announced is not None and announced.attachment_count > MAX_ATTACHMENTS:
            self._close(eio_sid, f"a packet announced {announced.attachment_count} binary attachments")

    def _close(self, eio_sid: str, why: str) -> None:
        self.closed += 1
        log.warning(
            "Closed connection %s: it sent a packet the protocol cannot decode (%.200s).", eio_sid, why
        )
        self._server._binary_packet.pop(eio_sid, None)
        close_session(self._server.eio, eio_sid)


def close_session(eio: Any, eio_sid: str) -> None:
    """End Engine.IO session `eio_sid` now (see end_socket)."""
    socket = eio.sockets.get(eio_sid)
    if socket is not None:
        end_socket(socket)


def end_socket(socket: Any, abort: bool = False) -> None:
    """End Engine.IO socket `socket` now and forget it. Engine.IO's own disconnect waits until the
    close packet is sent, which for a long-polling client is when it next asks: maybe never.
    `abort` sends no close packet (to a client that does not read)."""
    socket.server.sockets.pop(socket.sid, None)
    socket.close(wait=False, abort=abort)


class BodyLimit:
    """WSGI middleware: a POST to the Socket.IO path whose body is over `limit` bytes is answered
    413 at once, unread, and its session closed."""

    def __init__(
        self, app: Callable[..., Iterable[bytes]], eio: Any, limit: int, path: str = "/socket.io"
    ) -> None:
        self.app, self.eio, self.limit, self.path = app, eio, limit, path
        self.refused = 0
        """Requests refused for their size."""

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ.get("REQUEST_METHOD") == "POST" and str(environ.get("PATH_INFO", "")).startswith(
            self.path
        ):
            length = str(environ.get("CONTENT_LENGTH") or "0")
            if not length.isdigit() or int(length) > self.limit:
                self.refused += 1
                sid = parse_qs(str(environ.get("QUERY_STRING", ""))).get("sid", [""])[0]
                if sid:
                    close_session(self.eio, sid)
                message = f"A message may be at most {self.limit} bytes; this one was {length}. The session is closed."
                start_response(
                    "413 Payload Too Large",
                    [("Content-Type", "text/plain; charset=utf-8"), ("Connection", "close")],
                )
                return [message.encode()]
        return self.app(environ, start_response)


class SessionRate:
    """Engine.IO sessions a client address may open per second: excess handshakes are refused
    (401) before a session exists. Each session, even one whose Socket.IO connect is refused and
    which closes at once, keeps a ping task and its objects for a ping interval (25 s): churning
    clients otherwise fill the heap, and every full collection walks it."""

    def __init__(self, server: Any, per_second: float, burst: int) -> None:
        self._handle: Callable[[str, dict[str, Any]], None] = server._handle_eio_connect
        self._limiter = KeyedLimiter(per_second, burst)
        self.refused = 0
        """Handshakes refused."""
        server.eio.on("connect", self.on_connect)

    def on_connect(self, eio_sid: str, environ: dict[str, Any]) -> bool:
        if not self._limiter.take(str(environ.get("REMOTE_ADDR") or "unknown")):
            self.refused += 1
            return False
        self._handle(eio_sid, environ)
        return True


def close_on_undecodable_messages() -> None:
    """Close a websocket connection whose message Engine.IO cannot decode (an empty text, or one
    that does not start with a packet type): python-engineio decodes outside its own error
    handling, so its handler ended without closing the session, which stayed, with its rooms and
    its queue, until the ping timeout.

    Each message is decoded as it is read, and an undecodable one ends the handler's read loop as
    a closed connection does, so that the handler ends in its own order: its writer closes the
    websocket, then eventlet's server the TCP socket. Raised out of the handler instead, the
    error let eventlet close the socket first, and the writer's close then printed "socket
    shutdown error: [Errno 9] Bad file descriptor" on stderr for each such connection."""
    handler = engineio.socket.Socket._websocket_handler
    if getattr(handler, MARKED, False):
        return

    @functools.wraps(handler)
    def guarded(self: engineio.socket.Socket, ws: Any) -> Any:
        wait = ws.wait

        def checked_wait() -> Any:
            data = wait()
            if data is None:
                return None
            try:
                engineio.packet.Packet(encoded_packet=data)
            except Exception as error:
                undecodable(self, error)
                return None  # as if the client had closed
            return data

        ws.wait = checked_wait
        try:
            return handler(self, ws)
        except Exception as error:
            undecodable(self, error)
            return []
        finally:
            del ws.wait  # it holds `ws`: a cycle for the collector to find, were it left

    setattr(guarded, MARKED, True)
    engineio.socket.Socket._websocket_handler = guarded


def undecodable(socket: engineio.socket.Socket, error: Exception) -> None:
    """Say why Engine.IO socket `socket` is closed (unless the guard had closed it already, and
    said so) and end it."""
    if not socket.closed:
        log.warning(
            "Closed connection %s: it sent a message Engine.IO cannot decode (%.200s).", socket.sid, error
        )
    end_socket(socket, abort=True)
