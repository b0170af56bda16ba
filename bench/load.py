"""Load generator: R rooms of 4 learning agents at speed 1.0, O observers each, against a real
`simrooms serve` on this machine.

For each (R, O) it starts a fresh server (eventlet, OpenBLAS via the CLI), creates and starts the
rooms, connects R x O observers from worker processes (bench/load_client.py), and over a
measurement window reports:

- ticks per second per room (from ``GET /api/rooms`` at both ends of the window): mean, min, and
  the share of rooms at >= 95% of 10 ticks/s;
- latency from each ``state_update``'s server ``ts`` to its receipt: p50, p99;
- bytes per update (the Socket.IO packet): median, mean;
- server CPU (its /proc stat over the window, in % of one core);
- event-loop lag from ``/metrics`` (mean, and the share of probes later than 10 and 50 ms).

    .venv/bin/python bench/load.py                       # 1, 10, 50 rooms x 1, 10 observers
    .venv/bin/python bench/load.py --rooms 200 --observers 1 10 --seconds 20
    .venv/bin/python bench/load.py --json bench/out/load.json

A run "holds" when the mean tick rate is >= 95% of 10/s for every room and the p99 latency is
under `--p99-limit` ms (100, the rooms target; the observers target allows 150).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import requests
import socketio

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.load_client import run_observers  # noqa: E402
from bench.server_process import BenchServer  # noqa: E402

TICKS_PER_SECOND = 10.0


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks


def lag_histogram(url: str) -> dict[str, float]:
    text = requests.get(url + "/metrics", timeout=30).text
    out: dict[str, float] = {}
    for line in text.splitlines():
        if line.startswith("simrooms_event_loop_lag_seconds_bucket"):
            bound = line.split('le="', 1)[1].split('"', 1)[0]
            out[bound] = float(line.rsplit(" ", 1)[1])
        elif line.startswith("simrooms_event_loop_lag_seconds_sum"):
            out["sum"] = float(line.rsplit(" ", 1)[1])
        elif line.startswith("simrooms_event_loop_lag_seconds_count"):
            out["count"] = float(line.rsplit(" ", 1)[1])
    return out


def stored_figures(url: str) -> dict[str, float]:
    """The checkpoint counters of /metrics."""
    found = {}
    for line in requests.get(url + "/metrics", timeout=30).text.splitlines():
        name, _, value = line.partition(" ")
        if name.startswith("simrooms_checkpoint"):
            found[name] = float(value)
    return found


CHECKPOINTS_OFF = {"SIMROOMS_CHECKPOINT_SECONDS": "1e9", "SIMROOMS_CHECKPOINT_REPLAY_SECONDS": "1e9"}
"""Only the checkpoint every room gets when it is made: none while the load runs."""


def room_ticks(url: str, token: str) -> dict[str, int]:
    rooms = requests.get(url + "/api/rooms", headers={"Authorization": f"Bearer {token}"}, timeout=60).json()[
        "rooms"
    ]
    return {room["name"]: int(room["tick"]) for room in rooms}


def scenario(
    rooms: int,
    observers: int,
    seconds: float,
    workers: int,
    policy: str,
    warmup: float,
    env: dict[str, str] | None = None,
) -> dict[str, Any]:
    data_dir = Path(tempfile.mkdtemp(prefix="simrooms-load-"))
    server = BenchServer(
        data_dir,
        {
            "SIMROOMS_MAX_ROOMS": "100000",
            "SIMROOMS_MAX_ROOMS_PER_USER": "100000",
            "SIMROOMS_MAX_MEMBERS_PER_ROOM": "100000",
            "SIMROOMS_RATE_LIMIT_PER_SECOND": "100000",
            "SIMROOMS_RATE_LIMIT_BURST": "100000",
            "SIMROOMS_ENGINE_WARMUP": "1",
            **(env or {}),
        },
    )
    try:
        token = server.token()
        control = socketio.Client(reconnection=False)
        control.connect(
            server.url, namespaces=["/sim"], auth={"token": token}, transports=["websocket"], wait_timeout=30
        )
        names = [f"load-{i}" for i in range(rooms)]
        created = time.perf_counter()
        # One seed a room: rooms of one seed are the same experiment, alike even in when they update.
        for index, name in enumerate(names):
            ack = control.call(
                "create_room",
                {"name": name, "agents": 4, "policy": policy, "speed": 1.0, "seed": 1000 + index},
                namespace="/sim",
                timeout=120,
            )
            assert ack["ok"], ack
        create_seconds = time.perf_counter() - created
        for name in names:
            assert control.call("start_game", {"room": name}, namespace="/sim", timeout=60)["ok"]

        connect_time = max(5.0, rooms * observers / 150)
        start = time.time() + connect_time + warmup
        end = start + seconds
        assignments: list[list[str]] = [[] for _ in range(workers)]
        for index, (name, _) in enumerate((n, o) for n in names for o in range(observers)):
            assignments[index % workers].append(name)
        with multiprocessing.get_context("spawn").Pool(workers) as pool:
            pending = [
                pool.apply_async(run_observers, (server.url, token, share, start, end, end + 60))
                for share in assignments
                if share
            ]
            time.sleep(max(0.0, start - time.time()))
            ticks0, cpu0, lag0, t0 = (
                room_ticks(server.url, token),
                cpu_seconds(server.process.pid),
                lag_histogram(server.url),
                time.time(),
            )
            time.sleep(max(0.0, end - time.time()))
            ticks1, cpu1, lag1, t1 = (
                room_ticks(server.url, token),
                cpu_seconds(server.process.pid),
                lag_histogram(server.url),
                time.time(),
            )
            results = [p.get(timeout=seconds + 180) for p in pending]
        control.disconnect()
        stored = stored_figures(server.url)
    finally:
        stopping = time.perf_counter()
        server.stop()
        stop_seconds = time.perf_counter() - stopping
        data_bytes = sum(f.stat().st_size for f in data_dir.rglob("*") if f.is_file())

    elapsed = t1 - t0
    rates = [(ticks1[n] - ticks0[n]) / elapsed for n in names]
    latencies = [v for r in results for v in r["latencies_ms"]]
    by_second: dict[int, list[float]] = {}
    for r in results:
        for sent, latency in zip(r["sent_ms"], r["latencies_ms"], strict=True):
            by_second.setdefault(sent // 1000, []).append(latency)
    sizes = [v for r in results for v in r["sizes"]]
    probes = lag1.get("count", 0) - lag0.get("count", 0)
    lag_sum = lag1.get("sum", 0) - lag0.get("sum", 0)

    def over(bound: str) -> float:
        within = lag1.get(bound, 0) - lag0.get(bound, 0)
        return round(1 - within / probes, 4) if probes else float("nan")

    figures = {
        "rooms": rooms,
        "observers_per_room": observers,
        "connections": rooms * observers,
        "joined": sum(r["joined"] for r in results),
        "client_errors": sum(r["error_count"] for r in results),
        "create_seconds": round(create_seconds, 2),
        "ticks_per_second_mean": round(statistics.fmean(rates), 3),
        "ticks_per_second_min": round(min(rates), 3),
        "rooms_at_95pct": round(sum(r >= 0.95 * TICKS_PER_SECOND for r in rates) / len(rates), 3),
        "updates_received": len(latencies),
        "latency_p50_ms": round(percentile(latencies, 50), 2),
        "latency_p99_ms": round(percentile(latencies, 99), 2),
        "bytes_per_update_median": int(statistics.median(sizes)) if sizes else 0,
        "bytes_per_update_mean": round(statistics.fmean(sizes), 1) if sizes else 0,
        "server_cpu_percent": round(100 * (cpu1 - cpu0) / elapsed, 1),
        "loop_lag_mean_ms": round(1000 * lag_sum / probes, 2) if probes else float("nan"),
        "loop_lag_over_10ms": over("0.01"),
        "loop_lag_over_50ms": over("0.05"),
        "seconds": round(elapsed, 1),
        "checkpoints_written": stored.get("simrooms_checkpoints_written", 0),
        "checkpoint_mb_written": round(stored.get("simrooms_checkpoint_bytes_written", 0) / 1e6, 1),
        "checkpoints_failed": stored.get("simrooms_checkpoints_failed", 0),
        "stop_seconds": round(stop_seconds, 2),
        "data_dir_mb": round(data_bytes / 1e6, 1),
        "p99_by_second_ms": [round(percentile(by_second[s], 99)) for s in sorted(by_second)],
    }
    figures["every_room_at_95pct"] = bool(min(rates) >= 0.95 * TICKS_PER_SECOND)
    if any(r["errors"] for r in results):
        figures["client_error_sample"] = next(r["errors"] for r in results if r["errors"])[:3]
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rooms", type=int, nargs="+", default=[1, 10, 50])
    parser.add_argument("--observers", type=int, nargs="+", default=[1, 10])
    parser.add_argument("--seconds", type=float, default=15.0, help="measurement window per run")
    parser.add_argument("--warmup", type=float, default=5.0, help="seconds after connecting before measuring")
    parser.add_argument("--workers", type=int, default=2, help="observer processes")
    parser.add_argument("--policy", default="learning")
    parser.add_argument("--json", type=Path, help="also write the figures there")
    parser.add_argument(
        "--p99-limit", type=float, default=100.0, help="ms of p99 latency a run that holds stays under"
    )
    parser.add_argument(
        "--env",
        nargs="*",
        default=[],
        metavar="NAME=VALUE",
        help="server settings, e.g. SIMROOMS_GIL_SWITCH_INTERVAL=0.001",
    )
    parser.add_argument(
        "--series", action="store_true", help="also print the p99 latency of each second's updates"
    )
    parser.add_argument(
        "--checkpoints",
        nargs="+",
        choices=["on", "off"],
        default=["on"],
        help="run with periodic checkpoints on (the default settings) and/or off, side by side",
    )
    args = parser.parse_args(argv)
    rows = []
    header = (
        "rooms",
        "obs",
        "ticks/s mean",
        "min",
        ">=95%",
        "p50 ms",
        "p99 ms",
        "bytes",
        "cpu %",
        "lag ms",
        "lag>50ms",
        "ckpt",
        "ckpt MB",
        "stop s",
        "holds",
    )
    print(" | ".join(header), flush=True)
    for rooms, observers, checkpoints in (
        (r, o, c) for r in args.rooms for o in args.observers for c in args.checkpoints
    ):
        env = dict(item.split("=", 1) for item in args.env)
        if checkpoints == "off":
            env.update(CHECKPOINTS_OFF)
        row = scenario(rooms, observers, args.seconds, args.workers, args.policy, args.warmup, env)
        row["checkpoints"] = checkpoints
        row["holds"] = row["every_room_at_95pct"] and row["latency_p99_ms"] < args.p99_limit
        rows.append(row)
        print(
            " | ".join(
                str(v)
                for v in (
                    row["rooms"],
                    row["observers_per_room"],
                    row["ticks_per_second_mean"],
                    row["ticks_per_second_min"],
                    row["rooms_at_95pct"],
                    row["latency_p50_ms"],
                    row["latency_p99_ms"],
                    row["bytes_per_update_median"],
                    row["server_cpu_percent"],
                    row["loop_lag_mean_ms"],
                    row["loop_lag_over_50ms"],
                    f"{checkpoints}:{row['checkpoints_written']:.0f}",
                    row["checkpoint_mb_written"],
                    row["stop_seconds"],
                    row["holds"],
                )
            ),
            flush=True,
        )
        if args.series:
            print(f"  p99 ms of each second's updates: {row['p99_by_second_ms']}", flush=True)
        if row["client_errors"]:
            print(f"  client errors: {row['client_errors']} {row.get('client_error_sample')}", flush=True)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(rows, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
