"""Policies without learning: uniform random, and a scripted agent that plays well."""

from __future__ import annotations

import numpy as np

from env.config import DOWN, DROP, LEFT, PICK, RIGHT, STAY, UP, WorldConfig
from env.core import ObservationLayout

from agents.policy import ActOutput, EpisodeFigures

RESOURCE_TARGET, FACTORY_TARGET, CHARGER_TARGET = 0, 1, 2
_MOVES = np.array([UP, DOWN, LEFT, RIGHT])


class RandomPolicy:
    """Uniform over each agent's allowed actions."""

    name = "random"

    def __init__(self, seed: np.random.SeedSequence) -> None:
        self._rng = np.random.Generator(np.random.PCG64(seed))

    def act(self, observations: np.ndarray, masks: np.ndarray) -> ActOutput:
        probabilities = masks / masks.sum(axis=1, keepdims=True)
        draws = self._rng.random(len(masks))[:, None]
        actions = (np.cumsum(probabilities, axis=1) < draws).sum(axis=1)
        return ActOutput(np.minimum(actions, masks.shape[1] - 1).astype(np.int64), probabilities.astype(np.float32))

    def record(self, rewards: np.ndarray, episode_over: bool) -> None:
        return None

    def end_episode(self) -> None:
        return None

    def take_figures(self) -> EpisodeFigures:
        return EpisodeFigures()


class HeuristicPolicy:
    """Nearest resource, nearest factory, recharge when low: the yardstick for learning.

    It reads only the observation's shortest-path features, the same ones the learner gets.
    A small chance of a random allowed move breaks head-on standoffs between agents.
    """

    name = "heuristic"

    def __init__(self, seed: np.random.SeedSequence, config: WorldConfig, jitter: float = 0.05) -> None:
        self._rng = np.random.Generator(np.random.PCG64(seed))
        self._layout = ObservationLayout(config.view_size)
        self._full_enough = 1.0 - 0.5 * config.charge_rate / config.max_energy
        self._jitter = jitter

    def _direction(self, observations: np.ndarray, target: int) -> np.ndarray:
        start = self._layout.target(target)
        one_hot = observations[:, start : start + 4]
        return np.where(one_hot.any(axis=1), _MOVES[one_hot.argmax(axis=1)], STAY)

    def _feature(self, observations: np.ndarray, target: int, offset: int) -> np.ndarray:
        return observations[:, self._layout.target(target) + offset]

    def act(self, observations: np.ndarray, masks: np.ndarray) -> ActOutput:
        layout = self._layout
        energy = observations[:, layout.energy]
        carrying = observations[:, layout.carrying]
        low = observations[:, layout.low_energy] > 0.5
        at_charger = self._feature(observations, CHARGER_TARGET, 4) > 0.5
        nearer_resource = self._feature(observations, RESOURCE_TARGET, 5) < self._feature(observations, FACTORY_TARGET, 5)

        to_resource = self._direction(observations, RESOURCE_TARGET)
        to_factory = self._direction(observations, FACTORY_TARGET)
        to_charger = self._direction(observations, CHARGER_TARGET)
        full = carrying >= 1.0
        errand = np.where(full | ((carrying > 0) & ~nearer_resource), to_factory, to_resource)
        actions = np.where(low, to_charger, errand)
        actions = np.where(masks[:, DROP], DROP, actions)
        actions = np.where(masks[:, PICK] & ~low, PICK, actions)
        actions = np.where(at_charger & (energy < self._full_enough), STAY, actions)

        jitter = self._rng.random(len(actions)) < self._jitter
        random_moves = np.array([self._rng.choice(np.flatnonzero(m)) for m in masks])
        actions = np.where(jitter & ~low, random_moves, actions)
        allowed = np.take_along_axis(masks, actions[:, None], axis=1)[:, 0]
        return ActOutput(np.where(allowed, actions, STAY).astype(np.int64))

    def record(self, rewards: np.ndarray, episode_over: bool) -> None:
        return None

    def end_episode(self) -> None:
        return None

    def take_figures(self) -> EpisodeFigures:
        return EpisodeFigures()
