"""One learning room at speed "max" (turbo) through a real `simrooms serve`, with a member
watching, beside a speed-1.0 room, once per number of worlds a turbo room trains in
(`SIMROOMS_TURBO_WORLDS`), each on a server of its own, one after the other in one run.

Prints per number of worlds: the turbo room's agent-steps per second over all its worlds (from
/metrics), the ticks per second of the world its members see, its updates per second (at most
20), and the speed-1.0 room's tick rate (turbo shares the engine fairly).

    .venv/bin/python bench/turbo.py [--agents 4] [--worlds 1 4 16 32] [--seconds 20]
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

from bench.load import room_ticks  # noqa: E402
from bench.server_process import BenchServer  # noqa: E402


def agent_steps(url: str) -> float:
    """The server's simrooms_agent_steps_total."""
    for line in requests.get(url + "/metrics", timeout=60).text.splitlines():
        if line.startswith("simrooms_agent_steps_total "):
            return float(line.split()[1])
    raise RuntimeError("/metrics has no simrooms_agent_steps_total.")


def measure(worlds: int, agents: int, warmup: float, seconds: float) -> dict[str, float]:
    data_dir = Path(tempfile.mkdtemp(prefix="simrooms-turbo-"))
    server = BenchServer(data_dir, {"SIMROOMS_ENGINE_WARMUP": "1", "SIMROOMS_TURBO_WORLDS": str(worlds)})
    client = socketio.Client(reconnection=False)
    updates: list[float] = []
    lock = threading.Lock()

    def on_update(data: dict[str, object]) -> None:
        if data.get("room") == "turbo":
            with lock:
                updates.append(time.monotonic())

    client.on("state_update", on_update, namespace="/sim")
    try:
        token = server.token()
        client.connect(
            server.url, namespaces=["/sim"], auth={"token": token}, transports=["websocket"], wait_timeout=30
        )
        for name, speed in (("turbo", "max"), ("steady", 1.0)):
            ack = client.call(
                "create_room", {"name": name, "agents": agents, "speed": speed, "seed": 1}, namespace="/sim"
            )
            assert ack["ok"], ack
        assert client.call("join_room", {"room": "turbo"}, namespace="/sim")["ok"]
        for name in ("turbo", "steady"):
            assert client.call("start_game", {"room": name}, namespace="/sim")["ok"]
        time.sleep(warmup)
        before, steps_before, started = (
            room_ticks(server.url, token),
            agent_steps(server.url),
            time.monotonic(),
        )
        time.sleep(seconds)
        after, steps_after, elapsed = (
            room_ticks(server.url, token),
            agent_steps(server.url),
            time.monotonic() - started,
        )
        with lock:
            sent = sum(started <= t <= started + elapsed for t in updates)
    finally:
        client.disconnect()
        server.stop()
    steady = (after["steady"] - before["steady"]) / elapsed
    return {
        "agent_steps": (steps_after - steps_before) / elapsed - steady * agents,
        "ticks": (after["turbo"] - before["turbo"]) / elapsed,
        "updates": sent / elapsed,
        "steady": steady,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--agents", type=int, default=4)
    parser.add_argument("--worlds", type=int, nargs="+", default=[1, 4, 16, 32])
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--warmup", type=float, default=5.0)
    args = parser.parse_args()
    print(
        f"one turbo room of {args.agents} learning agents beside a speed-1.0 room, {args.seconds:.0f} s each"
    )
    print(
        f"{'worlds':>6}  {'agent-steps/s':>13}  {'shown ticks/s':>13}  {'updates/s':>9}  {'speed-1.0 room':>14}"
    )
    for worlds in args.worlds:
        row = measure(worlds, args.agents, args.warmup, args.seconds)
        print(
            f"{worlds:>6}  {row['agent_steps']:>13,.0f}  {row['ticks']:>13,.0f}  {row['updates']:>9.1f}"
            f"  {row['steady']:>9.2f} t/s",
            flush=True,
        )


if __name__ == "__main__":
    main()
