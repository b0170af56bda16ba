"""The reusable checks of env.conformance run on ProductionEnv, and shown able to fail."""

from __future__ import annotations

import copy
from typing import Any

import numpy as np
import pytest
from gymnasium import spaces

from env.config import DROP, EMPTY, NUM_ACTIONS, RESOURCE, WALL, WorldConfig
from env.conformance import check_determinism, check_invariants, check_parallel_api, check_snapshot
from env.parallel import ProductionEnv

SHORT = WorldConfig(max_ticks=60)


@pytest.mark.parametrize("agents", [1, 4, 8])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_parallel_api(agents: int, seed: int) -> None:
    check_parallel_api(lambda: ProductionEnv(agents, SHORT), seed=seed)


def test_parallel_api_with_episodes_that_terminate() -> None:
    # No chargers and little energy: every episode ends by termination, not truncation.
    config = WorldConfig(chargers=0, max_energy=10)
    check_parallel_api(lambda: ProductionEnv(4, config), seed=3, episodes=3)


@pytest.mark.parametrize("agents", [1, 4, 8])
@pytest.mark.parametrize("seed", [0, 7])
def test_determinism_across_episode_resets(agents: int, seed: int) -> None:
    check_determinism(lambda: ProductionEnv(agents, SHORT), seed=seed, ticks=3 * SHORT.max_ticks + 5)


def test_different_seeds_give_different_worlds() -> None:
    first, second = ProductionEnv(4), ProductionEnv(4)
    first.reset(seed=1)
    second.reset(seed=2)
    assert first.state_digest_bytes() != second.state_digest_bytes()


