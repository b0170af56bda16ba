"""The scripted policies: random respects masks, the heuristic plays well."""

from __future__ import annotations

import numpy as np

from agents.simulation import RoomSimulation


def _products_per_episode(policy: str, seed: int, episodes: int) -> float:
    sim = RoomSimulation(4, policy, seed)
    while len(sim.finished) < episodes:
        sim.step()
    return float(np.mean([e.stats["products_created"] for e in sim.finished]))


def test_heuristic_is_a_strong_yardstick() -> None:
    heuristic = _products_per_episode("heuristic", 1, 3)
    random = _products_per_episode("random", 1, 3)
    assert heuristic >= 60
    assert heuristic > 20 * max(random, 1.0)


def test_random_actions_are_allowed_and_varied() -> None:
    sim = RoomSimulation(4, "random", 2)
    seen = set()
    for _ in range(300):
        masks = sim.masks.copy()
        sim.step()
        assert sim.last_act is not None
        assert masks[np.arange(4), sim.last_act.actions].all()
        seen.update(sim.last_act.actions.tolist())
    assert len(seen) >= 5
