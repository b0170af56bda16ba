"""`simrooms serve` as a process: it stops cleanly on SIGTERM, and serves in threading mode too."""

from __future__ import annotations

import signal
from pathlib import Path

import pytest

from tests.support.server import (
    Client,
    Server,
    wait_synced,
)

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