class _Leaky(ProductionEnv):
    """Draws from process-wide state at reset: two instances disagree from the first tick."""

    draws = iter(range(10**6))

    def reset_arrays(self, seed: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        return super().reset_arrays(next(self.draws) if seed is None else seed + next(self.draws))


def test_check_determinism_catches_hidden_state() -> None:
    with pytest.raises(AssertionError, match="differ"):
        check_determinism(lambda: _Leaky(2, SHORT), seed=0, ticks=5)


class _Endless(ProductionEnv):
    """Forgets to empty its agents when an episode ends."""

    def step(self, actions: dict[str, int]) -> Any:
        agents = list(self.agents)
        result = super().step(actions)
        self.agents = agents
        return result


def test_check_parallel_api_catches_agents_left_after_the_end() -> None:
    with pytest.raises(AssertionError, match="agents are still"):
        check_parallel_api(lambda: _Endless(2, SHORT))


# ---------------------------------------------------------------- spaces


def test_spaces_are_gymnasiums_and_hold_what_the_env_gives() -> None:
    env = ProductionEnv(3, SHORT)
    observations, _ = env.reset(seed=4)
    for agent in env.possible_agents:
        space = env.observation_space(agent)
        assert isinstance(space, spaces.Dict) and space.contains(observations[agent])
        assert env.action_space(agent) == spaces.Discrete(NUM_ACTIONS)
        sampled = space.sample()
        assert sampled["observation"].dtype == np.float32 and sampled["action_mask"].dtype == np.int8


def samples(env: ProductionEnv, count: int = 20) -> list[int]:
    return [int(env.action_space(agent).sample()) for _ in range(count) for agent in env.possible_agents]


def test_spaces_sample_as_the_env_was_seeded() -> None:
    first, second, other = ProductionEnv(2), ProductionEnv(2), ProductionEnv(2)
    first.reset(seed=1)
    second.reset(seed=1)
    other.reset(seed=2)
    assert samples(first) == samples(second) != samples(other)
    one, two = (other.action_space(agent) for agent in other.possible_agents)
    assert [one.sample() for _ in range(20)] != [two.sample() for _ in range(20)]  # a stream each
    first.reset()  # a reset without a seed goes on from where the spaces are
    second.reset(seed=1)  # one with a seed seeds them again
    assert samples(first) != samples(second)


class _Unseeded(ProductionEnv):
    """Forgets to seed its spaces: two instances sample differently."""

    def _seed_spaces(self, sequence: np.random.SeedSequence) -> None:
        pass


def test_check_determinism_catches_unseeded_spaces() -> None:
    with pytest.raises(AssertionError, match="sample differently"):
        check_determinism(lambda: _Unseeded(2, SHORT), seed=0, ticks=5)


# ---------------------------------------------------------------- snapshots


def snapshot_after(ticks: int, agents: int = 4, seed: int = 0) -> dict[str, Any]:
    env = ProductionEnv(agents, SHORT)
    env.reset(seed=seed)
    rng = np.random.default_rng(seed)
    for _ in range(ticks):
        _, masks = env.observe_arrays()
        env.step_arrays(np.array([rng.choice(np.flatnonzero(m)) for m in masks]))
    return env.snapshot(room="lab", running=True, speed=2.5)


@pytest.mark.parametrize("agents", [1, 8])
def test_snapshots_conform(agents: int) -> None:
    for ticks in (0, 1, 30):
        check_snapshot(snapshot_after(ticks, agents))


def test_turbo_snapshot_conforms() -> None:
    env = ProductionEnv(2)
    env.reset(seed=0)
    check_snapshot(env.snapshot(speed="max"))


def _unnamed_cell(s: dict[str, Any]) -> None:
    s["grid"][3][4] = 9


def _bool_carrying(s: dict[str, Any]) -> None:
    s["agents"][0]["carrying"] = True


def _ids_from_one(s: dict[str, Any]) -> None:
    for agent in s["agents"]:
        agent["id"] += 1


def _tuple_in_log(s: dict[str, Any]) -> None:
    s["log"] = [(1, 0, "pick")]


def _no_stats(s: dict[str, Any]) -> None:
    del s["stats"]


def _numpy_tick(s: dict[str, Any]) -> None:
    s["tick"] = np.int64(s["tick"])


def _nan_reward(s: dict[str, Any]) -> None:
    s["agents"][0]["reward"] = float("nan")


def _short_row(s: dict[str, Any]) -> None:
    s["grid"][0].pop()


def _unknown_goal(s: dict[str, Any]) -> None:
    s["agents"][0]["goal"] = "home"


def _no_goal(s: dict[str, Any]) -> None:
    del s["agents"][-1]["goal"]


@pytest.mark.parametrize(
    "spoil",
    [
        _unnamed_cell,
        _bool_carrying,
        _ids_from_one,
        _tuple_in_log,
        _no_stats,
        _numpy_tick,
        _nan_reward,
        _short_row,
        _unknown_goal,
        _no_goal,
    ],
)
def test_check_snapshot_rejects_broken_snapshots(spoil: Any) -> None:
    snapshot = copy.deepcopy(snapshot_after(5))
    spoil(snapshot)
    with pytest.raises(AssertionError):
        check_snapshot(snapshot)


# --------------------------------------------------------------- invariants


@pytest.mark.parametrize(("agents", "seed"), [(4, 11), (8, 12)])
def test_invariants_hold_every_tick_of_a_long_random_run(agents: int, seed: int) -> None:
    # Short batteries, many factories and a fast respawn reach the edge cases within a random
    # run: empty batteries, full hands, drops, a binding resource cap, both ways an episode ends.
    config = WorldConfig(max_energy=70, max_ticks=120, respawn_probability=1.0, factories=8)
    env = ProductionEnv(agents, config)
    _, masks = env.reset_arrays(seed=seed)
    rng = np.random.default_rng(seed)
    seen = dict.fromkeys(
        ["terminated", "truncated", "drop", "full hands", "empty battery", "resource cap"], 0
    )
    for _ in range(1500):
        result = env.step_arrays(np.array([rng.choice(np.flatnonzero(m)) for m in masks]))
        check_invariants(env)
        world = env.world
        seen["drop"] += int((result.actions == DROP).any())
        seen["full hands"] += int((world.carrying[0] == config.carry_capacity).any())
        seen["empty battery"] += int((world.energy[0] == 0).any())
        seen["resource cap"] += int((world.grid[0] == RESOURCE).sum() == config.max_resources)
        if result.terminated[0] or result.truncated[0]:
            seen["terminated" if result.terminated[0] else "truncated"] += 1
            _, masks = env.reset_arrays()
        else:
            _, masks = env.observe_arrays()
    assert all(seen.values()), f"The run missed some situations: {seen}."


def _shared_cell(env: ProductionEnv) -> None:
    env.world.pos[0, 1] = env.world.pos[0, 0]


def _on_wall(env: ProductionEnv) -> None:
    y, x = env.world.pos[0, 0]
    env.world.grid[0, y, x] = WALL


def _lost_resource(env: ProductionEnv) -> None:
    env.world.carrying[0, 0] = 1


def _overcharged(env: ProductionEnv) -> None:
    env.world.energy[0, 1] = env.config.max_energy + 1


def _overloaded(env: ProductionEnv) -> None:
    env.world.carrying[0, 1] = env.config.carry_capacity + 1
    env.world.spawned[0] += env.config.carry_capacity + 1


@pytest.mark.parametrize("spoil", [_shared_cell, _on_wall, _lost_resource, _overcharged, _overloaded])
def test_check_invariants_catches_broken_states(spoil: Any) -> None:
    env = ProductionEnv(2)
    env.reset(seed=0)
    check_invariants(env)
    spoil(env)
    with pytest.raises(AssertionError):
        check_invariants(env)


def test_check_invariants_catches_stale_distances() -> None:
    env = ProductionEnv(2)
    env.reset(seed=0)
    y, x = np.argwhere(env.world.grid[0] == RESOURCE)[0]
    env.world.grid[0, y, x] = EMPTY  # a resource vanishes without its distance field being redrawn
    env.world.spawned[0] -= 1
    with pytest.raises(AssertionError, match="stale"):
        check_invariants(env)
