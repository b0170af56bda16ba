"""One room at speed "max" (turbo) through a real `simrooms serve`, learning on, with a member
watching, beside a speed-1.0 room: agent-steps per second of the turbo room, its updates per
second (at most 20), and the speed-1.0 room's tick rate (turbo shares the engine fairly).

    .venv/bin/python bench/turbo.py [--agents 4] [--seconds 20]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import threading
import time
from pathlib import Path

import requests
import socketio

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.load import PASSWORD, add_user, room_ticks  # noqa: E402
from tests.server.helpers import Server  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--agents", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--warmup", type=float, default=5.0)
    args = parser.parse_args()
    data_dir = Path(tempfile.mkdtemp(prefix="simrooms-turbo-"))
    add_user(data_dir)
    server = Server(data_dir, {"SIMROOMS_ENGINE_WARMUP": "1"})
    client = socketio.Client(reconnection=False)
    updates: list[float] = []
    lock = threading.Lock()

    def on_update(data: dict[str, object]) -> None:
        if data.get("room") == "turbo":
            with lock:
                updates.append(time.monotonic())

    client.on("state_update", on_update, namespace="/sim")
    try:
        token = requests.post(server.url + "/api/token", json={"username": "bench", "password": PASSWORD}, timeout=60).json()["token"]
        client.connect(server.url, namespaces=["/sim"], auth={"token": token}, transports=["websocket"], wait_timeout=30)
        for name, speed in (("turbo", "max"), ("steady", 1.0)):
            ack = client.call("create_room", {"name": name, "agents": args.agents, "speed": speed, "seed": 1}, namespace="/sim")
            assert ack["ok"], ack
        assert client.call("join_room", {"room": "turbo"}, namespace="/sim")["ok"]
        for name in ("turbo", "steady"):
            assert client.call("start_game", {"room": name}, namespace="/sim")["ok"]
        time.sleep(args.warmup)
        before, started = room_ticks(server.url, token), time.monotonic()
        time.sleep(args.seconds)
        after, elapsed = room_ticks(server.url, token), time.monotonic() - started
        with lock:
            sent = sum(started <= t <= started + elapsed for t in updates)
    finally:
        client.disconnect()
        server.stop()
    turbo = (after["turbo"] - before["turbo"]) / elapsed
    print(f"turbo room, {args.agents} learning agents: {turbo:,.0f} ticks/s = {turbo * args.agents:,.0f} agent-steps/s")
    print(f"its updates: {sent / elapsed:.1f} a second; speed-1.0 room beside it: {(after['steady'] - before['steady']) / elapsed:.2f} ticks/s")


if __name__ == "__main__":
    main()
