"""The production world as arrays over a leading axis of room slots.

Every operation of a tick is vectorised over the slots that step and over their agents; the only
Python loops are over agent ranks (at most 8) when moves are resolved in priority order, and over
the few events of a tick that enter the action log. A single room is a world with one slot.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import numpy as np

from env import rng
from env.config import (
    ACTION_NAMES,
    CHARGER,
    DOWN,
    DROP,
    EMPTY,
    FACTORY,
    LEFT,
    MAX_AGENTS,
    NUM_ACTIONS,
    OUT_OF_ENERGY,
    PICK,
    RESOURCE,
    RIGHT,
    STAY,
    UP,
    WALL,
    WorldConfig,
)
from env.distance import UNREACHABLE, all_pairs, neighbour_table
from env.layout import Layout

LOG_LENGTH = 50
"""Entries of the action log kept per room."""

_TARGETS = (RESOURCE, FACTORY, CHARGER)
_IS_MOVE = np.zeros(NUM_ACTIONS, dtype=bool)
_IS_MOVE[[UP, DOWN, LEFT, RIGHT]] = True


@dataclass(frozen=True)
class ObservationLayout:
    """Where each feature sits in an agent's flat observation vector.

    The vector is the egocentric view (5 channels of (2r+1)^2 cells: wall or off-grid, resource,
    factory, charger, other agent), then: energy / max, carrying / capacity; for each target
    (resource, factory, charger) the first step of a shortest path to the nearest one as one-hot
    up/down/left/right, whether the agent stands on one, and the distance / (H + W); then the
    agent's goal (see `BatchedWorld.goals`) as one-hot over the three targets, the first step
    towards it (one-hot up/down/left/right) and whether the agent is there; the low-energy flag,
    (energy - distance to charger) / max energy, the agent id one-hot, and the episode's progress.
    """

    view_size: int

    @property
    def view(self) -> int:
        return 5 * self.view_size**2

    @property
    def energy(self) -> int:
        return self.view

    @property
    def carrying(self) -> int:
        return self.view + 1

    def target(self, index: int) -> int:
        """Start of target `index`'s six features (0 resource, 1 factory, 2 charger)."""
        return self.view + 2 + 6 * index

    @property
    def goal(self) -> int:
        return self.target(len(_TARGETS))

    @property
    def goal_step(self) -> int:
        return self.goal + len(_TARGETS)

    @property
    def at_goal(self) -> int:
        return self.goal_step + 4

    @property
    def low_energy(self) -> int:
        return self.at_goal + 1

    @property
    def spare_energy(self) -> int:
        return self.low_energy + 1

    @property
    def agent_id(self) -> int:
        return self.low_energy + 2

    @property
    def size(self) -> int:
        return self.agent_id + MAX_AGENTS + 1


def observation_size(config: WorldConfig) -> int:
    """Length of one agent's flat observation vector."""
    return ObservationLayout(config.view_size).size


@dataclass
class StepResult:
    """What one tick produced for the slots that stepped, in the order they were given."""

    rewards: np.ndarray
    """(slots, agents) float32 reward of each agent this tick (zero for inactive agents)."""
    terminated: np.ndarray
    """(slots,) bool: every agent is out of energy."""
    truncated: np.ndarray
    """(slots,) bool: the episode reached its tick limit."""
    actions: np.ndarray
    """(slots, agents) int8 actions as carried out (disallowed ones become stay)."""


