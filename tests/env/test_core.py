"""The world's rules, on small hand-drawn states."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from env.config import (
    CHARGER,
    DOWN,
    DROP,
    EMPTY,
    FACTORY,
    LEFT,
    NUM_ACTIONS,
    PICK,
    RESOURCE,
    RIGHT,
    STAY,
    UP,
    WALL,
    WorldConfig,
)
from env.conformance import check_invariants
from env.core import BatchedWorld, StepResult
from env.layout import lay_out

# Map characters; a digit is that agent standing on an empty cell.
CELLS = {".": EMPTY, "#": WALL, "r": RESOURCE, "F": FACTORY, "C": CHARGER}
# Small enough for hand-drawn 5x5 maps; respawn and shaping off unless a test turns them on.
QUIET = {
    "factories": 1,
    "chargers": 1,
    "initial_resources": 1,
    "max_resources": 2,
    "respawn_probability": 0.0,
    "shaping_scale": 0.0,
}


def build(
    rows: list[str],
    *,
    under: dict[int, int] | None = None,
    energy: dict[int, int] | None = None,
    carrying: dict[int, int] | None = None,
    key: int = 0,
    **overrides: Any,
) -> BatchedWorld:
    """A one-slot world laid out as `rows`; `under` puts cells beneath agents."""
    config = WorldConfig(**{**QUIET, "width": len(rows[0]), "height": len(rows), **overrides})
    starts = sorted((int(c), y, x) for y, row in enumerate(rows) for x, c in enumerate(row) if c.isdigit())
    world = BatchedWorld(config, slots=1, max_agents=len(starts))
    world.reset_slot(0, lay_out(config, np.random.SeedSequence(0), len(starts)), new_episode=True)
    grid = np.array([[CELLS.get(c, EMPTY) for c in row] for row in rows], dtype=np.int8)
    for agent, cell in (under or {}).items():
        _, y, x = starts[agent]
        grid[y, x] = cell
    world.lay_grid(0, grid)
    world.pos[0] = [(y, x) for _, y, x in starts]
    for agent, value in (energy or {}).items():
        world.energy[0, agent] = value
    for agent, value in (carrying or {}).items():
        world.carrying[0, agent] = value
    world.key[0] = key
    world.spawned[0] = int((grid == RESOURCE).sum()) + int(world.carrying[0].sum())
    check_invariants(world)
    return world


def step(world: BatchedWorld, *actions: int) -> StepResult:
    result = world.step(np.zeros(1, dtype=np.int64), np.array([actions]))
    check_invariants(world)
    return result


def position(world: BatchedWorld, agent: int) -> tuple[int, int]:
    y, x = world.pos[0, agent]
    return int(y), int(x)


# ------------------------------------------------------------------ moves


@pytest.mark.parametrize("action", [UP, LEFT, RIGHT])
def test_moves_into_walls_and_edges_become_stay_and_cost_nothing(action: int) -> None:
    world = build(["0#...", ".....", ".....", ".....", "....."])
    assert not world.action_masks(np.zeros(1, dtype=np.int64))[0, 0, action]
    result = step(world, action)
    assert result.actions[0, 0] == STAY
    assert position(world, 0) == (0, 0)
    assert world.energy[0, 0] == world.config.max_energy


def test_a_free_move_moves_and_costs_move_cost() -> None:
    world = build(["0#...", ".....", ".....", ".....", "....."], move_cost=3)
    result = step(world, DOWN)
    assert result.actions[0, 0] == DOWN
    assert position(world, 0) == (1, 0)
    assert world.energy[0, 0] == world.config.max_energy - 3


def test_a_move_into_a_standing_agent_is_blocked_but_costs_energy() -> None:
    world = build(["01...", ".....", ".....", ".....", "....."])
    step(world, RIGHT, STAY)
    assert position(world, 0) == (0, 0) and position(world, 1) == (0, 1)
    assert world.energy[0].tolist() == [world.config.max_energy - 1, world.config.max_energy]


def test_agents_cannot_swap_cells() -> None:
    world = build(["01...", ".....", ".....", ".....", "....."])
    step(world, RIGHT, LEFT)
    assert position(world, 0) == (0, 0) and position(world, 1) == (0, 1)


def test_two_agents_aiming_at_one_cell_resolve_by_the_seed_alone() -> None:
    winners = []
    for key in range(40):
        outcomes = set()
        for _ in range(2):
            world = build(["0.1..", ".....", ".....", ".....", "....."], key=key)
            step(world, RIGHT, LEFT)
            at_target = [agent for agent in (0, 1) if position(world, agent) == (0, 1)]
            assert len(at_target) == 1, f"key {key}: agents {at_target} reached the contested cell."
            loser = 1 - at_target[0]
            assert position(world, loser) == ((0, 0) if loser == 0 else (0, 2))
            outcomes.add(at_target[0])
        assert len(outcomes) == 1, f"key {key} gave different winners on equal states."
        winners.append(outcomes.pop())
    # Agent index gives no precedence: each agent wins for some keys.
    assert set(winners) == {0, 1}


def test_an_agent_may_follow_one_that_moves_away_first() -> None:
    followed = set()
    for key in range(40):
        world = build(["01...", ".....", ".....", ".....", "....."], key=key)
        step(world, RIGHT, RIGHT)
        assert position(world, 1) == (0, 2)
        followed.add(position(world, 0) == (0, 1))
    # Whether the follower moves depends on who goes first; both orders happen.
    assert followed == {True, False}


# ------------------------------------------------------------ pick, drop, charge


def test_pick_takes_the_resource_for_work_cost_and_pick_reward() -> None:
    world = build(
        ["0....", ".....", ".....", ".....", "....."], under={0: RESOURCE}, work_cost=2, pick_reward=0.25
    )
    result = step(world, PICK)
    assert result.actions[0, 0] == PICK
    assert world.grid[0, 0, 0] == EMPTY
    assert world.carrying[0, 0] == 1
    assert world.energy[0, 0] == world.config.max_energy - 2
    assert result.rewards[0, 0] == pytest.approx(0.25)
    assert list(world.log[0]) == [(1, 0, "pick")]


@pytest.mark.parametrize(
    ("cell", "load"),
    [(EMPTY, 0), (FACTORY, 0), (RESOURCE, 2)],
    ids=["nothing-there", "not-a-resource", "hands-full"],
)
def test_pick_where_it_is_not_allowed_becomes_stay(cell: int, load: int) -> None:
    world = build(["0....", ".....", ".....", ".....", "....."], under={0: cell}, carrying={0: load})
    result = step(world, PICK)
    assert result.actions[0, 0] == STAY
    assert world.grid[0, 0, 0] == cell and world.carrying[0, 0] == load
    assert world.energy[0, 0] == world.config.max_energy
    assert result.rewards[0, 0] == 0.0


def test_drop_at_a_factory_makes_one_product_per_resource() -> None:
    world = build(
        ["0....", ".....", ".....", ".....", "....."], under={0: FACTORY}, carrying={0: 2}, product_reward=1.5
    )
    result = step(world, DROP)
    assert result.actions[0, 0] == DROP
    assert result.rewards[0, 0] == pytest.approx(3.0)
    assert world.carrying[0, 0] == 0
    assert world.products[0] == 2 and world.consumed[0] == 2
    assert world.grid[0, 0, 0] == FACTORY
    assert world.energy[0, 0] == world.config.max_energy - world.config.work_cost


@pytest.mark.parametrize(("cell", "load"), [(EMPTY, 1), (FACTORY, 0)], ids=["no-factory", "nothing-carried"])
def test_drop_where_it_is_not_allowed_becomes_stay(cell: int, load: int) -> None:
    world = build(["0....", ".....", ".....", ".....", "....."], under={0: cell}, carrying={0: load})
    result = step(world, DROP)
    assert result.actions[0, 0] == STAY
    assert world.carrying[0, 0] == load and world.products[0] == 0


@pytest.mark.parametrize(("before", "after"), [(50, 75), (90, 100), (0, 25)])
def test_a_tick_ended_on_a_charger_restores_charge_rate(before: int, after: int) -> None:
    world = build(["0....", ".....", ".....", ".....", "....."], under={0: CHARGER}, energy={0: before})
    step(world, STAY)
    assert world.energy[0, 0] == after


def test_moving_onto_a_charger_pays_the_move_then_charges() -> None:
    world = build(["0C...", ".....", ".....", ".....", "....."], energy={0: 10})
    step(world, RIGHT)
    assert world.energy[0, 0] == 10 - 1 + 25


# ------------------------------------------------------------------ energy


def test_running_out_of_energy_is_penalised_once_and_leaves_only_stay() -> None:
    world = build(["0....", ".....", ".....", ".....", ".2..1"], energy={0: 1}, out_of_energy_penalty=0.7)
    result = step(world, DOWN, STAY, STAY)
    assert world.energy[0].tolist() == [0, 100, 100]
    assert result.rewards[0, 0] == pytest.approx(-0.7)
    assert list(world.log[0]) == [(1, 0, "out_of_energy")]
    assert not result.terminated[0]
    masks = world.action_masks(np.zeros(1, dtype=np.int64))[0, 0]
    assert masks.tolist() == [a == STAY for a in range(NUM_ACTIONS)]
    result = step(world, DOWN, STAY, STAY)
    assert result.actions[0, 0] == STAY and result.rewards[0, 0] == 0.0


def test_the_episode_terminates_when_every_agent_is_out_of_energy() -> None:
    world = build(["0....", ".....", ".....", ".....", "1...."], energy={0: 1, 1: 2}, max_ticks=2)
    result = step(world, DOWN, UP)
    assert not result.terminated[0] and not result.truncated[0]
    result = step(world, RIGHT, UP)
    # The tick limit falls on the same tick: termination wins, truncation stays false.
    assert result.terminated[0] and not result.truncated[0]


def test_the_episode_is_truncated_at_max_ticks() -> None:
    world = build(["0....", ".....", ".....", ".....", "....."], max_ticks=3)
    ends = [bool(step(world, STAY).truncated[0]) for _ in range(3)]
    assert ends == [False, False, True]
    assert world.episode_tick[0] == 3 and world.total_tick[0] == 3


@pytest.mark.parametrize("action", [-1, NUM_ACTIONS, 100, -128])
def test_actions_out_of_range_become_stay(action: int) -> None:
    world = build(["0....", ".....", ".....", ".....", "....."])
    result = step(world, action)
    assert result.actions[0, 0] == STAY
    assert position(world, 0) == (0, 0) and world.energy[0, 0] == world.config.max_energy


# ----------------------------------------------------------------- respawn


def test_respawn_grows_one_resource_a_tick_up_to_max_resources() -> None:
    world = build(
        ["0r....", "......", "......", "......", "......"], respawn_probability=1.0, max_resources=3
    )
    counts = []
    for _ in range(6):
        step(world, STAY)
        counts.append(int((world.grid[0] == RESOURCE).sum()))
    assert counts == [2, 3, 3, 3, 3, 3] and world.spawned[0] == 3


def test_respawn_spares_cells_with_agents() -> None:
    # Three free cells, two of them under agents: every resource must grow on the third.
    world = build(["0.1##", "#####", "#####", "#####", "#####"], respawn_probability=1.0, max_resources=2)
    for _ in range(5):
        step(world, STAY, STAY)
    assert world.grid[0, 0].tolist() == [EMPTY, RESOURCE, EMPTY, WALL, WALL]
    assert world.spawned[0] == 1


def test_respawn_replaces_a_picked_resource() -> None:
    world = build(
        ["0....", ".....", ".....", ".....", "....."],
        under={0: RESOURCE},
        respawn_probability=1.0,
        max_resources=1,
    )
    step(world, PICK)
    assert (world.grid[0] == RESOURCE).sum() == 1 and world.grid[0, 0, 0] == EMPTY
    assert world.spawned[0] == 2 and world.carrying[0, 0] == 1


# ----------------------------------------------------------------- shaping


def test_shaping_telescopes_to_the_distance_gained_while_the_goal_holds() -> None:
    # The only resource sits behind a wall; the agent wanders without picking, so its goal (the
    # resource) holds and the shaping summed over the walk is scale x (first - last distance).
    rows = [
        "....r..",
        ".#####.",
        ".......",
        "...0...",
        ".......",
    ]
    world = build(rows, shaping_scale=0.05, max_ticks=500)
    walk = np.random.default_rng(3).integers(0, 5, size=60)
    total = sum(float(step(world, int(action)).rewards[0, 0]) for action in walk)
    y, x = position(world, 0)
    walked = int(world.dist[0, y * 7 + x, 0 * 7 + 4])
    assert walked != 8  # the walk went somewhere, so the sum is not trivially zero
    assert total == pytest.approx(0.05 * (8 - walked), abs=1e-5)


def test_a_closed_loop_earns_no_shaping() -> None:
    world = build([".....", "..0..", ".....", ".....", "r...."], shaping_scale=0.05)
    rewards = [float(step(world, a).rewards[0, 0]) for a in (DOWN, LEFT, LEFT, UP, RIGHT, RIGHT)]
    assert position(world, 0) == (1, 2)
    assert rewards[0] > 0 and rewards[3] < 0
    assert sum(rewards) == pytest.approx(0.0, abs=1e-6)


# --------------------------------------------------- slots step independently


def world_state(world: BatchedWorld, slot: int) -> dict[str, Any]:
    arrays = (
        "grid",
        "pos",
        "energy",
        "carrying",
        "active",
        "last_action",
        "agent_reward",
        "key",
        "episode_tick",
        "total_tick",
        "episode",
        "products",
        "energy_spent",
        "episode_reward",
        "spawned",
        "consumed",
    )
    state: dict[str, Any] = {name: getattr(world, name)[slot].tolist() for name in arrays}
    state["log"] = list(world.log[slot])
    return state


def test_a_slot_steps_the_same_alone_or_batched_with_others() -> None:
    config = WorldConfig(max_ticks=25, respawn_probability=0.01)
    seeds = [np.random.SeedSequence(40 + i) for i in range(3)]
    agents = [4, 2, 3]
    batch = BatchedWorld(config, slots=3, max_agents=4)
    alone = [BatchedWorld(config, slots=1, max_agents=4) for _ in range(3)]
    for slot in range(3):
        layout = lay_out(config, seeds[slot], agents[slot])
        batch.reset_slot(slot, layout, new_episode=True)
        alone[slot].reset_slot(0, layout, new_episode=True)
    rng = np.random.default_rng(5)
    only = np.zeros(1, dtype=np.int64)
    for tick in range(80):
        # Every third tick steps a subset, out of order, as the server does with paused rooms.
        slots = np.array([2, 0]) if tick % 3 == 0 else np.arange(3)
        masks = batch.action_masks(slots)
        actions = np.array([[rng.choice(np.flatnonzero(m)) for m in slot_masks] for slot_masks in masks])
        batched = batch.step(slots, actions)
        for row, slot in enumerate(slots):
            np.testing.assert_array_equal(masks[row], alone[slot].action_masks(only)[0])
            single = alone[slot].step(only, actions[row : row + 1])
            np.testing.assert_array_equal(batched.rewards[row], single.rewards[0])
            assert (batched.terminated[row], batched.truncated[row]) == (
                single.terminated[0],
                single.truncated[0],
            )
            if single.terminated[0] or single.truncated[0]:
                fresh = lay_out(config, seeds[slot].spawn(1)[0], agents[slot])
                batch.reset_slot(int(slot), fresh, new_episode=True)
                alone[slot].reset_slot(0, fresh, new_episode=True)
        check_invariants(batch)
        for slot in range(3):
            assert world_state(batch, slot) == world_state(alone[slot], 0), (
                f"slot {slot} differs at tick {tick}."
            )
            np.testing.assert_array_equal(batch.observe(np.array([slot]))[0], alone[slot].observe(only)[0])
    assert batch.episode.tolist() != [1, 1, 1], "the run should have crossed an episode reset."


def test_no_walk_back_to_its_start_earns_shaping() -> None:
    # Carrying one of two, the goal is whichever of resource and factory is nearer; stepping to
    # and fro across the line where that flips must not earn progress both ways.
    rows = ["r.0...F", ".......", "...#...", ".......", "......."]
    world = build(rows, carrying={0: 1}, shaping_scale=0.05, max_energy=1000, max_ticks=1000)
    rng = np.random.default_rng(9)
    start, since_start, returns = position(world, 0), 0.0, 0
    for _ in range(400):
        since_start += float(step(world, int(rng.choice([UP, DOWN, LEFT, RIGHT]))).rewards[0, 0])
        if position(world, 0) == start:
            assert since_start <= 1e-6, f"A walk back to the start earned {since_start:.3f}."
            returns += 1
    assert returns >= 5
    world = build(
        ["r.0...F", ".......", ".......", ".......", "......."], carrying={0: 1}, shaping_scale=0.05
    )
    assert sum(float(step(world, (RIGHT, LEFT)[t % 2]).rewards[0, 0]) for t in range(20)) <= 1e-6


def test_a_slot_refuses_a_layout_of_more_agents_than_it_holds() -> None:
    config = WorldConfig()
    world = BatchedWorld(config, slots=1, max_agents=2)
    with pytest.raises(ValueError, match="A slot holds 1 to 2 agents, not the layout's 3"):
        world.reset_slot(0, lay_out(config, np.random.SeedSequence(1), 3), new_episode=True)
