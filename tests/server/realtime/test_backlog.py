"""A connection that does not read what it is sent is closed once too much waits for it, and its
room goes on for the others (server.realtime.backlog)."""

from __future__ import annotations

import itertools
import json
import socket
import time
from collections.abc import Iterator

import pytest
import requests
import websocket

from tests.support.server import Client, Server, make_room


@pytest.fixture(scope="module")
def bounded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    server = Server(
        tmp_path_factory.mktemp("backlog"),
        {
            "SIMROOMS_MAX_QUEUED_MESSAGES": "50",
            "SIMROOMS_RATE_LIMIT_PER_SECOND": "1000",
            "SIMROOMS_RATE_LIMIT_BURST": "1000",
        },
    )
    yield server
    server.stop()


def closed_for_backlog(server: Server) -> float:
    for line in requests.get(server.url + "/metrics", timeout=10).text.splitlines():
        if line.startswith("simrooms_connections_closed_backlog "):
            return float(line.split()[1])
    raise AssertionError("/metrics has no simrooms_connections_closed_backlog")


def test_a_client_that_never_reads_is_closed_and_the_others_keep_their_pace(bounded: Server) -> None:
    honest = Client(bounded.url, token=bounded.token("alice"))
    name = make_room(honest, "paced", speed=5.0)
    honest.ok("join_room", {"room": name})
    honest.ok("start_game", {"room": name})
    # A tiny receive buffer: what the server sends soon has nowhere to go but its queue.
    ws = websocket.create_connection(
        f"ws://127.0.0.1:{bounded.port}/socket.io/?EIO=4&transport=websocket",
        timeout=10,
        sockopt=((socket.SOL_SOCKET, socket.SO_RCVBUF, 4096),),
    )
    try:
        assert ws.recv().startswith("0")
        ws.send("40/sim," + json.dumps({"token": bounded.token("bob")}))
        assert ws.recv().startswith("40/sim,")
        deadline = time.monotonic() + 30
        while closed_for_backlog(bounded) < 1 and time.monotonic() < deadline:
            try:
                for index in range(100):  # full snapshots as acks, never read
                    ws.send(f'42/sim,{index}["get_state",{{"room":"{name}"}}]')
            except (websocket.WebSocketException, OSError):
                break  # closed by the server
            time.sleep(0.1)
        assert closed_for_backlog(bounded) >= 1, "the non-reading connection was closed"
    finally:
        ws.close()
    before = len(honest.received("state_update", name))
    time.sleep(2.0)
    updates = honest.received("state_update", name)
    assert len(updates) - before >= 20, "the room's updates go on at their pace (20 a second)"
    times = [u["ts"] for u in updates]
    assert max(b - a for a, b in itertools.pairwise(times)) < 1000
    assert "does not read what it is sent" in bounded.log()
    assert "socket shutdown error" not in bounded.log(), "closed in the order eventlet expects"
    honest.ok("stop_game", {"room": name})
    honest.close()
