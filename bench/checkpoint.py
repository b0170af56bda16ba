"""Room checkpoints of a 4-agent learning room: their size mid-rollout and right after an update,
the time to take one (`Fleet.checkpoint`), write it (`write_room_checkpoint`) and read it, and how
fast a restored room replays ticks alone with `step_one` (what "seek to a past tick" costs per tick
past its nearest checkpoint). Figures decide how often a server checkpoints.

    OPENBLAS_NUM_THREADS=1 .venv/bin/python bench/checkpoint.py [--worlds 1 16] [--replay 512]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from agents.fleet import Fleet  # noqa: E402
from agents.room_checkpoint import read_room_checkpoint, write_room_checkpoint  # noqa: E402


def _timed(call: Callable[[], object], repeats: int = 5) -> float:
    """Median seconds of `call()` over `repeats` runs."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _step_to(fleet: Fleet, room: int, rollout: int) -> None:
    while fleet.rollout_ticks(room) != rollout:
        fleet.step_one(room)


def _sizes(fleet: Fleet, room: int, path: Path, label: str) -> None:
    checkpoint = fleet.checkpoint(room)
    taking = _timed(lambda: fleet.checkpoint(room))
    size = write_room_checkpoint(path, checkpoint)
    writing = _timed(lambda: write_room_checkpoint(path, checkpoint))
    reading = _timed(lambda: read_room_checkpoint(path))
    print(
        f"  {label}: {size / 1e6:7.3f} MB, checkpoint {taking * 1e3:6.2f} ms, "
        f"write {writing * 1e3:6.2f} ms, read {reading * 1e3:6.2f} ms"
    )


def measure(worlds: int, replay: int, directory: Path) -> None:
    fleet = Fleet()
    room = fleet.add(4, "learning", 1)
    fleet.set_envs(room, worlds)
    full = fleet.learning.rollout_ticks
    path = directory / f"room-{worlds}.safetensors"
    for label, rollout in (("right after an update", 1), ("mid-rollout", full // 2), ("rollout full", full)):
        _step_to(fleet, room, rollout)
        _sizes(fleet, room, path, f"{worlds:2d} world(s), {label:21s} ({rollout:3d} ticks gathered)")
    _step_to(fleet, room, full // 2)
    twin = Fleet()
    start = time.perf_counter()
    restored = twin.restore(fleet.checkpoint(room))
    restoring = time.perf_counter() - start
    twin.step_one(restored)  # compiles the act call
    start = time.perf_counter()
    for _ in range(replay):
        twin.step_one(restored)
    elapsed = time.perf_counter() - start
    print(
        f"  {worlds:2d} world(s): restore {restoring * 1e3:.1f} ms; replay {replay / elapsed:7.1f} ticks/s "
        f"with step_one over {replay} ticks (updates included, every {full} ticks)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--worlds", type=int, nargs="+", default=[1, 16])
    parser.add_argument("--replay", type=int, default=512)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="simrooms-checkpoint-") as directory:
        for worlds in args.worlds:
            measure(worlds, args.replay, Path(directory))


if __name__ == "__main__":
    main()
