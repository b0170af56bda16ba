"""`simrooms serve --message-queue redis://...`: events go through the queue and still arrive."""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.server import Client, Server, free_port, wait_synced

pytestmark = [pytest.mark.integration, pytest.mark.redis]


@pytest.fixture
def redis_url(tmp_path: Path) -> Iterator[str]:
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server is not installed")
    port = free_port()
    process = subprocess.Popen(
        [
            binary,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(tmp_path),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        import redis

        deadline = time.monotonic() + 10
        while True:
            try:
                redis.Redis(port=port).ping()
                break
            except redis.ConnectionError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        process.wait(10)


def test_rooms_work_through_a_redis_message_queue(tmp_path: Path, redis_url: str) -> None:
    srv = Server(tmp_path / "mq", {"SIMROOMS_MESSAGE_QUEUE": redis_url})
    try:
        owner = Client(srv.url, token=srv.token("alice"))
        watcher = Client(srv.url, token=srv.token("bob"))
        owner.ok("create_room", {"name": "mq", "policy": "heuristic", "seed": 9, "speed": 5.0})
        watcher.ok("join_room", {"room": "mq"})
        owner.ok("start_game", {"room": "mq"})
        watcher.wait_for(
            lambda: len(watcher.received("state_update", "mq")) >= 5, what="updates through redis"
        )
        watcher.wait_for(lambda: watcher.received("room_list"), what="room_list through redis")
        owner.ok("stop_game", {"room": "mq"})
        watcher.wait_for(lambda: watcher.received("game_stopped", "mq"))
        # Room events and control requests go through the queue too.
        watcher.wait_for(
            lambda: any(
                e["kind"] == "stopped" and e["user"] == "alice" for e in watcher.received("room_event", "mq")
            ),
            what="room_event through redis",
        )
        owner.ok("join_room", {"room": "mq"})
        watcher.ok("request_control", {"room": "mq"})
        owner.wait_for(
            lambda: owner.received("control_requested", "mq"), what="control_requested through redis"
        )
        wait_synced(watcher, "mq", owner.ok("get_state", {"room": "mq"})["state"])
        owner.close()
        watcher.close()
    finally:
        assert srv.stop() == 0
