"""Baselines: how the scripted (heuristic) and the random policy do on a world, for the dashed
lines of the charts, so that a learning curve is read against what no learning gives.

Computed once per world config and agent count, on a real OS thread of their own (they are a few
seconds of numpy work; under eventlet a green thread would freeze every socket meanwhile), then
kept for the life of the process.
"""

from __future__ import annotations

import json
import logging
import statistics
from dataclasses import asdict
from typing import Any

from agents.fleet import EpisodeSummary, Fleet
from env.config import WorldConfig
from server.engine.handoff import Bridge, Future, real_modules

log = logging.getLogger(__name__)

POLICIES = ("heuristic", "random")
EPISODES = 4
"""Episodes of each policy averaged (one room, its seed's episode sequence)."""
MAX_TICKS = 20_000
"""A baseline stops after this many ticks even with fewer episodes (long episodes, many of them)."""
SEED = 0


def baseline(agents: int, world: WorldConfig) -> dict[str, dict[str, float]]:
    """Each scripted policy's mean figures over its first EPISODES episodes on `world`."""
    found = {}
    for policy in POLICIES:
        fleet = Fleet(world)
        room = fleet.add(agents, policy, SEED)
        ended: list[EpisodeSummary] = []
        for _ in range(MAX_TICKS):
            summary = fleet.step_one(room)
            if summary is not None:
                ended.append(summary)
                if len(ended) == EPISODES:
                    break
        found[policy] = {
            "products_created": _mean(e.stats["products_created"] for e in ended),
            "total_reward": _mean(e.stats["total_reward"] for e in ended),
            "return": _mean(e.metrics["return"] for e in ended),
            "episodes": len(ended),
        }
    return found


def _mean(values: Any) -> float:
    listed = [float(value) for value in values]
    return round(statistics.fmean(listed), 4) if listed else 0.0


class Baselines:
    """Baselines by world config and agent count, computed once each on this object's thread."""

    def __init__(self, bridge: Bridge) -> None:
        self.bridge = bridge
        self._kept: dict[str, dict[str, dict[str, float]]] = {}
        threading, queue = real_modules()
        self._jobs: Any = queue.SimpleQueue()
        self._thread: Any = threading.Thread(target=self._run, name="simrooms-baselines", daemon=True)
        self._thread.start()

    def of(self, agents: int, world: WorldConfig) -> Future:
        """A Future of the baselines of `agents` agents on `world` (at once when known)."""
        future = Future(self.bridge)
        key = json.dumps([agents, asdict(world)], sort_keys=True)
        known = self._kept.get(key)
        if known is not None:
            future.set(known)
        else:
            self._jobs.put((key, agents, world, future))
        return future

    def _run(self) -> None:
        while True:
            key, agents, world, future = self._jobs.get()
            try:
                if key not in self._kept:
                    self._kept[key] = baseline(agents, world)
                future.set(self._kept[key])
            except Exception as error:
                log.exception("A baseline of %d agents failed", agents)
                future.set(error=error)
