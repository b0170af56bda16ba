"""Many Socket.IO observers in one thread: raw websockets (websocket-client) multiplexed with
selectors, speaking just enough Engine.IO 4 / Socket.IO 5 to connect to /sim with a token, join a
room and time each ``state_update`` from its server ``ts`` to its receipt.

The load generator runs a few of these in worker processes so that the clients cost as little CPU
as possible on the machine they share with the server.
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

_TS = re.compile(r'"ts":(\d+)')
_EVENT_PREFIX = '42/sim,["'


@dataclass
class Observer:
    ws: websocket.WebSocket
    room: str
    stage: str = "open"
    joined_at: float = 0.0


@dataclass
class Figures:
    latencies_ms: list[float] = field(default_factory=list)
    sizes: list[int] = field(default_factory=list)
    updates: int = 0
    other_events: int = 0
    errors: list[str] = field(default_factory=list)
    joined: int = 0


def run_observers(url: str, token: str, rooms: list[str], start: float, end: float, deadline: float) -> dict[str, Any]:
    """Connect one observer per entry of `rooms`, join, and record updates received between the
    epoch times `start` and `end`; return the figures at `deadline` at the latest."""
    host = url.replace("http://", "ws://").rstrip("/")
    selector = selectors.DefaultSelector()
    figures = Figures()
    observers: list[Observer] = []
    for room in rooms:
        try:
            ws = websocket.create_connection(
                f"{host}/socket.io/?EIO=4&transport=websocket", timeout=30, enable_multithread=False,
                sockopt=((6, 1, 1),),  # TCP_NODELAY
            )
        except Exception as error:  # a refused connection is a figure too
            figures.errors.append(f"connect: {error!r}")
            continue
        observer = Observer(ws, room)
        observers.append(observer)
        ws.sock.setblocking(True)
        selector.register(ws.sock, selectors.EVENT_READ, observer)
    while time.time() < min(end, deadline) + 0.5:
        for key, _ in selector.select(timeout=0.2):
            observer = key.data
            try:
                opcode, data = observer.ws.recv_data()
            except Exception as error:
                figures.errors.append(f"recv: {error!r}")
                selector.unregister(key.fileobj)
                continue
            if opcode != websocket.ABNF.OPCODE_TEXT:
                continue
            text = data.decode()
            _handle(observer, text, token, figures, start, end)
    for observer in observers:
        with contextlib.suppress(Exception):
            observer.ws.close(timeout=1)
    return {
        "latencies_ms": figures.latencies_ms,
        "sizes": figures.sizes,
        "updates": figures.updates,
        "errors": figures.errors[:20],
        "error_count": len(figures.errors),
        "joined": figures.joined,
        "observers": len(rooms),
    }


def _handle(observer: Observer, text: str, token: str, figures: Figures, start: float, end: float) -> None:
    ws = observer.ws
    if text.startswith(_EVENT_PREFIX):
        now = time.time()
        if text.startswith('42/sim,["state_update"'):
            if start <= now <= end:
                match = _TS.search(text)
                if match:
                    figures.latencies_ms.append(now * 1000.0 - int(match.group(1)))
                figures.sizes.append(len(text) - 1)  # the Socket.IO packet, without Engine.IO's "4"
                figures.updates += 1
        else:
            figures.other_events += 1
        return
    if text == "2":  # Engine.IO ping
        ws.send("3")
    elif text.startswith("0"):  # Engine.IO open
        ws.send("40/sim," + json.dumps({"token": token}))
    elif text.startswith("40/sim,"):
        ws.send('42/sim,1["join_room",' + json.dumps({"room": observer.room}) + "]")
    elif text.startswith("43/sim,1"):
        ack = json.loads(text[len("43/sim,1"):])[0]
        if ack.get("ok"):
            figures.joined += 1
            observer.stage = "joined"
        else:
            figures.errors.append(f"join: {ack}")
    elif text.startswith("44/sim,"):
        figures.errors.append(f"connect refused: {text}")
