"""`simrooms serve` as a process: it stops cleanly on SIGTERM, and serves in threading mode too."""

from __future__ import annotations

import signal
import socket
import time
from pathlib import Path

import pytest
import requests

from tests.support.server import Client, Server, simrooms, wait_synced

pytestmark = pytest.mark.integration


def test_sigterm_stops_cleanly(tmp_path: Path) -> None:
    srv = Server(tmp_path / "s")
    client = Client(srv.url, token=srv.token("alice"))
    client.ok("create_room", {"name": "r", "policy": "random"})
    client.ok("start_game", {"room": "r"})
    assert srv.stop(signal.SIGTERM) == 0
    assert srv.stop() == 0
    client.close()
    assert (tmp_path / "s" / "secret_key").exists()


def test_threading_mode_serves_too(tmp_path: Path) -> None:
    srv = Server(tmp_path / "threading", mode="threading")
    try:
        owner = Client(srv.url, token=srv.token("alice"))
        watcher = Client(srv.url, token=srv.token("bob"))
        owner.ok("create_room", {"name": "t", "policy": "heuristic", "seed": 2, "speed": 5.0})
        watcher.ok("join_room", {"room": "t"})
        owner.ok("start_game", {"room": "t"})
        watcher.wait_for(lambda: len(watcher.received("state_update", "t")) >= 5)
        owner.ok("stop_game", {"room": "t"})
        wait_synced(watcher, "t", owner.ok("get_state", {"room": "t"})["state"])
        owner.close()
        watcher.close()
    finally:
        assert srv.stop() == 0


def test_idle_connections_are_closed_so_they_cannot_hold_every_slot(tmp_path: Path) -> None:
    """Keep-alive sockets that send nothing more are closed after keepalive_seconds: with more of
    them than the server takes connections, a new client still gets in."""
    srv = Server(tmp_path / "s", {"SIMROOMS_KEEPALIVE_SECONDS": "1", "SIMROOMS_MAX_CONNECTIONS": "5"})
    idle = [socket.create_connection(("127.0.0.1", srv.port), timeout=10) for _ in range(8)]
    try:
        started = time.monotonic()
        for sock in idle:
            assert sock.recv(1) == b"", "the server closed the idle connection"
        assert time.monotonic() - started < 8
        assert requests.get(srv.url + "/healthz", timeout=10).status_code == 200
    finally:
        for sock in idle:
            sock.close()
        srv.stop()


def test_a_bad_setting_is_one_line_naming_the_flag(tmp_path: Path) -> None:
    done = simrooms("serve", "--max-rooms", "-3", "--data-dir", str(tmp_path))
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        "simrooms serve: error: --max-rooms has '-3': input should be greater than or equal to 0."
    ]
