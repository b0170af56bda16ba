"""Reusable checks of the production world, in the spirit of PettingZoo's ``parallel_api_test``
and Gymnasium's ``check_env``. Each raises AssertionError with a message saying what is wrong.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from typing import Any

import numpy as np
from gymnasium import spaces

from env.config import ACTION_NAMES, CELL_NAMES, CHARGER, FACTORY, RESOURCE, WALL
from env.core import BatchedWorld
from env.distance import UNREACHABLE
from env.parallel import ProductionEnv
from env.wire import AGENT_FIELDS, GOALS, LOG_FIELDS, SNAPSHOT_FIELDS, STATS_FIELDS

EnvFactory = Callable[[], ProductionEnv]

_REQUIRED_AGENT_FIELDS = tuple(field for field in AGENT_FIELDS if field != "action")
"""A Snapshot agent's fields but its action, which it may lack."""


def check_parallel_api(env_factory: EnvFactory, seed: int = 0, episodes: int = 2) -> None:
    """Play `episodes` episodes with random allowed actions, checking the parallel API's contract
    at every step. The env's episodes must end within ``config.max_ticks`` steps."""
    env = env_factory()
    agents = env.possible_agents
    assert agents and len(set(agents)) == len(agents), (
        f"possible_agents {agents} must be non-empty and unique."
    )
    for agent in agents:
        assert isinstance(env.observation_space(agent), spaces.Dict), (
            f"The observation space of {agent} is no Dict."
        )
        assert isinstance(env.action_space(agent), spaces.Discrete), (
            f"The action space of {agent} is not Discrete."
        )
        # PettingZoo asks for the same space objects on every call: their seeds live in them.
        assert env.observation_space(agent) is env.observation_space(agent), (
            f"{agent}'s space changes per call."
        )
        assert env.action_space(agent) is env.action_space(agent), f"{agent}'s action space changes per call."
    chooser = np.random.default_rng(seed)
    for episode in range(episodes):
        tick, episode_number = env.tick, env.episode
        observations, infos = env.reset(seed=seed if episode == 0 else None)
        assert env.tick == tick, f"reset() moved the tick from {tick} to {env.tick}; the tick goes on."
        assert env.episode == episode_number + 1, f"reset() made episode {env.episode} of {episode_number}."
        assert env.agents == agents, f"After reset the agents are {env.agents}, not all of {agents}."
        _check_keys("reset's observations", observations, agents)
        _check_keys("reset's infos", infos, agents)
        _check_observations(env, observations)
        for _ in range(env.config.max_ticks):
            actions = {
                a: int(chooser.choice(np.flatnonzero(observations[a]["action_mask"]))) for a in env.agents
            }
            acting = list(env.agents)
            observations, rewards, terminations, truncations, infos = env.step(actions)
            assert env.tick == tick + 1, f"A step moved the tick from {tick} to {env.tick}."
            tick = env.tick
            for name, result in (
                ("observations", observations),
                ("rewards", rewards),
                ("terminations", terminations),
                ("truncations", truncations),
                ("infos", infos),
            ):
                _check_keys(f"step's {name}", result, acting)
            _check_observations(env, observations)
            for agent in acting:
                assert isinstance(rewards[agent], float) and math.isfinite(rewards[agent]), (
                    f"The reward of {agent} is {rewards[agent]!r}, not a finite float."
                )
                assert isinstance(terminations[agent], bool) and isinstance(truncations[agent], bool), (
                    f"The termination and truncation of {agent} must be bools."
                )
                taken = infos[agent].get("action")
                assert taken == ACTION_NAMES[actions[agent]], (
                    f"{agent} chose the allowed action {ACTION_NAMES[actions[agent]]!r} but infos report {taken!r}."
                )
            ended = [a for a in acting if terminations[a] or truncations[a]]
            if ended:
                assert ended == acting, (
                    f"Only {ended} of {acting} ended: an episode ends for every agent at once."
                )
                assert env.agents == [], f"The episode ended but the agents are still {env.agents}."
                break
            assert env.agents == acting, f"The agents changed from {acting} to {env.agents} mid-episode."
        else:
            raise AssertionError(
                f"Episode {episode + 1} did not end within max_ticks={env.config.max_ticks} steps."
            )
        assert _raises(lambda: env.step(dict.fromkeys(agents, 0))), (
            "step() after the episode ended did not raise."
        )
    env.reset()
    assert _raises(lambda: env.step({"no_such_agent": 0})), "step() with an unknown agent did not raise."


def check_determinism(env_factory: EnvFactory, seed: int, ticks: int) -> None:
    """Two envs from `env_factory`, reset with `seed` and given the same random allowed actions,
    must have equal state digests, snapshots and observations after every one of `ticks` ticks,
    resetting (without a seed) whenever an episode ends."""
    first, second = env_factory(), env_factory()
    observations = _reset_both(first, second, seed)
    _check_same_samples(first, second)
    chooser = np.random.default_rng(seed)
    for _ in range(ticks):
        actions = {
            a: int(chooser.choice(np.flatnonzero(observations[a]["action_mask"]))) for a in first.agents
        }
        a_result, b_result = first.step(actions), second.step(actions)
        assert a_result[1:] == b_result[1:], (
            f"Rewards, terminations, truncations or infos differ at tick {first.tick}: {a_result[1:]} and {b_result[1:]}."
        )
        _check_same_state(first, second, a_result[0], b_result[0])
        observations = a_result[0] if first.agents else _reset_both(first, second, None)


