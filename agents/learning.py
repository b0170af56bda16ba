"""The learning policy of one room: a StackedLearner (agents.learner) holding that room alone,
behind the Policy protocol (agents.policy). Checkpoints: agents.checkpoint."""

from __future__ import annotations

import numpy as np

from agents.learner import StackedLearner
from agents.policy import ActOutput, EpisodeFigures
from agents.ppo import LearningConfig
from env.config import WorldConfig


class LearningPolicy:
    """PPO for the agents of one room."""

    name = "learning"

    def __init__(
        self, num_agents: int, seed: np.random.SeedSequence, world: WorldConfig, config: LearningConfig
    ) -> None:
        self.learner = StackedLearner(num_agents, world, config)
        self.room = self.learner.add(seed)
        self.config = config
        self.num_agents = num_agents
        self._rooms = np.array([self.room])

    def act(self, observations: np.ndarray, masks: np.ndarray) -> ActOutput:
        actions, probabilities, values = self.learner.act(self._rooms, observations[None], masks[None])
        return ActOutput(actions[0], probabilities[0], values[0])

    def record(self, rewards: np.ndarray, episode_over: bool) -> None:
        self.learner.record(self._rooms, rewards[None], np.array([episode_over]))

    def end_episode(self) -> None:
        self.learner.end_episode(self.room)

    def take_figures(self) -> EpisodeFigures:
        return self.learner.take_figures(self.room)

    def state_digest_bytes(self) -> bytes:
        """The weights as bytes, for hashing a run's final state."""
        return self.learner.digest(self.room)
