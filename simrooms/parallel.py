"""`simrooms.parallel_env`: the production world as a real PettingZoo ``ParallelEnv``.

Researchers train their own agents with their own libraries, which speak PettingZoo and
Gymnasium. This wraps the project's one-world env (env.parallel.ProductionEnv, itself one slot of
the batched world the server runs) in PettingZoo's own base class, so that PettingZoo's checks,
wrappers and vectorisers (SuperSuit and the like) accept it, and so that a policy trained here
sees the same observations, masks and rewards as a room's agents do. The world's parameters are
the keywords of `simrooms.WorldSettings`, validated with the same bounds as a room's config.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
from gymnasium import spaces
from pettingzoo import ParallelEnv
from pydantic import ValidationError

from env.config import MAX_AGENTS, WorldConfig
from env.core import observation_size
from env.parallel import ProductionEnv
from simrooms.config import WorldSettings, describe_error

Observation = dict[str, np.ndarray]
RENDER_MODES = ("ansi",)
_CELL_CHARACTERS = {"empty": ".", "wall": "#", "resource": "r", "factory": "F", "charger": "C"}


class ProductionParallelEnv(ParallelEnv[str, Observation, int]):  # type: ignore[misc]
    """One production world with `num_agents` agents, stepped all at once (PettingZoo's parallel
    API). Observations are ``{"observation": float32 Box, "action_mask": int8 0/1 Box}`` (a
    Gymnasium ``Dict``), actions ``Discrete``; an action the mask forbids is taken as staying
    put (infos name the action taken). Every agent's episode ends on the same tick: when every
    agent's energy ran out (terminated) or at ``max_ticks`` (truncated).

    ``reset(seed=s)`` starts the episodes of seed `s` and seeds every agent's observation and
    action spaces from it, so that ``action_space(agent).sample()`` follows the env's seed; a
    reset without a seed goes on to the next episode of the same seed sequence.
    """

    metadata: ClassVar[dict[str, Any]] = {
        "name": "simrooms_production_v0",
        "render_modes": list(RENDER_MODES),
        "is_parallelizable": True,
    }

    def __init__(
        self, num_agents: int = 4, config: WorldConfig | None = None, render_mode: str | None = None
    ) -> None:
        if render_mode is not None and render_mode not in RENDER_MODES:
            raise ValueError(
                f"render_mode {render_mode!r} is not supported: use None or one of {', '.join(RENDER_MODES)}."
            )
        self.render_mode = render_mode
        self.world_env = ProductionEnv(num_agents, config)
        """The project's own env underneath (arrays in, arrays out; snapshots and digests)."""
        self.config = self.world_env.config
        self.possible_agents = list(self.world_env.possible_agents)
        self.agents: list[str] = []
        # The very space objects the inner env seeds: one Dict and one Discrete per agent.
        self.observation_spaces = self.world_env.observation_spaces
        self.action_spaces = self.world_env.action_spaces
        size = observation_size(self.config)
        self.state_space = spaces.Box(-1.0, 1.0, (len(self.possible_agents) * size,), np.float32)

    def observation_space(self, agent: str) -> spaces.Dict:
        return self.observation_spaces[agent]

    def action_space(self, agent: str) -> spaces.Discrete:
        return self.action_spaces[agent]

    def reset(
        self, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[dict[str, Observation], dict[str, dict[str, Any]]]:
        observations, infos = self.world_env.reset(seed=seed, options=options)
        self.agents = list(self.world_env.agents)
        return _owned(observations), infos

    def step(
        self, actions: dict[str, int]
    ) -> tuple[
        dict[str, Observation],
        dict[str, float],
        dict[str, bool],
        dict[str, bool],
        dict[str, dict[str, Any]],
    ]:
        observations, rewards, terminations, truncations, infos = self.world_env.step(
            {agent: int(action) for agent, action in actions.items()}
        )
        self.agents = list(self.world_env.agents)
        return _owned(observations), rewards, terminations, truncations, infos

    def state(self) -> np.ndarray:
        """Every agent's observation, one after the other (``state_space``): a global view that
        costs one copy, for centralised critics."""
        observations, _ = self.world_env.observe_arrays()
        return np.asarray(observations, dtype=np.float32).reshape(-1).copy()

    def render(self) -> str | None:
        """The grid as text (``#`` wall, ``r`` resource, ``F`` factory, ``C`` charger, digits the
        agents) and the episode's figures, with render_mode "ansi"; nothing otherwise."""
        if self.render_mode != "ansi":
            return None
        snapshot = self.world_env.snapshot()
        legend = {int(code): _CELL_CHARACTERS.get(name, "?") for code, name in snapshot["legend"].items()}
        rows = [[legend.get(cell, "?") for cell in row] for row in snapshot["grid"]]
        for agent in snapshot["agents"]:
            rows[agent["y"]][agent["x"]] = str(agent["id"] % 10)
        stats = snapshot["stats"]
        header = (
            f"tick {snapshot['tick']} episode {snapshot['episode']}: "
            f"{stats['products_created']} products, reward {stats['total_reward']:.2f}"
        )
        return "\n".join([header, *("".join(row) for row in rows)])

    def close(self) -> None:
        """Nothing to release: the world is numpy arrays in this process."""


def _owned(observations: dict[str, Observation]) -> dict[str, Observation]:
    """Observations the caller may keep: the inner env's are views of buffers it reuses."""
    return {
        agent: {name: np.array(value, copy=True) for name, value in observation.items()}
        for agent, observation in observations.items()
    }


def parallel_env(
    num_agents: int = 4, render_mode: str | None = None, **world_fields: Any
) -> ProductionParallelEnv:
    """A PettingZoo ParallelEnv of the production world: `num_agents` agents (1 to MAX_AGENTS)
    on a world configured by `world_fields`, the fields of `simrooms.WorldSettings` (the
    `world` part of a room's config: ``max_ticks=200``, ``width=12``...), each bounded as it is
    for a room. A keyword that is no world field raises TypeError, a value out of bounds
    ValueError, each naming the keyword and value."""
    if isinstance(num_agents, bool) or not isinstance(num_agents, int) or not 1 <= num_agents <= MAX_AGENTS:
        raise ValueError(
            f"num_agents = {num_agents!r} is refused: it must be an integer from 1 to {MAX_AGENTS}."
        )
    unknown = sorted(set(world_fields) - set(WorldSettings.model_fields))
    if unknown:
        raise TypeError(
            f"parallel_env() got the keyword {unknown[0]!r}, which is neither num_agents, render_mode "
            f"nor a world config field ({', '.join(WorldSettings.model_fields)})."
        )
    try:
        settings = WorldSettings(**world_fields)
    except ValidationError as error:
        raise ValueError(f"parallel_env(): {describe_error(error)}") from None
    return ProductionParallelEnv(num_agents, settings.to_world_config(), render_mode=render_mode)
