"""SlotState: its Snapshot is the world's, and its changes are exactly env.delta.diff's."""

from __future__ import annotations

import itertools
import json

import numpy as np
import pytest

from env.config import DROP, PICK, WorldConfig
from env.core import ObservationLayout
from env.delta import apply, diff
from env.layout import lay_out
from env.parallel import ProductionEnv
from env.snapshot import SlotState, capture, capture_many, changes_many
from env.wire import AGENTS, CELLS, EVERY_FIELD, GOALS, GONE, ID_SHIFT, LOG, LOG_LEN, ROW_FIELDS, STATS


def run_states(ticks: int, agents: int, config: WorldConfig, seed: int = 5) -> list[SlotState]:
    """One SlotState per tick of a run that picks and drops whenever it can, else moves at random."""
    env = ProductionEnv(agents, config)
    _, masks = env.reset_arrays(seed=seed)
    rng = np.random.default_rng(seed)
    states = [capture(env.world, 0)]
    for _ in range(ticks - 1):
        wanted = np.array(
            [DROP if m[DROP] else PICK if m[PICK] else rng.choice(np.flatnonzero(m)) for m in masks]
        )
        step = env.step_arrays(wanted)
        _, masks = env.reset_arrays() if (step.terminated[0] or step.truncated[0]) else env.observe_arrays()
        states.append(capture(env.world, 0))
    return states


def same_json(a: object, b: object) -> bool:
    return json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)


@pytest.mark.parametrize("fold", [1, 3, 40])
def test_changes_equal_diff_of_the_snapshots(fold: int) -> None:
    # A full log that slides, episode resets, low energy: every kind of change happens.
    config = WorldConfig(
        max_ticks=60, respawn_probability=1.0, factories=8, initial_resources=20, max_energy=30
    )
    states = run_states(400, 8, config)
    assert len(states[-1].log) == 50 and states[-1].episode > 2
    sent = states[0]
    client = sent.snapshot("lab", True, 1.0)
    kinds: set[str] = set()
    for state in states[fold::fold]:
        delta = state.changes(sent)
        expected = diff(sent.snapshot("lab", True, 1.0), state.snapshot("lab", True, 1.0))
        assert same_json(delta, expected), f"tick {state.tick}: {delta} != {expected}"
        client = apply(client, json.loads(json.dumps(delta)))
        assert same_json(client, state.snapshot("lab", True, 1.0))
        kinds.update(delta)
        sent = state
    assert {"tick", CELLS, AGENTS, STATS, LOG, LOG_LEN} <= kinds
    if fold == 40:
        assert "episode" in kinds


def test_changes_between_rooms_of_other_sizes_and_agents() -> None:
    small = run_states(5, 2, WorldConfig(width=12, height=9))[-1]
    large = run_states(7, 6, WorldConfig())[-1]
    for a, b in ((small, large), (large, small)):
        delta = b.changes(a)
        assert same_json(delta, diff(a.snapshot(), b.snapshot()))
        assert same_json(apply(a.snapshot(), delta), b.snapshot())
    assert GONE in small.changes(large) and "grid" in small.changes(large)


def test_equal_states_change_nothing_and_share_no_arrays() -> None:
    env = ProductionEnv(4, WorldConfig())
    env.reset_arrays(seed=1)
    state = capture(env.world, 0)
    assert state.changes(capture(env.world, 0)) == {}
    env.world.grid[0, 0, 0] = 9
    env.world.energy[0, 0] = 1
    assert state.changes(capture(env.world, 0)) != {}
    assert capture(env.world, 0).changes(state)[CELLS][:2] == [0, 9]


def test_rewards_and_stats_change_by_whole_units() -> None:
    env = ProductionEnv(4, WorldConfig())
    env.reset_arrays(seed=1)
    env.world.agent_reward[0, 1] = env.world.episode_reward[0] = 10.55
    before = capture(env.world, 0)
    env.world.agent_reward[0, 1] = env.world.episode_reward[0] = 10.6
    now = capture(env.world, 0)
    delta = now.changes(before)
    assert delta == {STATS: [0, 50], AGENTS: [1 << ID_SHIFT | 16, 50]}  # agent 1's reward (bit 16), +0.05
    env.world.active[0, 3] = False  # other agents: the rows are found one by one
    assert capture(env.world, 0).changes(before) == {**delta, GONE: [3]}
    result = apply(before.snapshot(), delta)
    assert result["agents"][1]["reward"] == 10.6 and result["stats"]["total_reward"] == 10.6


