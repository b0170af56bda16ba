"""Connections that send what the Socket.IO protocol cannot decode are closed, with one log line.

python-socketio raises from its Engine.IO message handler on a packet it cannot decode (broken
JSON, an unknown packet type), and Engine.IO logs each with a full traceback and keeps the
connection: anyone could fill the log. A binary packet announces attachments that must follow as
binary messages; python-socketio takes whatever comes next as one, so a client that announces
some and then sends text never gets another ack. The guard wraps python-socketio's handler: it
closes such a connection at once and logs one line saying why (so at most one per connection).
It uses python-socketio internals, pinned in pyproject.toml and checked by
tests/server/realtime/test_transport_internals.py.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

log = logging.getLogger(__name__)
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

    def on_message(self, eio_sid: str, data: Any) -> None:
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
        log.warning("Closed connection %s: it sent a packet the protocol cannot decode (%.200s).", eio_sid, why)
        self._server._binary_packet.pop(eio_sid, None)
        self._server.eio.disconnect(eio_sid)
