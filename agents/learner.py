"""PPO (agents.ppo) for the agents of many rooms at once, each room with its own weights.

Rooms' weights are stacked on a leading axis of groups (agents.groups). A room may gather
experience from several copies of its world at once (its `envs`, as in vectorised PPO), all
acting on its one set of weights. The agents of all rooms that act together do so in one batched
call; every `rollout_ticks` ticks of its own a room updates on what it gathered, batched with
every other room whose rollout filled at the same time. An update is prepared, computed and
applied in three steps, so that the computing may run on another thread (agents.trainer).
Sampling noise comes from the counter-based generator in env.rng, so a room's actions are a pure
function of its weights, its seed and how many times it has acted, alone or among hundreds.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import mlx.core as mx
import numpy as np

from agents import ppo
from agents.groups import GroupLayout
from agents.network import Params, init_params
from agents.policy import EpisodeFigures
from agents.ppo import LearningConfig
from env import rng
from env.config import NUM_ACTIONS, WorldConfig
from env.core import observation_size

_NOISE_STREAM = 101
"""The env.rng stream that sampling noise is drawn from."""


@dataclass
class Optimised:
    """Weights of some weight groups with Adam's state."""

    params: Params
    moment1: Params
    moment2: Params
    steps: mx.array
    """Adam's step count of each group."""


@dataclass
class UpdateJob:
    """What an update of some rooms needs, copied out of the learner (see StackedLearner.prepare).
    Arrays are over the rooms padded to a batch size (see _padded); `rooms` are the real ones."""

    rooms: np.ndarray
    rows: np.ndarray
    """Weight groups of the padded rooms."""
    weights: Optimised
    next_observations: np.ndarray
    observations: np.ndarray
    masks: np.ndarray
    actions: np.ndarray
    log_probs: np.ndarray
    values: np.ndarray
    rewards: np.ndarray
    dones: np.ndarray
    orders: list[np.ndarray]
    """Per epoch, each room's shuffled sample order."""
    shuffle_states: list[Mapping[str, Any]]
    """Each room's shuffler state before the orders were drawn."""


@dataclass
class UpdateResult:
    """A computed update: the new weights of `rows` (the rooms' groups) and the rooms' figures."""

    rooms: np.ndarray
    rows: np.ndarray
    weights: Optimised
    figures: np.ndarray
    """(4, rooms): mean policy loss, value loss, entropy and approximate KL."""
    mean_returns: np.ndarray


_ROLLOUT_ARRAYS = ("observations", "masks", "actions", "log_probs", "values", "rewards", "dones")
"""What each room gathered since its last update, (rooms, ticks, ...)."""
_COUNTERS = ("filled", "acted", "noise_keys", "unrecorded")
"""Each room's counts and noise key, (rooms,)."""


EXACT_BATCHES = 8
"""Batches of up to this many rooms run at their own size; larger ones are rounded up to a power
of two, so that mx.compile traces only a few shapes (a trace costs ~30 ms, once)."""


def _padded(count: int) -> int:
    """The batch size `count` rooms run at (see EXACT_BATCHES)."""
    return count if count <= EXACT_BATCHES else 1 << (count - 1).bit_length()


