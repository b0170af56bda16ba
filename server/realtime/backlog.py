"""A bound on what waits to be sent to each connection.

Engine.IO keeps one queue of packets per connection and never drops any: a client that stops
reading (or reads slower than it is sent) makes the server hold every update, ack and event for
it, without end. ``install`` bounds each connection's queue in messages and bytes; a connection
over either bound is closed at once (it would be hopelessly behind anyway) and counted, and its
rooms go on for everyone else. It wraps ``engineio.socket.Socket.send``, the one way every packet
to a connection goes (python-engineio is pinned; tests/server/realtime/test_transport_internals.py
checks the method).
"""

from __future__ import annotations

import contextlib
import functools
import logging
import socket
from typing import Any

import engineio.socket

from server.realtime.fastsend import WS_ATTRIBUTE
from server.realtime.guard import end_socket

log = logging.getLogger(__name__)
ATTRIBUTE = "simrooms_backlog"
"""Where an Engine.IO server keeps its Backlog (each app of a process has its own)."""
COUNT_BYTES_FROM = 32
"""Queued packets from which their bytes are counted too (fewer cannot reach the byte bound)."""


class Backlog:
    """The bounds of one server, and how many connections went over them."""

    def __init__(self, max_messages: int, max_bytes: int) -> None:
        self.max_messages = max_messages
        self.max_bytes = max_bytes
        self.dropped = 0

    def over(self, queued: Any) -> str | None:
        """Why a connection with `queued` packets waiting is over a bound, or None."""
        count = queued.qsize()
        if count >= self.max_messages:
            return f"{count} messages waiting"
        if count >= COUNT_BYTES_FROM:
            size = sum(
                len(pkt.data) for pkt in list(queued.queue) if pkt is not None and pkt.data is not None
            )
            if size >= self.max_bytes:
                return f"{size} bytes waiting"
        return None


def install(eio: Any, backlog: Backlog) -> None:
    """Bound every connection of Engine.IO server `eio` by `backlog`."""
    setattr(eio, ATTRIBUTE, backlog)
    if getattr(engineio.socket.Socket.send, ATTRIBUTE, False):
        return
    send = engineio.socket.Socket.send

    @functools.wraps(send)
    def bounded_send(self: engineio.socket.Socket, pkt: Any) -> None:
        backlog: Backlog | None = getattr(self.server, ATTRIBUTE, None)
        why = backlog.over(self.queue) if backlog is not None and not self.closed else None
        if why is None:
            send(self, pkt)
            return
        assert backlog is not None
        backlog.dropped += 1
        log.warning("Closed connection %s: it does not read what it is sent (%s).", self.sid, why)
        end_socket(self, abort=True)
        # Its writer may be stuck sending to it and its reader still reading what it sends: end
        # the TCP connection too, or both (and the fd) stay until the client hangs up.
        ws = getattr(self, WS_ATTRIBUTE, None)
        if ws is not None:
            with contextlib.suppress(OSError):
                ws.socket.shutdown(socket.SHUT_RDWR)

    setattr(bounded_send, ATTRIBUTE, True)
    engineio.socket.Socket.send = bounded_send
