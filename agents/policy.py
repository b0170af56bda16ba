"""What every policy offers the room that runs it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, Protocol, get_args

import numpy as np

PolicyName = Literal["learning", "heuristic", "random"]
POLICIES: tuple[PolicyName, ...] = get_args(PolicyName)
"""The policies a room may run, by name: agents.learning's and agents.scripted's."""


@dataclass
class ActOutput:
    """One batched decision for all agents of a room."""

    actions: np.ndarray
    """(agents,) int64 chosen actions."""
    probabilities: np.ndarray | None = None
    """(agents, actions) float32 action probabilities, where the policy has them."""
    values: np.ndarray | None = None
    """(agents,) float32 value estimates, where the policy has them."""


@dataclass
class EpisodeFigures:
    """Training figures gathered over one episode (empty for policies that do not learn)."""

    updates: int = 0
    policy_loss: list[float] = field(default_factory=list)
    value_loss: list[float] = field(default_factory=list)
    entropy: list[float] = field(default_factory=list)
    approx_kl: list[float] = field(default_factory=list)
    mean_return: list[float] = field(default_factory=list)
    """Mean discounted return (the value targets) of each update's rollout."""

    def add_update(self, figures: np.ndarray, mean_return: float) -> None:
        """Count an update with its (4,) policy loss, value loss, entropy and approximate KL."""
        self.updates += 1
        self.policy_loss.append(float(figures[0]))
        self.value_loss.append(float(figures[1]))
        self.entropy.append(float(figures[2]))
        self.approx_kl.append(float(figures[3]))
        self.mean_return.append(mean_return)

    def summary(self) -> dict[str, float | int]:
        """Means over the episode's updates, JSON-safe."""
        out: dict[str, float | int] = {"updates": self.updates}
        for name in ("policy_loss", "value_loss", "entropy", "approx_kl", "mean_return"):
            values: list[float] = getattr(self, name)
            if values:
                out[name] = round(float(np.mean(values)), 6)
        return out


class Policy(Protocol):
    """Acts for every agent of a room in one call, and may learn from what follows."""

    name: str

    def act(self, observations: np.ndarray, masks: np.ndarray) -> ActOutput:
        """Choose actions for (agents, obs) observations under (agents, actions) masks."""
        ...

    def record(self, rewards: np.ndarray, episode_over: bool) -> None:
        """Take the rewards of the last `act`'s actions; `episode_over` ends the episode there."""
        ...

    def end_episode(self) -> None:
        """The episode was cut short after the last recorded tick (a reset)."""
        ...

    def take_figures(self) -> EpisodeFigures:
        """Hand over the training figures gathered since the last call."""
        ...
