"""One `Fleet.step` over every room: R rooms of 4 learning agents, at most 8 learning updates a
step (the engine's `updates_per_cycle`), no server. The updates are made within the step, on
the same thread; the server computes them on a trainer thread beside it (bench/load.py).

Prints per R: milliseconds per step (one tick of every room), agent-steps per second, and the
share of the time in learning updates, episode resets and the rest (world step, observations,
act calls). A server holds R rooms at speed 1.0 only if a step takes well under 100 ms.

    .venv/bin/python bench/fleet.py [--rooms 1 50 500] [--steps 300]
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from agents import fleet as fleet_module  # noqa: E402
from agents.fleet import Fleet  # noqa: E402
from agents.learner import StackedLearner  # noqa: E402
from env.core import BatchedWorld  # noqa: E402
from server.cli.blas import blas_status  # noqa: E402

UPDATES_PER_STEP = 8


def timed(spent: Counter[str], label: str, fn: Callable[..., Any]) -> Callable[..., Any]:
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            spent[label] += time.perf_counter() - started

    return wrapper


def measure(rooms: int, steps: int, warmup: int) -> dict[str, float]:
    fleet = Fleet(update_budget=UPDATES_PER_STEP)
    ids = [fleet.add(4, "learning", seed) for seed in range(rooms)]
    order = list(ids)
    for _ in range(warmup):
        fleet.step(order)
        order = fleet.deferred + [i for i in ids if i not in set(fleet.deferred)]
    spent: Counter[str] = Counter()
    learner_update, reset_slot, lay_out = StackedLearner.update, BatchedWorld.reset_slot, fleet_module.lay_out
    StackedLearner.update = timed(spent, "updates", learner_update)  # type: ignore[method-assign]
    BatchedWorld.reset_slot = timed(spent, "resets", reset_slot)  # type: ignore[method-assign]
    fleet_module.lay_out = timed(spent, "resets", lay_out)  # laying episodes out, ahead or at reset
    try:
        ticks = 0
        started = time.perf_counter()
        for _ in range(steps):
            fleet.step(order)
            ticks += len(order) - len(fleet.deferred)
            deferred = set(fleet.deferred)
            order = fleet.deferred + [i for i in ids if i not in deferred]
        elapsed = time.perf_counter() - started
    finally:
        StackedLearner.update, BatchedWorld.reset_slot = learner_update, reset_slot  # type: ignore[method-assign]
        fleet_module.lay_out = lay_out
    return {
        "ms_per_step": 1000 * elapsed / steps,
        "agent_steps_per_second": 4 * ticks / elapsed,
        "updates": spent["updates"] / elapsed,
        "resets": spent["resets"] / elapsed,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rooms", type=int, nargs="+", default=[1, 50, 500])
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--warmup", type=int, default=200)
    args = parser.parse_args()
    print(f"BLAS: {blas_status()}; 4 learning agents a room, at most {UPDATES_PER_STEP} updates a step")
    print(f"{'rooms':>6} {'ms/step':>8} {'agent-steps/s':>14} {'updates':>8} {'resets':>7} {'rest':>6}")
    for rooms in args.rooms:
        row = measure(rooms, args.steps, args.warmup)
        rest = 1 - row["updates"] - row["resets"]
        print(
            f"{rooms:>6} {row['ms_per_step']:>8.1f} {row['agent_steps_per_second']:>14,.0f} "
            f"{row['updates']:>7.0%} {row['resets']:>7.0%} {rest:>6.0%}",
            flush=True,
        )


if __name__ == "__main__":
    main()