class StackedLearner:
    """PPO for any number of rooms of `num_agents` agents in each of `envs` worlds, every room
    with its own weights.

    Rooms are rows 0..capacity-1 of the numpy state; a room's weights are its groups (see
    agents.groups.GroupLayout) of every stacked parameter. Every call comes from one thread,
    except `compute`, which touches no state of the learner's and may run on another.
    """

    def __init__(
        self, num_agents: int, world: WorldConfig, config: LearningConfig, capacity: int = 1, envs: int = 1
    ) -> None:
        if envs < 1:
            raise ValueError(f"A room trains in at least one world, not {envs}.")
        if config.rollout_ticks * envs * (num_agents if config.shared else 1) % config.minibatches:
            raise ValueError(
                f"A rollout of {config.rollout_ticks} ticks does not split into {config.minibatches} minibatches."
            )
        if config.rollout_cohorts < 1 or config.rollout_ticks % config.rollout_cohorts:
            raise ValueError(
                f"A rollout of {config.rollout_ticks} ticks does not split into {config.rollout_cohorts} cohorts."
            )
        self.config = config
        self.num_agents = num_agents
        self.envs = envs
        self.layout = GroupLayout(num_agents, envs, config.shared)
        self.agents = self.layout.agents
        """Agents a room acts for each tick, over all its worlds."""
        self.groups = self.layout.groups
        self.inputs = observation_size(world)
        self.capacity = 0
        self.params: Params = {}
        self.moment1: Params = {}
        self.moment2: Params = {}
        self.adam_steps = mx.zeros((0,))
        one_group = init_params(np.random.default_rng(0), 1, self.inputs, config.hidden, NUM_ACTIONS)
        self._shapes = {name: value.shape[1:] for name, value in one_group.items()}
        """Each stacked parameter's shape past its group axis."""
        self._free: list[int] = []
        self._pending: dict[int, Params] = {}
        """Weights of rooms added since the last call that reads weights: every write to a
        stacked MLX array copies it, so they are written all at once (see _settle)."""
        ticks, n, a = config.rollout_ticks, self.agents, NUM_ACTIONS
        self.observations = np.zeros((0, ticks, n, self.inputs), dtype=np.float32)
        self.masks = np.zeros((0, ticks, n, a), dtype=bool)
        self.actions = np.zeros((0, ticks, n), dtype=np.int32)
        self.log_probs = np.zeros((0, ticks, n), dtype=np.float32)
        self.values = np.zeros((0, ticks, n), dtype=np.float32)
        self.rewards = np.zeros((0, ticks, n), dtype=np.float32)
        self.dones = np.zeros((0, ticks, envs), dtype=bool)
        self.filled = np.zeros(0, dtype=np.int64)
        self.acted = np.zeros(0, dtype=np.int64)
        """How many times each room has acted: the counter its sampling noise is drawn at."""
        self.noise_keys = np.zeros(0, dtype=np.uint64)
        self.unrecorded = np.zeros(0, dtype=np.int64)
        """Ticks each room has yet to leave out of its rollouts (see LearningConfig.rollout_cohorts)."""
        self.shufflers: list[np.random.Generator | None] = []
        self.figures: list[EpisodeFigures] = []
        self._act_fn = mx.compile(ppo.act)
        self._values_fn = mx.compile(ppo.critic_values)
        self._train_fn = mx.compile(ppo.make_train_step(config))
        self._grow(capacity)

    # ------------------------------------------------------------------ rooms

    def _grow(self, capacity: int) -> None:
        """Make room for `capacity` rooms, keeping every existing room's state."""
        extra = capacity - self.capacity
        for tree in (self.params, self.moment1, self.moment2):
            for name, shape in self._shapes.items():
                tail = mx.zeros((extra * self.groups, *shape))
                tree[name] = mx.concatenate([tree[name], tail]) if name in tree else tail
        self.adam_steps = mx.concatenate([self.adam_steps, mx.zeros((extra * self.groups,))])

        for name in (*_ROLLOUT_ARRAYS, *_COUNTERS):
            array = getattr(self, name)
            setattr(
                self, name, np.concatenate([array, np.zeros((extra, *array.shape[1:]), dtype=array.dtype)])
            )
        self.shufflers.extend([None] * extra)
        self.figures.extend(EpisodeFigures() for _ in range(extra))
        self._free.extend(range(capacity - 1, self.capacity - 1, -1))
        self.capacity = capacity

    def add(self, seed: np.random.SeedSequence) -> int:
        """A new room with fresh weights drawn from `seed`; returns its index."""
        if not self._free:
            self._grow(max(1, 2 * self.capacity))
        room = self._free.pop()
        self.start_over(room, seed)
        return room

    def start_over(self, room: int, seed: np.random.SeedSequence) -> None:
        """`room` starts as a room added with `seed` does: fresh weights, Adam's state, noise,
        shuffling and cohort, an empty rollout (what it gathered is dropped) and no figures."""
        init_seed, shuffle_seed, noise_seed, phase_seed = seed.spawn(4)
        fresh = init_params(
            np.random.Generator(np.random.PCG64(init_seed)),
            self.groups,
            self.inputs,
            self.config.hidden,
            NUM_ACTIONS,
        )
        self._pending[room] = fresh
        self.shufflers[room] = np.random.Generator(np.random.PCG64(shuffle_seed))
        self.noise_keys[room] = noise_seed.generate_state(1, np.uint64)[0]
        # The room leaves its first k * rollout_ticks / rollout_cohorts ticks out of its rollouts,
        # k drawn from its seed: rooms started together then fill their rollouts (and wait for
        # their updates) in cohorts spread over a rollout instead of all on one tick, each cohort
        # big enough to update in batches.
        cohorts = self.config.rollout_cohorts
        cohort = int(phase_seed.generate_state(1, np.uint64)[0] % np.uint64(cohorts))
        self.unrecorded[room] = cohort * (self.config.rollout_ticks // cohorts)
        self.acted[room] = 0
        self.filled[room] = 0
        self.figures[room] = EpisodeFigures()

    def take_over(self, other: StackedLearner, other_room: int) -> int:
        """A new room that goes on from `other_room` of `other` (a learner of the same agents and
        config, with any number of worlds): its weights, Adam's state, sampling noise and
        shuffling. Its rollout starts empty: what `other_room` gathered since its last update is
        laid out for other worlds, and is not learned from. Returns the new room's index."""
        if (other.num_agents, other.config) != (self.num_agents, self.config):
            raise ValueError(
                f"A room moves only between learners of one agent count and config, not from one of "
                f"{other.num_agents} agents with {other.config} to one of {self.num_agents} with {self.config}."
            )
        if not self._free:
            self._grow(max(1, 2 * self.capacity))
        room = self._free.pop()
        self.set_room_weights(room, other.room_weights(other_room))
        self.acted[room] = other.acted[other_room]
        self.noise_keys[room] = other.noise_keys[other_room]
        self.unrecorded[room] = other.unrecorded[other_room]
        self.shufflers[room] = other.shuffler(other_room)
        self.filled[room] = 0
        self.figures[room] = other.figures[other_room]
        return room

    def remove(self, room: int) -> None:
        """Free `room`'s row for a later room."""
        self._pending.pop(room, None)
        self.shufflers[room] = None
        self._free.append(room)

    def _settle(self) -> None:
        """Write the weights of newly added rooms (fresh Adam state too) into the stacks."""
        if not self._pending:
            return
        rooms = np.array(sorted(self._pending))
        rows = mx.array(self.layout.rows(rooms))
        for name in self.params:
            fresh = mx.concatenate([self._pending[room][name] for room in rooms.tolist()])
            self.params[name][rows] = fresh
            self.moment1[name][rows] = mx.zeros_like(fresh)
            self.moment2[name][rows] = mx.zeros_like(fresh)
        self.adam_steps[rows] = 0.0
        self._pending.clear()
        # The moments are read only by updates: left lazy, the writes of every room added since
        # the start would pile up and run all at once in the first update (365 ms for 500 rooms).
        mx.eval(self.params, self.moment1, self.moment2, self.adam_steps)

    def _gather(self, tree: Params, rows: np.ndarray) -> Params:
        """`rows` of every array of `tree`: the arrays themselves when those are all rows in order."""
        if len(rows) == self.capacity * self.groups and (rows == np.arange(len(rows))).all():
            return tree
        return self._copy_rows(tree, rows)

    @staticmethod
    def _copy_rows(tree: Params, rows: np.ndarray) -> Params:
        """`rows` of every array of `tree`, always as new arrays."""
        index = mx.array(rows)
        return {name: mx.take(value, index, axis=0) for name, value in tree.items()}

    # ---------------------------------------------------------------- acting

    def act(
        self, rooms: np.ndarray, observations: np.ndarray, masks: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Actions (rooms, agents), probabilities (rooms, agents, actions) and values (rooms,
        agents) for (rooms, agents, obs) observations, in one call for every room given.

        Rooms whose rollout is full first update, together, on it (see `update`)."""
        self._settle()
        rooms = np.asarray(rooms, dtype=np.int64)
        full = self.full(rooms)
        if full.any():
            self.update(rooms[full], observations[full])
        batch_rooms, place = self._act_rows(rooms)
        uniform = rng.uniform(
            self.noise_keys[batch_rooms], self.acted[batch_rooms], _NOISE_STREAM, masks[0].size
        )
        gumbel = -np.log(-np.log(np.clip(uniform, 1e-12, 1.0 - 1e-12))).reshape(-1, *masks.shape[1:])
        batch_observations = np.zeros((len(batch_rooms), *observations.shape[1:]), dtype=np.float32)
        batch_observations[place] = observations
        batch_masks = np.ones((len(batch_rooms), *masks.shape[1:]), dtype=bool)
        batch_masks[place] = masks
        outputs = self._act_fn(
            self._gather(self.params, self.layout.rows(batch_rooms)),
            mx.array(self.layout.grouped(batch_observations)),
            mx.array(self.layout.grouped(batch_masks)),
            mx.array(self.layout.grouped(gumbel.astype(np.float32))),
        )
        mx.eval(outputs)
        actions, log_probs, values, probabilities = (
            self.layout.ungrouped(np.array(o), len(batch_rooms))[place] for o in outputs
        )
        row = self.filled[rooms]
        self.observations[rooms, row] = observations
        self.masks[rooms, row] = masks
        self.actions[rooms, row] = actions
        self.log_probs[rooms, row] = log_probs
        self.values[rooms, row] = values
        self.acted[rooms] += 1
        return actions.astype(np.int64), probabilities, values

    def _act_rows(self, rooms: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The rows an act call for `rooms` runs on (a power of two of them, so that mx.compile
        sees few shapes) and where each of `rooms` sits among them.

        When most rows act, every row does, in order: the call then reads the stacked weights as
        they are, where picking rows would copy them all (at 512 rooms that copy took 20 ms of a
        30 ms call). Rows that do not act compute on zeros and are thrown away."""
        count = len(rooms)
        if 2 * count > self.capacity:
            return np.arange(self.capacity), rooms
        pad = np.zeros(_padded(count) - count, dtype=np.int64)
        return np.concatenate([rooms, rooms[pad]]), np.arange(count)

    def record(self, rooms: np.ndarray, rewards: np.ndarray, episode_over: np.ndarray) -> None:
        """The rewards (rooms, agents) of the rooms' last actions, and whose episodes ended there:
        (rooms, envs), or (rooms,) for rooms of one world."""
        row = self.filled[rooms]
        self.rewards[rooms, row] = rewards
        self.dones[rooms, row] = np.reshape(episode_over, (len(rooms), self.envs))
        left_out = self.unrecorded[rooms] > 0
        self.unrecorded[rooms] -= left_out
        self.filled[rooms] += ~left_out

    def end_episode(self, room: int) -> None:
        """The episode of `room`'s first world (the one people see) was cut short after its last
        recorded tick (a reset)."""
        if self.filled[room]:
            self.dones[room, self.filled[room] - 1, 0] = True

    def take_figures(self, room: int) -> EpisodeFigures:
        figures, self.figures[room] = self.figures[room], EpisodeFigures()
        return figures

    # -------------------------------------------------------------- learning

    def full(self, rooms: np.ndarray) -> np.ndarray:
        """(rooms,) bool: whose rollout is full, so that they update before they act again."""
        return np.asarray(self.filled[rooms] == self.config.rollout_ticks)

    def update(self, rooms: np.ndarray, next_observations: np.ndarray) -> None:
        """One PPO update of each of `rooms` on its full rollout, all in the same MLX calls;
        `next_observations` (rooms, agents, obs) are what each room acts on next."""
        self.apply(self.compute(self.prepare(rooms, next_observations)))

    def prepare(self, rooms: np.ndarray, next_observations: np.ndarray) -> UpdateJob:
        """The update of `rooms` (see `update`), taken out of the learner so that `compute` may
        run on another thread while the learner acts for other rooms. `rooms` must not act, and
        nothing may change their weights, until `apply` has taken the result."""
        self._settle()
        count = len(rooms)
        pad = np.zeros(_padded(count) - count, dtype=np.int64)
        padded_rooms = np.concatenate([rooms, rooms[pad]])
        rows = self.layout.rows(padded_rooms)
        # Copies even of every row: the learner writes its own arrays (new rooms, growth) while
        # another thread computes with these.
        weights = self._copy_weights(rows)
        mx.eval(weights.params, weights.moment1, weights.moment2, weights.steps)
        samples = self.config.rollout_ticks * (self.agents if self.config.shared else self.envs)
        shuffle_states = [self.shuffler(room).bit_generator.state for room in rooms]
        # Each room shuffles with its own generator; a room's groups share its order.
        orders = [
            np.stack(
                [self.shuffler(room).permutation(samples) for room in rooms] + [np.arange(samples)] * len(pad)
            )
            for _ in range(self.config.epochs)
        ]
        return UpdateJob(
            rooms=np.array(rooms, dtype=np.int64),
            rows=rows,
            weights=weights,
            next_observations=np.concatenate([next_observations, next_observations[pad]]),
            observations=self.observations[padded_rooms],
            masks=self.masks[padded_rooms],
            actions=self.actions[padded_rooms],
            log_probs=self.log_probs[padded_rooms],
            values=self.values[padded_rooms],
            rewards=self.rewards[padded_rooms],
            dones=self.dones[padded_rooms],
            orders=orders,
            shuffle_states=shuffle_states,
        )

    def abandon(self, job: UpdateJob) -> None:
        """Forget a prepared update that will not be applied: its rooms' shufflers go back to
        where they were, so that preparing it again gives the same update."""
        for room, state in zip(job.rooms, job.shuffle_states, strict=True):
            self.shuffler(room).bit_generator.state = state

    def compute(self, job: UpdateJob) -> UpdateResult:
        """Run a prepared update: pure, on any one thread at a time."""
        padded = len(job.next_observations)
        grouped_values = self._values_fn(
            job.weights.params, mx.array(self.layout.grouped(job.next_observations))
        )
        # Every agent of a world carries on, or not, with the world's episode.
        dones = np.repeat(job.dones, self.num_agents, axis=2)
        next_values = self.layout.ungrouped(np.array(grouped_values), padded)
        advantages, returns = ppo.gae(
            job.rewards, job.values, next_values, dones, self.config.gamma, self.config.gae_lambda
        )
        data = {
            "observations": self.layout.by_group(job.observations),
            "masks": self.layout.by_group(job.masks),
            "actions": self.layout.by_group(job.actions),
            "log_probs": self.layout.by_group(job.log_probs),
            "advantages": self.layout.by_group(advantages),
            "returns": self.layout.by_group(returns),
        }
        samples = data["actions"].shape[1]
        size = samples // self.config.minibatches
        initial = job.weights
        params, moment1, moment2, steps = initial.params, initial.moment1, initial.moment2, initial.steps
        figures = []
        for epoch_orders in job.orders:
            orders = np.repeat(epoch_orders, self.groups, axis=0)
            groups = np.arange(len(orders))[:, None]
            for start in range(0, samples, size):
                index = orders[:, start : start + size]
                # Advanced indexing, not take_along_axis: ~20x faster on (groups, samples, obs).
                batch = {name: mx.array(array[groups, index]) for name, array in data.items()}
                params, moment1, moment2, steps, step_figures = self._train_fn(
                    params, moment1, moment2, steps, batch
                )
                figures.append(step_figures)
        kept = len(job.rooms) * self.groups
        params, moment1, moment2 = (
            {name: value[:kept] for name, value in tree.items()} for tree in (params, moment1, moment2)
        )
        steps = steps[:kept]
        mean_figures = mx.stack(figures).mean(axis=0)[:, :kept]
        mx.eval(params, moment1, moment2, steps, mean_figures)
        per_room = np.array(mean_figures).reshape(4, len(job.rooms), self.groups).mean(axis=2)
        end = Optimised(params, moment1, moment2, steps)
        return UpdateResult(
            job.rooms, job.rows[:kept], end, per_room, returns[: len(job.rooms)].mean(axis=(1, 2))
        )

    def apply(self, result: UpdateResult) -> None:
        """Take a computed update's weights and figures into the learner."""
        self._write_weights(result.rows, result.weights)
        for i, room in enumerate(result.rooms):
            self.figures[room].add_update(result.figures[:, i], float(result.mean_returns[i]))
        self.filled[result.rooms] = 0

    def shuffler(self, room: int) -> np.random.Generator:
        """The generator that shuffles `room`'s samples for its updates."""
        shuffler = self.shufflers[room]
        if shuffler is None:
            raise KeyError(f"Room {room} is not in this learner.")
        return shuffler

    # ----------------------------------------------------------------- state

    def room_weights(self, room: int) -> Optimised:
        """Copies of a room's weights and Adam's state: (groups, ...) each."""
        self._settle()
        return self._copy_weights(self.layout.rows(np.array([room])))

    def set_room_weights(self, room: int, weights: Optimised) -> None:
        """Write a room's weights and Adam's state, shaped as `room_weights` gives them."""
        self._settle()
        self._write_weights(self.layout.rows(np.array([room])), weights)

    def _copy_weights(self, rows: np.ndarray) -> Optimised:
        """Copies of `rows` of the weights and Adam's state."""
        params, moment1, moment2 = (
            self._copy_rows(tree, rows) for tree in (self.params, self.moment1, self.moment2)
        )
        return Optimised(params, moment1, moment2, mx.take(self.adam_steps, mx.array(rows)))

    def _write_weights(self, rows: np.ndarray, weights: Optimised) -> None:
        """Write `weights` into `rows` of the weights and Adam's state."""
        index = mx.array(rows)
        for tree, new in (
            (self.params, weights.params),
            (self.moment1, weights.moment1),
            (self.moment2, weights.moment2),
        ):
            for name in tree:
                tree[name][index] = new[name]
        self.adam_steps[index] = weights.steps
        mx.eval(self.params, self.moment1, self.moment2, self.adam_steps)

    def digest(self, room: int) -> bytes:
        """A room's weights as bytes, for hashing a run's final state."""
        self._settle()
        params = self._copy_rows(self.params, self.layout.rows(np.array([room])))
        return b"".join(np.array(params[name]).tobytes() for name in sorted(params))
