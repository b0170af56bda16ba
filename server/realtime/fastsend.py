"""One WebSocket frame per update, written straight to each websocket member's socket (eventlet).

python-socketio hands every delivered message to the connection's queue, where a writer green
thread wakes, encodes the Engine.IO packet and frames it: ~80-100 us a message here, so ~900
observers at 10 Hz fill a core. A server-to-client WebSocket frame is unmasked, so every member
of a room (without per-message compression) gets the very same bytes: `WebSocketFrames` builds
the frame once per room and writes it to each member's socket with one non-blocking send.

Order is kept: the frame goes out directly only when nothing waits in the connection's queue and
no other writer holds its send lock (eventlet's own, which the queue's writer takes too); if the
socket takes only part of the frame, a green thread sends the rest under that lock, so whatever
the queue sends next follows it. Anything else (polling transport, compression, a busy
connection, the threading async mode) goes through the queue as before.
"""

from __future__ import annotations

import errno
import struct
from typing import Any

import engineio.socket
from engineio import packet as eio_packet

WS_ATTRIBUTE = "_simrooms_websocket"
_installed = False


def install() -> None:
    """Let `send` find each Engine.IO socket's eventlet websocket (call once, under eventlet)."""
    global _installed
    if _installed:
        return
    from eventlet.websocket import RFC6455WebSocket

    handler = engineio.socket.Socket._websocket_handler

    def websocket_handler(self: engineio.socket.Socket, ws: Any) -> Any:
        if isinstance(ws, RFC6455WebSocket):
            setattr(self, WS_ATTRIBUTE, ws)
        try:
            return handler(self, ws)
        finally:
            setattr(self, WS_ATTRIBUTE, None)

    engineio.socket.Socket._websocket_handler = websocket_handler
    _installed = True


def frame(pkt: eio_packet.Packet) -> bytes:
    """The unmasked, uncompressed, final WebSocket frame carrying the Engine.IO packet `pkt`."""
    encoded = pkt.encode()
    if isinstance(encoded, str):
        data, opcode = encoded.encode(), 0x81
    else:
        data, opcode = encoded, 0x82
    length = len(data)
    if length <= 125:
        header = struct.pack("!BB", opcode, length)
    elif length <= 0xFFFF:
        header = struct.pack("!BBH", opcode, 126, length)
    else:
        header = struct.pack("!BBQ", opcode, 127, length)
    return header + data


def send(socket: engineio.socket.Socket, data: bytes) -> bool:
    """Write the frame `data` to `socket`'s websocket now if that keeps the connection's order;
    False when it must go through the connection's queue instead."""
    ws = getattr(socket, WS_ATTRIBUTE, None)
    if ws is None or socket.closed or socket.upgrading or not socket.queue.empty():
        return False
    if ws.extensions.get("permessage-deflate") or ws.websocket_closed:
        return False
    lock = ws._sendlock
    if not lock.acquire(blocking=False):
        return False
    try:
        sent = ws.socket.fd.send(data)
    except BlockingIOError:
        sent = 0
    except OSError as error:
        lock.release()
        # A dead peer: the connection's reader notices and closes it; nothing more to send.
        return error.errno in (errno.EPIPE, errno.ECONNRESET, errno.EBADF)
    if sent == len(data):
        lock.release()
        return True
    import eventlet

    eventlet.spawn_n(_finish, ws, lock, data[sent:])
    return True


def _finish(ws: Any, lock: Any, rest: bytes) -> None:
    try:
        ws.socket.sendall(rest)
    except OSError:
        pass  # the peer went away; its reader closes the connection
    finally:
        lock.release()