def check_snapshot(snapshot: dict[str, Any]) -> None:
    """The snapshot is JSON-safe and has every field of the acceptance interface's Snapshot."""
    try:
        text = json.dumps(snapshot, allow_nan=False)
    except (TypeError, ValueError) as error:
        raise AssertionError(f"The snapshot is not JSON-safe: {error}.") from error
    assert json.loads(text) == snapshot, "The snapshot changes in a JSON round trip."
    missing = [field for field in SNAPSHOT_FIELDS if field not in snapshot]
    assert not missing, f"The snapshot lacks the fields {missing}."
    assert isinstance(snapshot["room"], str), f"room {snapshot['room']!r} is not a string."
    for field in ("tick", "episode", "width", "height"):
        assert _is_int(snapshot[field]) and snapshot[field] >= 0, (
            f"{field} {snapshot[field]!r} is not an int >= 0."
        )
    assert isinstance(snapshot["running"], bool), f"running {snapshot['running']!r} is not a bool."
    speed = snapshot["speed"]
    assert speed == "max" or _is_number(speed), f"speed {speed!r} is neither a number nor 'max'."

    width, height, grid, legend = snapshot["width"], snapshot["height"], snapshot["grid"], snapshot["legend"]
    assert isinstance(legend, dict) and all(isinstance(v, str) for v in legend.values()), (
        f"legend {legend!r} is not an object of names."
    )
    assert isinstance(grid, list) and len(grid) == height, f"grid has {len(grid)} rows, not height={height}."
    for y, row in enumerate(grid):
        assert isinstance(row, list) and len(row) == width, f"grid row {y} does not hold width={width} cells."
        for x, value in enumerate(row):
            assert _is_int(value), f"grid[{y}][{x}] is {value!r}, not an int."
            assert str(value) in legend, f"grid[{y}][{x}] is {value}, which the legend does not name."

    agents = snapshot["agents"]
    assert [a.get("id") for a in agents] == list(range(len(agents))), (
        f"Agent ids are {[a.get('id') for a in agents]}, not 0 to {len(agents) - 1} in order."
    )
    for agent in agents:
        lacking = [field for field in _REQUIRED_AGENT_FIELDS if field not in agent]
        assert not lacking, f"Agent {agent['id']} lacks {lacking}."
        for field in ("x", "y", "energy", "carrying"):
            assert _is_int(agent[field]), f"Agent {agent['id']}'s {field} {agent[field]!r} is not an int."
        assert 0 <= agent["x"] < width and 0 <= agent["y"] < height, (
            f"Agent {agent['id']} at ({agent['x']}, {agent['y']}) is off the {width}x{height} grid."
        )
        assert _is_number(agent["reward"]), (
            f"Agent {agent['id']}'s reward {agent['reward']!r} is not a number."
        )
        assert isinstance(agent.get("action", ""), str), (
            f"Agent {agent['id']}'s action {agent['action']!r} is not a string."
        )
        assert agent["goal"] in GOALS, (
            f"Agent {agent['id']}'s goal {agent['goal']!r} is not one of {', '.join(GOALS)}."
        )

    stats = snapshot["stats"]
    for field in STATS_FIELDS:
        assert _is_number(stats.get(field)), f"stats.{field} is {stats.get(field)!r}, not a number."
    for entry in snapshot["log"]:
        assert isinstance(entry, dict) and set(entry) == set(LOG_FIELDS), (
            f"Log entry {entry!r} is not {LOG_FIELDS}."
        )
        assert _is_int(entry["tick"]) and _is_int(entry["agent"]) and isinstance(entry["action"], str), (
            f"Log entry {entry!r} must hold an int tick, an int agent and a string action."
        )


