"""A sweep as people run one, against a real `simrooms serve` on this machine: 2 learning rates x 4
seeds of 4-agent learning rooms in turbo.

It prints, side by side in one run:
- the sweep's ticks per second (all its rooms) against one such room alone in turbo, measured
  first on the same server;
- for each room, the wall time until its mean products per episode (over its last 10 episodes)
  passes the scripted policy's on its world (GET /api/rooms/<name>/baselines), or the best mean it
  reached when the time is up.

    .venv/bin/python bench/sweep.py                 # 20 minutes of training
    .venv/bin/python bench/sweep.py --minutes 5 --rates 0.001 0.003 --seeds 1 2 3 4
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import requests

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.lasting import UNLIMITED, Control  # noqa: E402
from bench.server_process import BenchServer  # noqa: E402

WINDOW = 10
"""Episodes a room's mean products is taken over."""


def ticks(server: BenchServer, token: str) -> dict[str, int]:
    listed = requests.get(server.url + "/api/rooms", headers={"Authorization": f"Bearer {token}"}, timeout=60)
    return {room["name"]: room["tick"] for room in listed.json()["rooms"]}


def rate(server: BenchServer, token: str, names: list[str], seconds: float) -> float:
    """Ticks per second of `names` together over `seconds`."""
    before, started = ticks(server, token), time.monotonic()
    time.sleep(seconds)
    after, elapsed = ticks(server, token), time.monotonic() - started
    return sum(after[name] - before[name] for name in names) / elapsed


def recent_products(server: BenchServer, token: str, name: str) -> float | None:
    episodes = requests.get(
        f"{server.url}/api/rooms/{name}/episodes", headers={"Authorization": f"Bearer {token}"}, timeout=60
    ).json()["episodes"]
    if len(episodes) < WINDOW:
        return None
    return statistics.fmean(e["products_created"] for e in episodes[-WINDOW:])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--minutes", type=float, default=20.0, help="training time the sweep gets")
    parser.add_argument("--rates", type=float, nargs="+", default=[0.001, 0.003])
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3, 4])
    parser.add_argument("--measure", type=float, default=30.0, help="seconds each tick rate is measured over")
    args = parser.parse_args(argv)
    server = BenchServer(Path(tempfile.mkdtemp(prefix="simrooms-sweep-")), UNLIMITED)
    try:
        control = Control(server)
        token = server.token()
        control.ok(
            "create_room", {"name": "alone", "agents": 4, "policy": "learning", "seed": 99, "speed": "max"}
        )
        control.ok("start_game", {"room": "alone"})
        time.sleep(5)
        alone = rate(server, token, ["alone"], args.measure)
        control.ok("delete_room", {"room": "alone"})
        sweep = control.ok(
            "create_sweep",
            {
                "name": "lr",
                "room": {"agents": 4, "policy": "learning", "speed": "max"},
                "seeds": args.seeds,
                "grid": {"learner.learning_rate": args.rates},
            },
        )["sweep"]
        rooms = {room["name"]: room for room in sweep["rooms"]}
        started = time.monotonic()
        scripted = requests.get(
            f"{server.url}/api/rooms/{next(iter(rooms))}/baselines",
            headers={"Authorization": f"Bearer {token}"},
            timeout=120,
        ).json()["heuristic"]["products_created"]
        time.sleep(5)
        together = rate(server, token, list(rooms), args.measure)
        print(
            f"ticks/s: one room alone in turbo {alone:.1f}; the sweep's {len(rooms)} rooms together "
            f"{together:.1f} ({together / alone:.2f}x one room, {together / len(rooms):.1f} each)",
            flush=True,
        )
        print(f"scripted policy: {scripted:.1f} products per episode", flush=True)
        passed: dict[str, float] = {}
        best: dict[str, float] = {}
        while time.monotonic() - started < 60 * args.minutes and len(passed) < len(rooms):
            time.sleep(20)
            for name in rooms:
                if name in passed:
                    continue
                mean = recent_products(server, token, name)
                if mean is None:
                    continue
                best[name] = max(best.get(name, 0.0), mean)
                if mean > scripted:
                    passed[name] = time.monotonic() - started
        final = ticks(server, token)
        for name, room in rooms.items():
            rate_of = room["sweep_point"]["learner.learning_rate"]
            outcome = (
                f"passed after {passed[name] / 60:.1f} min"
                if name in passed
                else f"not passed in {args.minutes:g} min (best mean {best.get(name, 0.0):.1f})"
            )
            print(
                f"{name}: learning rate {rate_of}, seed {room['seed']}, tick {final[name]}: {outcome}",
                flush=True,
            )
        control.close()
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
