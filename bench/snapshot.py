"""What the engine pays every tick to tell members what changed, without a server: `capture_many`
(a room's state as arrays), `changes_many` (the delta since the last one sent) and, for a joining
member or a `get_state`, `SlotState.snapshot` (the whole JSON-safe Snapshot), for R rooms of 4
heuristic agents stepped in one batched world.

Prints per R the median microseconds of each over `--ticks` ticks (after the rooms have played a
while, so agents carry, charge and drop).

    OPENBLAS_NUM_THREADS=1 .venv/bin/python bench/snapshot.py [--rooms 1 50 500] [--ticks 200]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from agents.scripted import HeuristicPolicy  # noqa: E402
from env.config import WorldConfig  # noqa: E402
from env.core import BatchedWorld  # noqa: E402
from env.layout import lay_out  # noqa: E402
from env.snapshot import capture_many, changes_many  # noqa: E402

AGENTS = 4
WARMUP_TICKS = 100


def measure(rooms: int, ticks: int) -> dict[str, float]:
    """Median microseconds of capture_many, changes_many (all `rooms` at once) and one room's
    snapshot, over `ticks` ticks."""
    config = WorldConfig()
    world = BatchedWorld(config, rooms, AGENTS)
    slots = np.arange(rooms)
    for slot in range(rooms):
        world.reset_slot(slot, lay_out(config, np.random.SeedSequence(slot), AGENTS), new_episode=True)
    policy = HeuristicPolicy(np.random.SeedSequence(1), config)

    def step() -> None:
        observations, masks = world.observe(slots)
        flat = policy.act(observations.reshape(rooms * AGENTS, -1), masks.reshape(rooms * AGENTS, -1))
        world.step(slots, flat.actions.reshape(rooms, AGENTS))

    for _ in range(WARMUP_TICKS):
        step()
    sent = capture_many(world, slots)
    times: dict[str, list[float]] = {"capture_many": [], "changes_many": [], "snapshot": []}
    for _ in range(ticks):
        step()
        start = time.perf_counter()
        states = capture_many(world, slots)
        captured = time.perf_counter()
        changes_many(states, sent)
        changed = time.perf_counter()
        states[0].snapshot("Factory 1", True, 1.0)
        done = time.perf_counter()
        times["capture_many"].append(captured - start)
        times["changes_many"].append(changed - captured)
        times["snapshot"].append(done - changed)
        sent = states
    return {name: statistics.median(values) * 1e6 for name, values in times.items()}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rooms", type=int, nargs="+", default=[1, 50, 500])
    parser.add_argument("--ticks", type=int, default=200)
    args = parser.parse_args()
    print(f"{'rooms':>6} {'capture_many µs':>16} {'changes_many µs':>16} {'snapshot µs':>12}")
    for rooms in args.rooms:
        figures = measure(rooms, args.ticks)
        print(
            f"{rooms:>6} {figures['capture_many']:>16.1f} {figures['changes_many']:>16.1f} "
            f"{figures['snapshot']:>12.1f}"
        )


if __name__ == "__main__":
    main()
