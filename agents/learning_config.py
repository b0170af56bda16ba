"""The learning policy's hyper-parameters, apart from agents.ppo so that reading them (the public
config models of simrooms.config, a CLI parsing its flags) does not import MLX."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class LearningConfig:
    """Hyper-parameters of the learning policy."""

    shared: bool = True
    """One network for all agents of a room (the agent id is among its inputs); else one per agent."""
    hidden: int = 64
    """Width of the two hidden layers of the actor and of the critic."""
    learning_rate: float = 1e-3
    """Adam step size."""
    adam_eps: float = 1e-5
    """Adam's epsilon."""
    gamma: float = 0.99
    """Discount factor."""
    gae_lambda: float = 0.95
    """GAE's lambda: the bias-variance trade-off of the advantage estimate."""
    rollout_ticks: int = 128
    """Ticks gathered between two updates."""
    rollout_cohorts: int = 16
    """Rooms started together fill their rollouts in this many cohorts (see StackedLearner.add)."""
    epochs: int = 2
    """Passes over a rollout per update."""
    minibatches: int = 4
    """Minibatches per pass."""
    clip: float = 0.2
    """PPO's ratio clip."""
    entropy_coef: float = 0.01
    """Weight of the entropy bonus."""
    value_coef: float = 0.5
    """Weight of the value loss."""
    max_grad_norm: float = 0.5
    """Gradients are rescaled to at most this global norm."""