def test_a_product_alone_changes_the_last_stat() -> None:
    env = ProductionEnv(4, WorldConfig())
    env.reset_arrays(seed=1)
    env.world.energy_spent[0] = 0  # so the efficiency stays 0.0
    before = capture(env.world, 0)
    env.world.products[0] += 1
    now = capture(env.world, 0)
    assert now.changes(before) == {STATS: [0, 0, 1]} == diff(before.snapshot(), now.snapshot())


def test_snapshot_has_no_negative_zero() -> None:
    env = ProductionEnv(2, WorldConfig())
    env.reset_arrays(seed=1)
    env.world.agent_reward[0, 0] = -0.0001
    env.world.episode_reward[0] = -0.00001
    text = json.dumps(capture(env.world, 0).snapshot())
    assert "-0.0" not in text


def test_changes_many_equals_changes_pair_by_pair() -> None:
    config = WorldConfig(max_ticks=30, respawn_probability=1.0)
    runs = [run_states(60, 4, config, seed) for seed in (1, 2, 3)]
    odd = run_states(10, 2, WorldConfig(width=12, height=9))
    pairs = [(run[t + step], run[t]) for run in runs for t, step in ((5, 1), (20, 3), (28, 15), (40, 0))]
    pairs += [(odd[-1], runs[0][3]), (runs[1][7], odd[-1]), (odd[-1], odd[2])]
    states, since = [p[0] for p in pairs], [p[1] for p in pairs]
    many = changes_many(states, since)
    for (now, before), delta in zip(pairs, many, strict=True):
        assert same_json(delta, diff(before.snapshot(), now.snapshot()))
    assert any(CELLS in d for d in many) and any(AGENTS in d for d in many) and {} in many


def test_capture_many_equals_capture_slot_by_slot() -> None:
    env = ProductionEnv(3, WorldConfig())
    env.reset_arrays(seed=4)
    world = env.world
    world.grow(3)
    for slot in (1, 2):
        world.reset_slot(slot, lay_out(world.config, np.random.SeedSequence(slot), 3), new_episode=True)
    world.active[2, 1] = False
    together = capture_many(world, np.array([2, 0, 1]))
    for state, slot in zip(together, (2, 0, 1), strict=True):
        assert same_json(state.snapshot(), capture(world, slot).snapshot())
    assert [a["id"] for a in together[0].snapshot()["agents"]] == [0, 2]


def test_each_agents_goal_is_the_one_its_observation_holds() -> None:
    # Short batteries and full hands: every goal comes up, charging included.
    config = WorldConfig(max_energy=40, max_ticks=80, respawn_probability=1.0)
    env = ProductionEnv(6, config)
    observations, masks = env.reset_arrays(seed=8)
    layout = ObservationLayout(config.view_size)
    rng = np.random.default_rng(8)
    seen: set[str] = set()
    for _ in range(300):
        shown = [agent["goal"] for agent in capture(env.world, 0).snapshot()["agents"]]
        active = env.world.active[0]
        held = observations[active, layout.goal : layout.goal + len(GOALS)]
        assert held.sum(axis=1).tolist() == [1.0] * len(shown)
        assert shown == [GOALS[code] for code in held.argmax(axis=1).tolist()]
        seen.update(shown)
        wanted = np.array(
            [DROP if m[DROP] else PICK if m[PICK] else rng.choice(np.flatnonzero(m)) for m in masks]
        )
        step = env.step_arrays(wanted)
        if step.terminated[0] or step.truncated[0]:
            observations, masks = env.reset_arrays()
        else:
            observations, masks = env.observe_arrays()
    assert seen == set(GOALS)


def test_a_goal_change_travels_as_its_code_and_applies() -> None:
    states = run_states(200, 4, WorldConfig(max_ticks=100, respawn_probability=1.0))
    goal_bit = 1 << ROW_FIELDS.index("goal")
    changed = 0
    for before, now in itertools.pairwise(states):
        delta = now.changes(before)
        assert same_json(delta, diff(before.snapshot(), now.snapshot()))
        assert same_json(apply(before.snapshot(), json.loads(json.dumps(delta))), now.snapshot())
        old = {agent["id"]: agent["goal"] for agent in before.snapshot()["agents"]}
        rows, at = delta.get(AGENTS, []), 0
        while at < len(rows):
            agent, mask = rows[at] >> ID_SHIFT, rows[at] & EVERY_FIELD
            values = rows[at + 1 : at + 1 + bin(mask).count("1")]
            goal = now.snapshot()["agents"][agent]["goal"]
            assert bool(mask & goal_bit) == (goal != old[agent])
            if mask & goal_bit:
                assert values[-1] == GOALS.index(goal)  # the goal is the row's last field
                changed += 1
            at += 1 + len(values)
    assert changed > 10