class BatchedWorld:
    """Holds `slots` independent production worlds of up to `max_agents` agents each."""

    def __init__(self, config: WorldConfig, slots: int, max_agents: int) -> None:
        if not 1 <= max_agents <= MAX_AGENTS:
            raise ValueError(f"max_agents must be 1 to {MAX_AGENTS}, not {max_agents}.")
        self.config = config
        self.slots = slots
        self.max_agents = max_agents
        h, w, n = config.height, config.width, max_agents
        cells = h * w
        self.grid = np.zeros((slots, h, w), dtype=np.int8)
        self.dist = np.full((slots, cells + 1, cells), UNREACHABLE, dtype=np.uint8)
        self.pos = np.zeros((slots, n, 2), dtype=np.int16)
        self.energy = np.zeros((slots, n), dtype=np.int16)
        self.carrying = np.zeros((slots, n), dtype=np.int16)
        self.active = np.zeros((slots, n), dtype=bool)
        self.last_action = np.zeros((slots, n), dtype=np.int8)
        self.agent_reward = np.zeros((slots, n), dtype=np.float64)
        self.key = np.zeros(slots, dtype=np.uint64)
        self.episode_tick = np.zeros(slots, dtype=np.int64)
        self.total_tick = np.zeros(slots, dtype=np.int64)
        self.episode = np.zeros(slots, dtype=np.int64)
        self.products = np.zeros(slots, dtype=np.int64)
        self.energy_spent = np.zeros(slots, dtype=np.int64)
        self.episode_reward = np.zeros(slots, dtype=np.float64)
        self.spawned = np.zeros(slots, dtype=np.int64)
        self.consumed = np.zeros(slots, dtype=np.int64)
        self.log: list[deque[tuple[int, int, str]]] = [deque(maxlen=LOG_LENGTH) for _ in range(slots)]
        self.logged = np.zeros(slots, dtype=np.int64)
        """Entries ever appended to each slot's log (the log keeps the last LOG_LENGTH)."""
        self.neighbours = np.full((slots, cells, 5), cells, dtype=np.int64)
        """Per cell: itself, then its up, down, left and right neighbour, or H*W where that is a
        wall or off the grid. Walls stay put within an episode, so this is laid at reset."""
        self.fields = np.full((slots, cells + 1, len(_TARGETS)), UNREACHABLE, dtype=np.int64)
        """Per cell (and the sentinel H*W): distance to the nearest resource, factory, charger.
        Factories and chargers stay put within an episode; the resource column is redrawn on the
        ticks that pick or grow a resource."""
        self._agent_ids = np.eye(MAX_AGENTS, dtype=np.float32)[:n]

    # ------------------------------------------------------------- capacity

    SLOT_ARRAYS = (
        "grid", "dist", "pos", "energy", "carrying", "active", "last_action", "agent_reward", "key",
        "episode_tick", "total_tick", "episode", "products", "energy_spent", "episode_reward", "spawned",
        "consumed", "neighbours", "fields", "logged",
    )  # fmt: skip

    def grow(self, slots: int) -> None:
        """Hold `slots` slots from now on, keeping every existing slot as it is."""
        if slots <= self.slots:
            return
        fresh = BatchedWorld(self.config, slots - self.slots, self.max_agents)
        for name in self.SLOT_ARRAYS:
            setattr(self, name, np.concatenate([getattr(self, name), getattr(fresh, name)]))
        self.log.extend(fresh.log)
        self.slots = slots

    def copy_slot(self, source: BatchedWorld, source_slot: int, slot: int) -> None:
        """Make `slot` hold what `source_slot` of `source`, a world of the same shape, holds."""
        if (source.config, source.max_agents) != (self.config, self.max_agents):
            raise ValueError("A slot is copied only between worlds of one config and agent count.")
        for name in self.SLOT_ARRAYS:
            getattr(self, name)[slot] = getattr(source, name)[source_slot]
        self.log[slot] = deque(source.log[source_slot], maxlen=LOG_LENGTH)

    def clear_slot(self, slot: int) -> None:
        """Make `slot` new for another room: its clock, episode count and log start over."""
        self.total_tick[slot] = 0
        self.episode[slot] = 0
        self.log[slot].clear()
        self.logged[slot] = 0

    # ------------------------------------------------------------------ reset

    def reset_slot(self, slot: int, layout: Layout, new_episode: bool) -> None:
        """Begin an episode laid out as `layout` (`env.layout.lay_out`) in `slot`; the slot's
        tick clock goes on."""
        num_agents = len(layout.starts)
        if not 1 <= num_agents <= self.max_agents:
            raise ValueError(f"A slot holds 1 to {self.max_agents} agents, not the layout's {num_agents}.")
        self.key[slot] = layout.key
        self._lay(slot, layout.grid, layout.dist, layout.neighbours)
        self.pos[slot] = 0
        self.pos[slot, :num_agents] = layout.starts
        self.active[slot] = False
        self.active[slot, :num_agents] = True
        self.energy[slot] = np.where(self.active[slot], self.config.max_energy, 0)
        self.carrying[slot] = 0
        self.last_action[slot] = STAY
        self.agent_reward[slot] = 0.0
        self.episode_tick[slot] = 0
        if new_episode:
            self.episode[slot] += 1
        self.products[slot] = 0
        self.energy_spent[slot] = 0
        self.episode_reward[slot] = 0.0
        self.spawned[slot] = self.config.initial_resources
        self.consumed[slot] = 0

    # ---------------------------------------------------------- observations

    def _cells(self, slots: np.ndarray) -> np.ndarray:
        """(slots, agents) flat cell index of each agent."""
        pos = self.pos[slots].astype(np.int64)
        cells: np.ndarray = pos[..., 0] * self.config.width + pos[..., 1]
        return cells

    def lay_grid(self, slot: int, grid: np.ndarray) -> None:
        """Put the (H, W) `grid` in `slot` with the tables derived from it (tests lay
        hand-drawn grids this way)."""
        passable = grid != WALL
        self._lay(slot, grid, all_pairs(passable), neighbour_table(passable))

    def _lay(self, slot: int, grid: np.ndarray, dist: np.ndarray, neighbours: np.ndarray) -> None:
        self.grid[slot] = grid
        self.dist[slot] = dist
        self.neighbours[slot] = neighbours
        for target in range(len(_TARGETS)):
            self._redraw_fields(np.array([slot]), target)

    def _redraw_fields(self, slots: np.ndarray, target: int) -> None:
        """Recompute column `target` of `fields` for `slots` from their grids and distance tables."""
        cells = self.config.height * self.config.width
        found = self.grid[slots].reshape(len(slots), cells) == _TARGETS[target]
        most = max(1, int(found.sum(axis=1).max(initial=0)))
        # Each slot's target cells first, then the sentinel cell H*W, whose row is all UNREACHABLE.
        # Rows serve as columns: distances are symmetric.
        where = np.argsort(~found, axis=1, kind="stable")[:, :most]
        where = np.where(np.take_along_axis(found, where, axis=1), where, cells)
        self.fields[slots, :cells, target] = self.dist[slots[:, None], where, :cells].min(axis=1)

    def target_distances(self, slots: np.ndarray, query_cells: np.ndarray) -> np.ndarray:
        """(slots, ..., 3) distance from each query cell (slots, ...) of its slot to the nearest
        resource, factory and charger; UNREACHABLE when there is none or the cell is H*W."""
        distances: np.ndarray = self.fields[slots.reshape((-1,) + (1,) * (query_cells.ndim - 1)), query_cells]
        return distances

    def surroundings(self, slots: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(slots, agents, 5) cells of each agent and its four neighbours (H*W where blocked)
        and (slots, agents, 5, 3) their distances to the nearest resource, factory and charger."""
        near = self.neighbours[slots[:, None], self._cells(slots)]
        return near, self.target_distances(slots, near)

    def action_masks(self, slots: np.ndarray) -> np.ndarray:
        """(slots, agents, actions) bool: which actions each agent may take now."""
        return self._masks(slots, self.surroundings(slots)[0])

    def _masks(self, slots: np.ndarray, neighbours: np.ndarray) -> np.ndarray:
        cfg = self.config
        b = len(slots)
        energy = self.energy[slots]
        cell_type = self.grid[slots].reshape(b, -1)[np.arange(b)[:, None], self._cells(slots)]
        carrying = self.carrying[slots]
        masks = np.zeros((b, self.max_agents, NUM_ACTIONS), dtype=bool)
        masks[..., STAY] = True
        can_move = (energy >= cfg.move_cost)[..., None]
        masks[..., UP : RIGHT + 1] = (neighbours[..., 1:5] != cfg.height * cfg.width) & can_move
        can_work = energy >= cfg.work_cost
        masks[..., PICK] = (cell_type == RESOURCE) & (carrying < cfg.carry_capacity) & can_work
        masks[..., DROP] = (cell_type == FACTORY) & (carrying > 0) & can_work
        masks &= self.active[slots][..., None]
        masks[..., STAY] = True
        return masks

    def observe(self, slots: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(slots, agents, observation_size) float32 observations and their action masks."""
        cfg = self.config
        b, n = len(slots), self.max_agents
        r, v = cfg.view_radius, cfg.view_size
        grid = self.grid[slots]
        padded = np.full((b, cfg.height + 2 * r, cfg.width + 2 * r), WALL, dtype=np.int8)
        padded[:, r : r + cfg.height, r : r + cfg.width] = grid
        occupied = np.zeros(padded.shape, dtype=bool)
        pos = self.pos[slots].astype(np.int64)
        bi = np.broadcast_to(np.arange(b)[:, None], (b, n))
        active = self.active[slots]
        occupied[bi[active], pos[..., 0][active] + r, pos[..., 1][active] + r] = True
        offsets = np.arange(v)
        rows = pos[..., 0, None, None] + offsets[None, None, :, None]
        cols = pos[..., 1, None, None] + offsets[None, None, None, :]
        window = padded[bi[..., None, None], rows, cols]  # (b, n, v, v)
        others = occupied[bi[..., None, None], rows, cols]
        others[:, :, r, r] = False
        view = np.stack(
            [window == WALL, window == RESOURCE, window == FACTORY, window == CHARGER, others], axis=2
        ).reshape(b, n, -1)

        near, dist = self.surroundings(slots)
        here = dist[:, :, 0, :]  # (b, n, 3)
        around = dist[:, :, 1:5, :]  # (b, n, 4, 3)
        best = np.argmin(around, axis=2)  # (b, n, 3)
        closer = np.take_along_axis(around, best[:, :, None, :], axis=2)[:, :, 0, :] < here
        direction = (np.arange(4)[None, None, :, None] == best[:, :, None, :]) & closer[:, :, None, :]
        span = cfg.height + cfg.width
        reach = np.minimum(here, span) / span
        per_target = np.concatenate([direction, (here == 0)[:, :, None, :], reach[:, :, None, :]], axis=2)

        energy = self.energy[slots].astype(np.float64)
        capped = np.minimum(here, span)
        goal, low = self.goals(slots, capped)
        spare = np.clip((energy - capped[..., 2]) / cfg.max_energy, -1.0, 1.0)
        agent_id = np.broadcast_to(self._agent_ids, (b, n, MAX_AGENTS))
        progress = np.broadcast_to((self.episode_tick[slots] / cfg.max_ticks)[:, None], (b, n))
        features = np.concatenate(
            [
                (energy / cfg.max_energy)[..., None],
                (self.carrying[slots] / cfg.carry_capacity)[..., None],
                per_target.transpose(0, 1, 3, 2).reshape(b, n, -1),
                goal[..., None] == np.arange(len(_TARGETS)),
                np.take_along_axis(direction, goal[:, :, None, None], axis=3)[..., 0],
                np.take_along_axis(here, goal[..., None], axis=2) == 0,
                low[..., None],
                spare[..., None],
                agent_id,
                progress[..., None],
            ],
            axis=2,
        )
        observations = np.concatenate([view, features], axis=2).astype(np.float32)
        observations *= active[..., None]
        return observations, self._masks(slots, near)

    # ------------------------------------------------------------------- step

    def goals(self, slots: np.ndarray, distances: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Each agent's errand, from its (slots, agents, 3) target distances at its cell.

        Returns the (slots, agents) index of the goal (0 resource, 1 factory, 2 charger) and the
        low-energy flag. An agent heads for a charger when its energy is at most its distance to
        one plus a margin, and keeps charging there until nearly full; otherwise a full agent
        heads for a factory, an agent carrying some for the nearer of a factory and a resource,
        and an empty one for a resource. The scripted policy follows this rule; the learner sees
        it as a feature and must learn what to do about it.
        """
        cfg = self.config
        energy = self.energy[slots]
        carrying = self.carrying[slots]
        low = energy <= distances[..., 2] + cfg.low_energy_margin
        charging = (distances[..., 2] == 0) & (energy <= cfg.max_energy - cfg.charge_rate)
        factory_nearer = distances[..., 1] <= distances[..., 0]
        to_factory = (carrying >= cfg.carry_capacity) | ((carrying > 0) & factory_nearer)
        return np.where(low | charging, 2, np.where(to_factory, 1, 0)), low

    def _goal_distances(self, slots: np.ndarray, distances: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(slots, agents, 3) distances to the nearest targets from the agents' cells (capped at
        H + W) and the goals, from the (slots, agents, 5, 3) distances of `surroundings`."""
        dist = np.minimum(distances[:, :, 0, :], self.config.height + self.config.width)
        return dist, self.goals(slots, dist)[0]

    def step(self, slots: np.ndarray, actions: np.ndarray) -> StepResult:
        """Advance each slot in `slots` by one tick with `actions` of shape (slots, max_agents)."""
        cfg = self.config
        slots = np.asarray(slots, dtype=np.int64)
        b, n = len(slots), self.max_agents
        bi = np.arange(b)
        actions = np.asarray(actions, dtype=np.int64).reshape(b, n)
        near, distances = self.surroundings(slots)
        allowed = self._masks(slots, near)
        in_range = (actions >= 0) & (actions < NUM_ACTIONS)
        safe_actions = np.where(in_range, actions, STAY)
        may = np.take_along_axis(allowed, safe_actions[..., None], axis=2)[..., 0]
        act = np.where(may, safe_actions, STAY)

        active = self.active[slots]
        distance_before, goal_before = self._goal_distances(slots, distances)
        energy_before = self.energy[slots].copy()
        working = (act == PICK) | (act == DROP)
        cost = np.where(_IS_MOVE[act], cfg.move_cost, 0) + np.where(working, cfg.work_cost, 0)
        energy = energy_before - cost
        self.energy_spent[slots] += cost.sum(axis=1)

        # Moves resolve one priority rank at a time, the order drawn afresh each tick. The mask
        # keeps every move's target on the grid and off walls: only other agents can block it.
        width = cfg.width
        cells = self._cells(slots)
        moving = _IS_MOVE[act]
        step_to = np.take_along_axis(near, np.minimum(act, RIGHT)[..., None], axis=2)[..., 0]
        target = np.where(moving, step_to, cells)
        occupancy = np.full((b, cfg.height * width), -1, dtype=np.int64)
        rows, agents = np.nonzero(active)
        occupancy[rows, cells[rows, agents]] = agents
        draw = rng.uniform(self.key[slots], self.total_tick[slots], rng.STREAM_PRIORITY, n)
        order = np.argsort(draw, axis=1)
        for rank in range(n):
            agent = order[:, rank]
            to = target[bi, agent]
            go = moving[bi, agent] & (occupancy[bi, to] == -1)
            if go.any():
                rows, agents = bi[go], agent[go]
                occupancy[rows, cells[rows, agents]] = -1
                occupancy[rows, to[go]] = agents
                cells[rows, agents] = to[go]
        pos = np.stack(np.divmod(cells, width), axis=-1)

        rewards = np.zeros((b, n), dtype=np.float64)
        grid = self.grid[slots].reshape(b, -1)
        carrying = self.carrying[slots].astype(np.int64)
        picks = act == PICK
        pb, pa = np.nonzero(picks)
        grid[pb, cells[pb, pa]] = EMPTY
        carrying[picks] += 1
        rewards[picks] += cfg.pick_reward
        drops = act == DROP
        delivered = np.where(drops, carrying, 0)
        rewards += cfg.product_reward * delivered
        carrying[drops] = 0
        made = delivered.sum(axis=1)

        on_charger = (grid[bi[:, None], cells] == CHARGER) & active
        energy = np.where(on_charger, np.minimum(energy + cfg.charge_rate, cfg.max_energy), energy)
        stranded = (energy_before > 0) & (energy <= 0) & active
        rewards[stranded] -= cfg.out_of_energy_penalty

        self.pos[slots] = pos
        self.energy[slots] = energy
        self.carrying[slots] = carrying
        self.grid[slots] = grid.reshape(b, cfg.height, width)
        grown = self._respawn(slots, occupancy)
        changed = slots[grown | picks.any(axis=1)]
        if len(changed):
            self._redraw_fields(changed, 0)

        # Progress shaping: distance gained towards the agent's goal, only on ticks that keep the
        # goal, so picking, dropping and charging (which switch goals without moving) earn none of
        # it, and neither does stepping to and fro across the line where the nearer target flips.
        distance_after, goal = self._goal_distances(slots, self.surroundings(slots)[1])
        progress = np.take_along_axis(distance_before - distance_after, goal[..., None], axis=2)[..., 0]
        rewards += cfg.shaping_scale * np.where(goal == goal_before, progress, 0)
        rewards *= active

        self.total_tick[slots] += 1
        self.episode_tick[slots] += 1
        self.products[slots] += made
        self.consumed[slots] += made
        self.agent_reward[slots] += rewards
        self.episode_reward[slots] += rewards.sum(axis=1)
        self.last_action[slots] = act
        self._log_events(slots, act, stranded)

        terminated = ~np.any((energy > 0) & active, axis=1)
        truncated = (self.episode_tick[slots] >= cfg.max_ticks) & ~terminated
        return StepResult(rewards.astype(np.float32), terminated, truncated, act.astype(np.int8))

    def _respawn(self, slots: np.ndarray, occupancy: np.ndarray) -> np.ndarray:
        """Grow at most one resource per slot on a uniformly drawn free cell (empty, no agent);
        (slots,) bool of the slots that grew one."""
        cfg = self.config
        b = len(slots)
        grid = self.grid[slots].reshape(b, -1)
        draw = rng.uniform(self.key[slots], self.total_tick[slots], rng.STREAM_RESPAWN, 2)
        free = (grid == EMPTY) & (occupancy == -1)
        count = free.sum(axis=1)
        grow: np.ndarray = (draw[:, 0] < cfg.respawn_probability) & (count > 0)
        grow &= (grid == RESOURCE).sum(axis=1) < cfg.max_resources
        rows = np.flatnonzero(grow)
        if len(rows):
            chosen = (draw[rows, 1] * count[rows]).astype(np.int64)
            cells = np.argmax(np.cumsum(free[rows], axis=1) > chosen[:, None], axis=1)
            grid[rows, cells] = RESOURCE
            self.grid[slots] = grid.reshape(b, cfg.height, cfg.width)
            self.spawned[slots] += grow
        return grow

    def _log_events(self, slots: np.ndarray, act: np.ndarray, stranded: np.ndarray) -> None:
        """Log picks and drops, then agents running out of energy (a last pick can do both)."""
        worked = (act == PICK) | (act == DROP)
        for row, agent in zip(*np.nonzero(worked | stranded), strict=True):
            slot = int(slots[row])
            tick = int(self.total_tick[slot])
            if worked[row, agent]:
                self.log[slot].append((tick, int(agent), ACTION_NAMES[act[row, agent]]))
                self.logged[slot] += 1
            if stranded[row, agent]:
                self.log[slot].append((tick, int(agent), OUT_OF_ENERGY))
                self.logged[slot] += 1