def check_invariants(env: ProductionEnv | BatchedWorld) -> None:
    """The world's state is physically possible, in every slot: energy and loads within bounds,
    agents on free cells of their own, distances to targets that match the grid, and every
    resource ever spawned accounted for."""
    world = env.world if isinstance(env, ProductionEnv) else env
    cfg = world.config
    for slot in range(world.slots):
        where = f"slot {slot} at tick {int(world.total_tick[slot])}"
        active = world.active[slot]
        energy, carrying, pos = (
            world.energy[slot][active],
            world.carrying[slot][active],
            world.pos[slot][active],
        )
        assert np.all((energy >= 0) & (energy <= cfg.max_energy)), (
            f"Energy {energy.tolist()} leaves [0, {cfg.max_energy}] in {where}."
        )
        assert np.all((carrying >= 0) & (carrying <= cfg.carry_capacity)), (
            f"Loads {carrying.tolist()} leave [0, {cfg.carry_capacity}] in {where}."
        )
        y, x = pos[:, 0].astype(np.int64), pos[:, 1].astype(np.int64)
        assert np.all((y >= 0) & (y < cfg.height) & (x >= 0) & (x < cfg.width)), (
            f"Agents at {pos.tolist()} are off the grid in {where}."
        )
        cells = y * cfg.width + x
        assert len(np.unique(cells)) == len(cells), f"Agents at {pos.tolist()} share a cell in {where}."
        grid = world.grid[slot]
        unknown = sorted(set(np.unique(grid).tolist()) - set(CELL_NAMES))
        assert not unknown, f"The grid holds cell values {unknown} that are no cell type in {where}."
        assert not np.any(grid[y, x] == WALL), f"An agent of {pos.tolist()} stands on a wall in {where}."
        # The world keeps each cell's distance to the nearest target between ticks; it must
        # follow every change of the grid.
        size = cfg.height * cfg.width
        for column, target in enumerate((RESOURCE, FACTORY, CHARGER)):
            spots = np.flatnonzero(grid.reshape(-1) == target)
            nearest = world.dist[slot, :size][:, spots].min(axis=1) if len(spots) else UNREACHABLE
            assert np.array_equal(world.fields[slot, :size, column], np.broadcast_to(nearest, size)), (
                f"The distances to the nearest {CELL_NAMES[target]} are stale in {where}."
            )
        on_grid = int((grid == RESOURCE).sum())
        carried = int(carrying.sum())
        spawned, consumed = int(world.spawned[slot]), int(world.consumed[slot])
        assert spawned == on_grid + carried + consumed, (
            f"{spawned} resources spawned but {on_grid} lie on the grid, {carried} are carried and "
            f"{consumed} were consumed in {where}."
        )


def _check_keys(what: str, result: dict[str, Any], agents: list[str]) -> None:
    assert isinstance(result, dict) and sorted(result) == sorted(agents), (
        f"{what} are keyed by {sorted(result) if isinstance(result, dict) else result!r}, not by {sorted(agents)}."
    )


def _check_observations(env: ProductionEnv, observations: dict[str, dict[str, np.ndarray]]) -> None:
    for agent, observation in observations.items():
        vector, mask = observation["observation"], observation["action_mask"]
        space = env.observation_space(agent)
        # Box.contains takes any dtype that casts to its own safely; the observation must be exact.
        assert vector.dtype == np.float32, f"The observation of {agent} is {vector.dtype}, not float32."
        assert space.contains(observation), f"The observation of {agent} lies outside its space {space}."
        n = int(env.action_space(agent).n)
        assert mask.shape == (n,) and mask.dtype == np.int8, (
            f"The action mask of {agent} has shape {mask.shape} and dtype {mask.dtype}, not ({n},) int8."
        )
        assert set(np.unique(mask).tolist()) <= {0, 1} and mask.any(), (
            f"The action mask of {agent} is {mask.tolist()}: it must be 0/1 and allow some action."
        )


def _reset_both(
    first: ProductionEnv, second: ProductionEnv, seed: int | None
) -> dict[str, dict[str, np.ndarray]]:
    a_obs, _ = first.reset(seed=seed)
    b_obs, _ = second.reset(seed=seed)
    _check_same_state(first, second, a_obs, b_obs)
    return a_obs


def _check_same_state(
    first: ProductionEnv,
    second: ProductionEnv,
    a_obs: dict[str, dict[str, np.ndarray]],
    b_obs: dict[str, dict[str, np.ndarray]],
) -> None:
    where = f"tick {first.tick} (episode {first.episode})"
    assert first.state_digest_bytes() == second.state_digest_bytes(), f"The states differ at {where}."
    assert json.dumps(first.snapshot()) == json.dumps(second.snapshot()), f"The snapshots differ at {where}."
    for agent in a_obs:
        for part in ("observation", "action_mask"):
            assert np.array_equal(a_obs[agent][part], b_obs[agent][part]), (
                f"The {part}s of {agent} differ at {where}."
            )


def _check_same_samples(first: ProductionEnv, second: ProductionEnv) -> None:
    """Spaces seeded with their envs' equal seeds sample alike."""
    for agent in first.possible_agents:
        a_obs, b_obs = first.observation_space(agent).sample(), second.observation_space(agent).sample()
        assert all(np.array_equal(a_obs[part], b_obs[part]) for part in a_obs), (
            f"The observation spaces of {agent} sample differently after resets with one seed."
        )
        a_act, b_act = first.action_space(agent).sample(), second.action_space(agent).sample()
        assert a_act == b_act, (
            f"The action spaces of {agent} sample {a_act} and {b_act} after resets with one seed."
        )


def _raises(call: Callable[[], object]) -> bool:
    try:
        call()
    except Exception:
        return True
    return False


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return _is_int(value) or (isinstance(value, float) and math.isfinite(value))
