"""simrooms.parallel_env: a real PettingZoo ParallelEnv, checked by PettingZoo's own tests."""

from __future__ import annotations

import numpy as np
import pytest
from gymnasium import spaces
from pettingzoo import ParallelEnv
from pettingzoo.test import parallel_api_test, parallel_seed_test

import simrooms
from env.config import NUM_ACTIONS


def play(env: simrooms.ProductionParallelEnv, seed: int, ticks: int) -> list[tuple[object, ...]]:
    """What `ticks` ticks of random allowed actions give, resetting when an episode ends."""
    observations, _ = env.reset(seed=seed)
    seen: list[tuple[object, ...]] = []
    for _ in range(ticks):
        if not env.agents:
            observations, _ = env.reset()
        actions = {
            agent: int(env.action_space(agent).sample(mask=observations[agent]["action_mask"]))
            for agent in env.agents
        }
        observations, rewards, terminations, truncations, _ = env.step(actions)
        seen.append(
            (
                actions,
                rewards,
                terminations,
                truncations,
                [observations[a]["observation"].tobytes() for a in sorted(observations)],
            )
        )
    return seen


def test_pettingzoo_parallel_api_test_passes() -> None:
    env = simrooms.parallel_env(max_ticks=60)
    assert isinstance(env, ParallelEnv)
    assert env.unwrapped is env
    parallel_api_test(env, num_cycles=200)


def test_pettingzoo_parallel_seed_test_passes() -> None:
    parallel_seed_test(lambda: simrooms.parallel_env(num_agents=3, max_ticks=60), num_cycles=100)


def test_spaces_metadata_and_state() -> None:
    env = simrooms.parallel_env(num_agents=2)
    assert env.possible_agents == ["agent_0", "agent_1"]
    assert env.metadata["name"] and env.metadata["is_parallelizable"] is True
    assert "ansi" in env.metadata["render_modes"]
    space = env.observation_space("agent_0")
    assert isinstance(space, spaces.Dict) and set(space.spaces) == {"observation", "action_mask"}
    assert isinstance(space["observation"], spaces.Box)
    assert env.action_space("agent_1") == spaces.Discrete(NUM_ACTIONS)
    observations, infos = env.reset(seed=5)
    assert env.agents == env.possible_agents and set(infos) == set(env.agents)
    for agent in env.agents:
        assert space.contains(observations[agent])
    assert env.state_space.contains(env.state())


def test_reset_with_a_seed_seeds_the_action_spaces() -> None:
    first, second = simrooms.parallel_env(), simrooms.parallel_env()
    first.reset(seed=11)
    second.reset(seed=11)
    draws = [
        [env.action_space(a).sample() for a in env.possible_agents for _ in range(20)]
        for env in (first, second)
    ]
    assert draws[0] == draws[1]
    first.reset(seed=12)
    assert [first.action_space(a).sample() for a in first.possible_agents for _ in range(20)] != draws[1]


def test_same_seed_same_run_other_seed_other_run() -> None:
    make = lambda: simrooms.parallel_env(num_agents=3, max_ticks=50)  # noqa: E731
    a, b = play(make(), 7, 160), play(make(), 7, 160)
    assert a == b
    assert play(make(), 8, 160) != a


def test_observations_are_the_callers_to_keep() -> None:
    env = simrooms.parallel_env()
    observations, _ = env.reset(seed=1)
    kept = observations["agent_0"]["observation"].copy()
    env.step(dict.fromkeys(env.agents, 1))
    assert np.array_equal(observations["agent_0"]["observation"], kept)


def test_world_keywords_take_effect() -> None:
    env = simrooms.parallel_env(
        num_agents=1, max_ticks=50, width=12, height=12, wall_segments=2, max_energy=10_000
    )
    env.reset(seed=3)
    steps = 0
    while env.agents:
        _, _, terminations, truncations, _ = env.step({"agent_0": 0})
        steps += 1
    assert steps == 50 and truncations["agent_0"] and not terminations["agent_0"]
    assert env.config.width == 12 and env.render() is None


def test_render_ansi_shows_the_grid() -> None:
    env = simrooms.parallel_env(num_agents=2, width=14, height=10, wall_segments=2, render_mode="ansi")
    env.reset(seed=2)
    text = env.render()
    assert text is not None
    lines = text.splitlines()
    assert (
        lines[0].startswith("tick ") and len(lines) == 1 + 10 and all(len(line) == 14 for line in lines[1:])
    )
    env.close()


def test_bad_keywords_are_refused_by_name() -> None:
    with pytest.raises(TypeError, match="'max_tick'"):
        simrooms.parallel_env(max_tick=100)
    with pytest.raises(ValueError, match="max_ticks = 10"):
        simrooms.parallel_env(max_ticks=10)
    with pytest.raises(ValueError, match="num_agents = 0"):
        simrooms.parallel_env(num_agents=0)
    with pytest.raises(ValueError, match="render_mode 'human'"):
        simrooms.parallel_env(render_mode="human")
