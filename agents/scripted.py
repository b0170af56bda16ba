"""Policies without learning: uniform random, and a scripted agent that plays well."""

from __future__ import annotations

from typing import Any

import numpy as np

from agents.policy import ActOutput, EpisodeFigures
from env.config import DOWN, DROP, LEFT, PICK, RIGHT, STAY, UP, WorldConfig
from env.core import ObservationLayout

CHARGER_TARGET = 2
_MOVES = np.array([UP, DOWN, LEFT, RIGHT])


class _Scripted:
    """A policy that does not learn: nothing to record, no figures. All it holds is its random
    generator, whose state a room checkpoint keeps."""

    _rng: np.random.Generator

    def rng_state(self) -> dict[str, Any]:
        """The state of the policy's random generator (JSON-safe)."""
        return dict(self._rng.bit_generator.state)

    def set_rng_state(self, state: dict[str, Any]) -> None:
        """Go on from a state `rng_state` gave."""
        self._rng.bit_generator.state = state

    def record(self, rewards: np.ndarray, episode_over: bool) -> None:
        return None

    def end_episode(self) -> None:
        return None

    def take_figures(self) -> EpisodeFigures:
        return EpisodeFigures()


class RandomPolicy(_Scripted):
    """Uniform over each agent's allowed actions."""

    name = "random"

    def __init__(self, seed: np.random.SeedSequence) -> None:
        self._rng = np.random.Generator(np.random.PCG64(seed))

    def act(self, observations: np.ndarray, masks: np.ndarray) -> ActOutput:
        probabilities = masks / masks.sum(axis=1, keepdims=True)
        draws = self._rng.random(len(masks))[:, None]
        actions = (np.cumsum(probabilities, axis=1) < draws).sum(axis=1)
        return ActOutput(
            np.minimum(actions, masks.shape[1] - 1).astype(np.int64), probabilities.astype(np.float32)
        )


class HeuristicPolicy(_Scripted):
    """Nearest resource, nearest factory, recharge when low: the yardstick for learning.

    It follows the world's goal rule (env.core.BatchedWorld.goals) through the observation's
    features, the same ones the learner gets: step along a shortest path to the goal, pick and
    drop where it can, and wait on a charger while charging. A small chance of a random allowed
    action breaks head-on standoffs between agents.
    """

    name = "heuristic"

    def __init__(self, seed: np.random.SeedSequence, config: WorldConfig, jitter: float = 0.05) -> None:
        self._rng = np.random.Generator(np.random.PCG64(seed))
        self._layout = ObservationLayout(config.view_size)
        self._jitter = jitter

    def act(self, observations: np.ndarray, masks: np.ndarray) -> ActOutput:
        layout = self._layout
        goal = observations[:, layout.goal : layout.goal + 3].argmax(axis=1)
        steps = observations[:, layout.goal_step : layout.goal_step + 4]
        actions = np.where(steps.any(axis=1), _MOVES[steps.argmax(axis=1)], STAY)
        charging = goal == CHARGER_TARGET
        actions = np.where(masks[:, DROP] & ~charging, DROP, actions)
        actions = np.where(masks[:, PICK] & ~charging, PICK, actions)

        jitter = (self._rng.random(len(actions)) < self._jitter) & ~charging
        random_actions = np.array([self._rng.choice(np.flatnonzero(m)) for m in masks])
        actions = np.where(jitter, random_actions, actions)
        allowed = np.take_along_axis(masks, actions[:, None], axis=1)[:, 0]
        return ActOutput(np.where(allowed, actions, STAY).astype(np.int64))
