"""Many Socket.IO observers in one thread: raw websockets multiplexed with selectors, speaking
just enough Engine.IO 4 / Socket.IO 5 to connect to /sim with a token, join a room and time each
``state_update`` from its server ``ts`` to its receipt.

The load generator runs a few of these in worker processes, on the machine it shares with the
server, so they must cost as little CPU as possible: websocket-client only opens each connection
and sends the few client frames; incoming frames (the server never masks them) are cut out of
each socket's bytes here, every frame that one read brought in at once (websocket-client's own
reader cost ~35 us a message, the CPU of a core and a half at 2,000 observers).
"""

from __future__ import annotations

import contextlib
import json
import re
import selectors
import time
from dataclasses import dataclass, field
from typing import Any

import websocket

_TS = re.compile(rb'"ts":(\d+)')
_EVENT_PREFIX = b'42/sim,["'
_UPDATE_PREFIX = b'42/sim,["state_update"'
_TEXT, _CONTINUATION, _CLOSE = 0x1, 0x0, 0x8


@dataclass
class Observer:
    ws: websocket.WebSocket
    room: str
    stage: str = "open"
    joined_at: float = 0.0
    pending: bytearray = field(default_factory=bytearray)
    """Bytes read and not yet cut into frames."""
    fragments: bytearray = field(default_factory=bytearray)
    """A fragmented message's payload so far."""


def frames(observer: Observer) -> list[tuple[int, bytes]]:
    """Cut the complete frames out of `observer.pending`: (opcode, payload) of whole messages."""
    buf, messages, pos = observer.pending, [], 0
    while len(buf) - pos >= 2:
        head, size = buf[pos], buf[pos + 1] & 0x7F
        start = pos + 2
        if size == 126:
            if len(buf) - pos < 4:
                break
            size, start = int.from_bytes(buf[pos + 2 : pos + 4], "big"), pos + 4
        elif size == 127:
            if len(buf) - pos < 10:
                break
            size, start = int.from_bytes(buf[pos + 2 : pos + 10], "big"), pos + 10
        if len(buf) < start + size:
            break
        payload, pos = bytes(buf[start : start + size]), start + size
        opcode, final = head & 0x0F, head & 0x80
        if opcode == _CONTINUATION or not final:
            observer.fragments += payload
            if not final:
                continue
            payload, observer.fragments = bytes(observer.fragments), bytearray()
            opcode = _TEXT if opcode == _CONTINUATION else opcode
        messages.append((opcode, payload))
    del buf[:pos]
    return messages


@dataclass
class Figures:
    latencies_ms: list[float] = field(default_factory=list)
    sent_ms: list[int] = field(default_factory=list)
    """The server's ``ts`` of each update in `latencies_ms`."""
    sizes: list[int] = field(default_factory=list)
    updates: int = 0
    other_events: int = 0
    errors: list[str] = field(default_factory=list)
    joined: int = 0


def run_observers(
    url: str, token: str, rooms: list[str], start: float, end: float, deadline: float
) -> dict[str, Any]:
    """Connect one observer per entry of `rooms`, join, and record updates received between the
    epoch times `start` and `end`; return the figures at `deadline` at the latest."""
    host = url.replace("http://", "ws://").rstrip("/")
    selector = selectors.DefaultSelector()
    figures = Figures()
    observers: list[Observer] = []
    for room in rooms:
        try:
            ws = websocket.create_connection(
                f"{host}/socket.io/?EIO=4&transport=websocket",
                timeout=30,
                enable_multithread=False,
                sockopt=((6, 1, 1),),  # TCP_NODELAY
            )
        except Exception as error:  # a refused connection is a figure too
            figures.errors.append(f"connect: {error!r}")
            continue
        observer = Observer(ws, room)
        observers.append(observer)
        assert ws.sock is not None
        ws.sock.setblocking(False)
        selector.register(ws.sock, selectors.EVENT_READ, observer)
    while time.time() < min(end, deadline) + 0.5:
        for key, _ in selector.select(timeout=0.2):
            observer = key.data
            try:
                chunk = key.fileobj.recv(1 << 16)  # type: ignore[union-attr]
            except BlockingIOError:
                continue
            except OSError as error:
                chunk, failure = b"", f"recv: {error!r}"
            else:
                failure = "recv: the server closed the connection"
            if not chunk:
                figures.errors.append(failure)
                selector.unregister(key.fileobj)
                continue
            now = time.time()
            observer.pending += chunk
            for opcode, payload in frames(observer):
                if opcode == _TEXT:
                    _handle(observer, payload, now, token, figures, start, end)
                elif opcode == _CLOSE:
                    figures.errors.append(f"closed by the server: {payload[:2].hex()}")
    for observer in observers:
        with contextlib.suppress(Exception):
            observer.ws.close(timeout=1)
    return {
        "latencies_ms": figures.latencies_ms,
        "sent_ms": figures.sent_ms,
        "sizes": figures.sizes,
        "updates": figures.updates,
        "errors": figures.errors[:20],
        "error_count": len(figures.errors),
        "joined": figures.joined,
        "observers": len(rooms),
    }


def _handle(
    observer: Observer, data: bytes, now: float, token: str, figures: Figures, start: float, end: float
) -> None:
    """One Engine.IO message that arrived (in a read made) at epoch time `now`."""
    ws = observer.ws
    if data.startswith(_EVENT_PREFIX):
        if data.startswith(_UPDATE_PREFIX):
            if start <= now <= end:
                match = _TS.search(data)
                if match:
                    sent = int(match.group(1))
                    figures.latencies_ms.append(now * 1000.0 - sent)
                    figures.sent_ms.append(sent)
                figures.sizes.append(len(data) - 1)  # the Socket.IO packet, without Engine.IO's "4"
                figures.updates += 1
        else:
            figures.other_events += 1
        return
    text = data.decode()
    if text == "2":  # Engine.IO ping
        ws.send("3")
    elif text.startswith("0"):  # Engine.IO open
        ws.send("40/sim," + json.dumps({"token": token}))
    elif text.startswith("40/sim,"):
        ws.send('42/sim,1["join_room",' + json.dumps({"room": observer.room}) + "]")
    elif text.startswith("43/sim,1"):
        ack = json.loads(text[len("43/sim,1") :])[0]
        if ack.get("ok"):
            figures.joined += 1
            observer.stage = "joined"
        else:
            figures.errors.append(f"join: {ack}")
    elif text.startswith("44/sim,"):
        figures.errors.append(f"connect refused: {text}")
