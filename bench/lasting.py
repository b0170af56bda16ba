"""What lasting rooms cost, against a real `simrooms serve` on this machine:

1. bytes stored per 1,000 ticks of a 4-agent learning room (checkpoint files and database), at
   speed 5 and in turbo, with the default checkpoint settings;
2. seek time against the distance from the checkpoint before the tick sought (a server that
   checkpoints each room only when it is made), and seeks at random ticks with the defaults;
3. a SIGTERM with R rooms running (checkpoint all, then exit) and the restart that brings them back.

    .venv/bin/python bench/lasting.py                 # 500 rooms for the shutdown
    .venv/bin/python bench/lasting.py --rooms 100 --seconds 20
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import requests
import socketio

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.server_process import BenchServer  # noqa: E402

UNLIMITED = {
    "SIMROOMS_MAX_ROOMS": "100000",
    "SIMROOMS_MAX_ROOMS_PER_USER": "100000",
    "SIMROOMS_RATE_LIMIT_PER_SECOND": "100000",
    "SIMROOMS_RATE_LIMIT_BURST": "100000",
    "SIMROOMS_ENGINE_WARMUP": "1",
}
ONLY_AT_CREATION = {"SIMROOMS_CHECKPOINT_SECONDS": "1e9", "SIMROOMS_CHECKPOINT_REPLAY_SECONDS": "1e9"}


class Control:
    """One signed-in Socket.IO client of the bench server."""

    def __init__(self, server: BenchServer) -> None:
        self.client = socketio.Client(reconnection=False)
        self.client.connect(
            server.url,
            namespaces=["/sim"],
            auth={"token": server.token()},
            transports=["websocket"],
            wait_timeout=30,
        )

    def ok(self, event: str, payload: dict[str, Any], timeout: float = 120) -> dict[str, Any]:
        ack: dict[str, Any] = self.client.call(event, payload, namespace="/sim", timeout=timeout)
        if not ack.get("ok"):
            raise RuntimeError(f"{event} {payload} answered {ack}")
        return ack

    def tick(self, room: str) -> int:
        return int(self.ok("get_state", {"room": room})["state"]["tick"])

    def close(self) -> None:
        self.client.disconnect()


def stored_bytes(data_dir: Path) -> int:
    return sum(f.stat().st_size for f in data_dir.rglob("*") if f.is_file() and f.suffix != ".log")


def storage_per_thousand_ticks(seconds: float) -> list[dict[str, Any]]:
    rows = []
    for speed in (5.0, "max"):
        data_dir = Path(tempfile.mkdtemp(prefix="simrooms-lasting-"))
        server = BenchServer(data_dir, UNLIMITED)
        try:
            control = Control(server)
            control.ok(
                "create_room", {"name": "r", "agents": 4, "policy": "learning", "seed": 1, "speed": speed}
            )
            time.sleep(1.0)
            before, tick0 = stored_bytes(data_dir), control.tick("r")
            control.ok("start_game", {"room": "r"})
            time.sleep(seconds)
            control.ok("stop_game", {"room": "r"})
            time.sleep(1.0)  # the archive writes what the engine handed it
            ticks = control.tick("r") - tick0
            control.close()
        finally:
            server.stop()
        stored = stored_bytes(data_dir) - before
        checkpoints = len(list((data_dir / "checkpoints").rglob("*.safetensors")))
        rows.append(
            {
                "speed": speed,
                "ticks": ticks,
                "checkpoints": checkpoints,
                "bytes_per_1000_ticks": round(1000 * stored / max(ticks, 1)),
            }
        )
        print(
            f"speed {speed}: {ticks} ticks, {checkpoints} checkpoints, "
            f"{rows[-1]['bytes_per_1000_ticks'] / 1e6:.2f} MB stored per 1,000 ticks",
            flush=True,
        )
    return rows


def seek_times(seconds: float) -> dict[str, Any]:
    figures: dict[str, Any] = {}
    for env in (ONLY_AT_CREATION, {}):
        data_dir = Path(tempfile.mkdtemp(prefix="simrooms-seek-"))
        server = BenchServer(data_dir, {**UNLIMITED, **env})
        try:
            control = Control(server)
            control.ok(
                "create_room", {"name": "r", "agents": 4, "policy": "learning", "seed": 2, "speed": 5.0}
            )
            control.ok("start_game", {"room": "r"})
            time.sleep(seconds)
            control.ok("stop_game", {"room": "r"})
            last = control.tick("r")
            if env:
                # Farthest first: each seek starts over from the checkpoint at tick 0.
                distances = [d for d in (2000, 1500, 1000, 500, 250, 100, 10, 0) if d <= last]
                times = []
                for distance in distances:
                    started = time.perf_counter()
                    control.ok("get_state", {"room": "r", "tick": distance})
                    times.append(round(1000 * (time.perf_counter() - started), 1))
                figures["ms_by_distance"] = dict(zip(distances, times, strict=True))
                print(f"seek ms by ticks from the checkpoint: {figures['ms_by_distance']}", flush=True)
            else:
                picks = random.Random(0).sample(range(last + 1), 30)
                times = []
                for tick in picks:
                    started = time.perf_counter()
                    control.ok("get_state", {"room": "r", "tick": tick})
                    times.append(1000 * (time.perf_counter() - started))
                times.sort()
                figures["random_seeks"] = {
                    "ticks": last,
                    "median_ms": round(times[len(times) // 2], 1),
                    "max_ms": round(times[-1], 1),
                }
                print(f"30 seeks at random ticks of {last}: {figures['random_seeks']}", flush=True)
            control.close()
        finally:
            server.stop()
    return figures


def shutdown_and_restart(rooms: int, seconds: float) -> dict[str, Any]:
    data_dir = Path(tempfile.mkdtemp(prefix="simrooms-stop-"))
    server = BenchServer(data_dir, UNLIMITED)
    control = Control(server)
    for index in range(rooms):
        control.ok("create_room", {"name": f"s{index}", "agents": 4, "policy": "learning", "seed": index})
        control.ok("start_game", {"room": f"s{index}"})
    time.sleep(seconds)
    control.close()
    started = time.perf_counter()
    code = server.stop()
    stop_seconds = time.perf_counter() - started
    started = time.perf_counter()
    server = BenchServer(data_dir, UNLIMITED)
    restart_seconds = time.perf_counter() - started
    try:
        listed = requests.get(
            server.url + "/api/rooms", headers={"Authorization": f"Bearer {server.token()}"}, timeout=60
        ).json()["rooms"]
        running = sum(room["running"] for room in listed)
    finally:
        server.stop()
    figures = {
        "rooms": rooms,
        "stop_seconds": round(stop_seconds, 2),
        "exit_code": code,
        "restart_seconds": round(restart_seconds, 2),
        "back": len(listed),
        "running_after": running,
    }
    print(
        f"SIGTERM with {rooms} learning rooms running: exit {code} in {figures['stop_seconds']} s; "
        f"restart answered in {figures['restart_seconds']} s with {len(listed)} rooms ({running} running)",
        flush=True,
    )
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rooms", type=int, default=500, help="rooms running at the SIGTERM")
    parser.add_argument("--seconds", type=float, default=30.0, help="how long each room runs")
    args = parser.parse_args(argv)
    storage_per_thousand_ticks(args.seconds)
    seek_times(max(args.seconds, 40.0))
    shutdown_and_restart(args.rooms, 10.0)
    return 0


if __name__ == "__main__":
    sys.exit(main())
