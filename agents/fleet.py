"""Many rooms stepped together: one world step over their slots, one MLX call for their agents.

Rooms are grouped in buckets (agents.buckets) of one agent count, one policy, one number of
worlds a room trains in and one world and learning config (each room has its own configs, the
fleet's defaults unless `add` is given others). A step of any set of rooms is one vectorised
world step and one act call per bucket, and the learning updates of the rooms whose rollouts filled are batched the same
way (agents.updates). Every random draw is the room's own, so a room's run is the same alone or
beside hundreds of others.

With a BackgroundTrainer, learning updates are computed on the trainer's thread while rooms go
on stepping here; a room whose rollout is full waits (it is `deferred`) until its update is back.

A learning room may train in several copies of its world at once (`set_envs`; the server does so
in turbo), as vectorised PPO does: every copy steps each tick, acting on the room's one set of
weights, and the room learns from all of them. The first copy is the room that people see (its
tick, episodes and figures); the others lay their own episodes from the room's seed.

Not thread-safe: every call must come from the one thread that owns the MLX work.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict
from typing import Any

import numpy as np

from agents.buckets import SCRIPTED, Bucket, make_bucket
from agents.fleet_rooms import FINISHED_KEPT, EpisodeSummary, FleetRoom, Totals, rows_of
from agents.learner import StackedLearner
from agents.policy import POLICIES, ActOutput
from agents.ppo import LearningConfig
from agents.room_checkpoint import FORMAT, RoomCheckpoint, json_safe
from agents.room_state import (
    act_arrays,
    act_from,
    check_facts,
    checked_copies,
    configs_from,
    put_worlds,
    seeds_facts,
    seeds_from,
    take_worlds,
)
from agents.trainer import BackgroundTrainer
from agents.updates import Updates
from env import snapshot
from env.config import NUM_ACTIONS, WorldConfig
from env.core import observation_size
from env.layout import lay_out, seed_key
from env.seeding import EpisodeSeeds
from env.snapshot import SlotState

__all__ = ["FINISHED_KEPT", "EpisodeSummary", "Fleet", "Totals"]
"""EpisodeSummary and Totals live in agents.fleet_rooms; the fleet's users name them from here."""

POLICY_SEED_STREAM = 1
"""The policy of a room seeded s draws from SeedSequence(s, spawn_key=(1,))."""
TRAINING_WORLD_STREAM = 2
"""Episode k of a room's extra world e draws from SeedSequence(s, spawn_key=(2, e, k))."""
LAY_AHEAD_TICKS = 200
"""A world this many ticks or fewer from the end of its episode gets the layout of its next episode
laid ahead, a few worlds a step (laying one costs ~3 ms). Rooms started together end their
episodes on one tick: 500 heuristic rooms laying theirs on it took 1.3 s, against 43 ms a step."""


class Fleet:
    """Every room of an engine; rooms are named by the int ids `add` hands out."""

    def __init__(
        self,
        config: WorldConfig | None = None,
        learning: LearningConfig | None = None,
        update_budget: int | None = None,
        trainer: BackgroundTrainer | None = None,
    ) -> None:
        """`update_budget` caps the learning updates one `step` makes or, with a `trainer`, hands
        it as one job (None: no cap); rooms due to update beyond it are deferred (see `step`), so
        that rooms whose rollouts fill on the same tick spread their updates over several steps
        instead of stalling them all."""
        self.config = config or WorldConfig()
        """The world config of rooms added without one."""
        self.learning = learning or LearningConfig()
        """The learning config of rooms added without one."""
        self.update_budget = update_budget
        self.trainer = trainer
        self._updates = Updates(trainer)
        self._buckets: dict[tuple[int, str, int, WorldConfig, LearningConfig | None], Bucket] = {}
        self._rooms: dict[int, FleetRoom] = {}
        self._next_id = 0

    # ----------------------------------------------------------------- rooms

    def add(
        self,
        num_agents: int,
        policy: str,
        seed: int | None,
        world: WorldConfig | None = None,
        learning: LearningConfig | None = None,
    ) -> int:
        """A new room of these configs (None: the fleet's); its first episode has begun. Returns
        the room's id. Its run is the same whatever other rooms, of any configs, the fleet holds."""
        if policy not in POLICIES:
            raise ValueError(f"Policy {policy!r} is not one of {', '.join(POLICIES)}.")
        world, learning = world or self.config, learning or self.learning
        bucket = self._bucket(num_agents, policy, 1, world, learning)
        seeds = EpisodeSeeds(seed)
        room = FleetRoom(bucket, bucket.add(seeds.spawn(POLICY_SEED_STREAM)), [seeds], world, learning)
        bucket.world.clear_slot(room.slot)
        self._blank_observations(room)
        self._begin_episodes(bucket, [(room, 0)])
        room_id = self._next_id
        self._next_id += 1
        self._rooms[room_id] = room
        return room_id

    @property
    def deferred(self) -> list[int]:
        """Rooms the last `step` left unstepped: their update is put off to a later step, or is
        with the trainer."""
        return self._updates.deferred

    def _bucket(
        self, num_agents: int, policy: str, envs: int, world: WorldConfig, learning: LearningConfig
    ) -> Bucket:
        """The bucket of rooms of these agents, policy, worlds and configs, made when first asked.
        Rooms that do not learn share theirs whatever their learning configs (which they ignore)."""
        key = (num_agents, policy, envs, world, None if policy in SCRIPTED else learning)
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = self._buckets[key] = make_bucket(num_agents, policy, envs, world, learning)
        return bucket

    def configs(self, room_id: int) -> tuple[WorldConfig, LearningConfig]:
        """The room's world and learning configs."""
        room = self._rooms[room_id]
        return room.world, room.learning

    def envs(self, room_id: int) -> int:
        """How many worlds the room trains in (see `set_envs`)."""
        return self._rooms[room_id].bucket.envs

    def set_envs(self, room_id: int, envs: int) -> None:
        """Train a learning room in `envs` worlds from its next step on: its own and envs - 1 copies
        that lay their own episodes (a copy that comes back goes on with its next episode).

        The room's world, weights, optimiser and sampling go on unchanged; its rollout starts
        over (what it gathered since its last update is dropped). Rooms of other policies do not
        learn, so they keep their one world."""
        if envs < 1:
            raise ValueError(f"A room trains in at least one world, not {envs}.")
        self._updates.settle(room_id)
        room = self._rooms[room_id]
        old = room.bucket
        envs = old.worlds_for(envs)
        if envs == old.envs:
            return
        new = self._bucket(old.num_agents, old.policy, envs, room.world, room.learning)
        old_row, old_slot, n = room.row, room.slot, old.num_agents
        first = room.observations[:n], room.masks[:n]
        room.bucket, room.row = new, new.take_over(old, old_row)
        new.world.copy_slot(old.world, old_slot, room.slot)
        old.remove(old_row)
        self._blank_observations(room)
        room.observations[:n], room.masks[:n] = first
        room.laid = {env: layout for env, layout in room.laid.items() if env < envs}
        for env in range(len(room.seeds), envs):
            room.seeds.append(EpisodeSeeds(room.seeds[0].entropy, stream=(TRAINING_WORLD_STREAM, env)))
        for env in range(1, envs):
            new.world.clear_slot(room.slot + env)
        self._begin_episodes(new, [(room, env) for env in range(1, envs)])

    def remove(self, room_id: int) -> None:
        """Forget a room and free its slot."""
        self._updates.settle(room_id)
        room = self._rooms.pop(room_id)
        room.bucket.remove(room.row)
        if (room.world, room.learning) != (self.config, self.learning):
            self._drop_empty_buckets(room.world)

    def _drop_empty_buckets(self, world: WorldConfig) -> None:
        """Forget the buckets of `world` that no room is in, but those of the fleet's default
        configs: configs come and go with sweeps, and a bucket holds its worlds, learner and
        compiled functions until dropped."""
        used = {id(room.bucket) for room in self._rooms.values()}
        for key, bucket in list(self._buckets.items()):
            if (
                key[3] == world
                and id(bucket) not in used
                and (key[3], key[4]) != (self.config, self.learning)
            ):
                del self._buckets[key]

    def __contains__(self, room_id: int) -> bool:
        return room_id in self._rooms

    def __len__(self) -> int:
        return len(self._rooms)

    def _blank_observations(self, room: FleetRoom) -> None:
        """Observation arrays for every world of the room, for its worlds to fill."""
        agents = room.bucket.envs * room.bucket.num_agents
        room.observations = np.zeros((agents, observation_size(room.world)), dtype=np.float32)
        room.masks = np.zeros((agents, NUM_ACTIONS), dtype=bool)

    def _begin_episodes(self, bucket: Bucket, worlds: list[tuple[FleetRoom, int]]) -> None:
        """Begin the next episode of each (room, world) of `bucket` (laid ahead, or now) and
        observe them all in one call."""
        if not worlds:
            return
        slots = []
        for room, env in worlds:
            seed = room.seeds[env].next()
            layout = room.laid.pop(env, None)
            if layout is None or layout.key != seed_key(seed):
                layout = lay_out(bucket.world.config, seed, bucket.num_agents)
            bucket.world.reset_slot(room.slot + env, layout, new_episode=True)
            slots.append(room.slot + env)
        observations, masks = bucket.world.observe(np.array(slots))
        n = bucket.num_agents
        for k, (room, env) in enumerate(worlds):
            agents = slice(env * n, (env + 1) * n)
            room.observations[agents] = observations[k]
            room.masks[agents] = masks[k]

    # ------------------------------------------------------------------ steps

    def step(self, room_ids: Iterable[int]) -> dict[int, EpisodeSummary]:
        """Advance each room by one tick, all of one bucket in one world step and one act call.

        Returns the summaries of the episodes that these ticks ended, by room id; those rooms
        have begun their next episode. Learning rooms due to update do not step when the update
        is beyond `update_budget` or goes to the trainer: they are listed in `deferred` and
        update first (in the order given, so put the longest waiting first), stepping on a later
        step once their update is done. A room's run does not depend on when it steps.
        """
        failed = self._updates.take_finished(wait=False)
        if failed:
            raise failed[0]
        return self._step(list(room_ids), self.update_budget, background=self.trainer is not None)

    def step_one(self, room_id: int) -> EpisodeSummary | None:
        """Advance one room by one tick now: an update it is due, or has with the trainer, is
        made first. Returns the summary of the episode this tick ended, if any."""
        self._updates.settle(room_id)
        return self._step([room_id], None, background=False).get(room_id)

    def _step(self, room_ids: list[int], budget: int | None, background: bool) -> dict[int, EpisodeSummary]:
        if len(set(room_ids)) != len(room_ids):
            raise ValueError(f"A room steps once per step; {room_ids} names one twice.")
        ended: dict[int, EpisodeSummary] = {}
        self._updates.begin_step(budget if budget is not None else len(self._rooms), background)
        for bucket, ids in self._by_bucket(room_ids):
            ended.update(self._step_bucket(bucket, ids))
        return ended

    def _by_bucket(self, room_ids: Iterable[int]) -> list[tuple[Bucket, list[int]]]:
        """`room_ids` grouped by bucket, each group in the order given."""
        groups: dict[int, tuple[Bucket, list[int]]] = {}
        for room_id in room_ids:
            bucket = self._rooms[room_id].bucket
            groups.setdefault(id(bucket), (bucket, []))[1].append(room_id)
        return list(groups.values())

    def _step_bucket(self, bucket: Bucket, ids: list[int]) -> dict[int, EpisodeSummary]:
        rooms = [self._rooms[i] for i in ids]
        observed = [room.observations for room in rooms]
        ids = bucket.update_due(ids, rows_of(rooms), observed, self._updates)
        if not ids:
            return {}
        rooms = [self._rooms[i] for i in ids]
        rows = rows_of(rooms)
        slots = np.concatenate([room.slots for room in rooms])
        observations = np.stack([room.observations for room in rooms])
        masks = np.stack([room.masks for room in rooms])
        n = bucket.num_agents
        actions, first_acts = bucket.act(rows, observations, masks)
        for room, first_act in zip(rooms, first_acts, strict=True):
            room.last_act = first_act

        result = bucket.world.step(slots, actions.reshape(len(slots), n))
        over = result.terminated | result.truncated
        bucket.record(rows, result.rewards.reshape(len(rooms), -1), over.reshape(len(rooms), -1))
        observations = observations.reshape(len(slots), n, -1)
        masks = masks.reshape(len(slots), n, -1)
        going = np.flatnonzero(~over)
        if len(going):
            observations[going], masks[going] = bucket.world.observe(slots[going])
        for i, room in enumerate(rooms):
            worlds = slice(i * bucket.envs, (i + 1) * bucket.envs)
            room.observations = observations[worlds].reshape(bucket.envs * n, -1)
            room.masks = masks[worlds].reshape(bucket.envs * n, -1)
            room.totals.reward += float(result.rewards[i * bucket.envs].sum())
            room.totals.agent_steps += bucket.envs * n
        ended: dict[int, EpisodeSummary] = {}
        beginning = []
        for index in np.flatnonzero(over).tolist():
            i, env = divmod(index, bucket.envs)
            if env == 0:
                reason = "terminated" if result.terminated[index] else "truncated"
                ended[ids[i]] = self._end_episode(rooms[i], reason)
            beginning.append((rooms[i], env))
        self._begin_episodes(bucket, beginning)
        self._lay_ahead(bucket, rooms, slots)
        return ended

    def _lay_ahead(self, bucket: Bucket, rooms: list[FleetRoom], slots: np.ndarray) -> None:
        """Lay the next episodes of the worlds of `rooms` (at `slots`) within LAY_AHEAD_TICKS of
        their end, as few a step as finishes them all before the first of them ends."""
        world = bucket.world
        left = world.config.max_ticks - world.episode_tick[slots]
        near = np.flatnonzero(left <= LAY_AHEAD_TICKS)
        waiting = [
            (int(left[k]), rooms[k // bucket.envs], k % bucket.envs)
            for k in near.tolist()
            if k % bucket.envs not in rooms[k // bucket.envs].laid
        ]
        if not waiting:
            return
        waiting.sort(key=lambda entry: entry[0])
        quota = -(-len(waiting) // max(1, waiting[0][0]))
        for _, room, env in waiting[:quota]:
            room.laid[env] = lay_out(world.config, room.seeds[env].peek(), bucket.num_agents)

    def reset(self, room_id: int) -> EpisodeSummary:
        """End the room's episode now and begin the next one of its seed sequence."""
        self._updates.settle(room_id)
        room = self._rooms[room_id]
        room.bucket.end_episode(room.row)
        summary = self._end_episode(room, "reset")
        self._begin_episodes(room.bucket, [(room, 0)])
        return summary

    def restart_training(self, room_id: int) -> tuple[EpisodeSummary, int]:
        """End a learning room's episode (as `reset`) and start its learning over as a new room's,
        drawn from its seed and count of restarts (FleetRoom.restart_seed); that summary and count.
        A ValueError, with nothing done, for a room that does not learn."""
        room = self._rooms[room_id]
        learner = room.bucket.learner_of(room.row)
        if learner is None:
            raise ValueError(f"A {room.bucket.policy} room does not learn: it has no training to restart.")
        summary = self.reset(room_id)
        learner[0].start_over(learner[1], room.restart_seed())
        return summary, room.restarts

    def _end_episode(self, room: FleetRoom, reason: str) -> EpisodeSummary:
        """Sum up the episode of the room's first world and count it; the next one is begun by
        the caller (`_begin_episodes`)."""
        world, slot = room.bucket.world, room.slot
        stats = snapshot.stats(world, slot)
        metrics: dict[str, float | int] = {
            "return": round(float(world.agent_reward[slot, : room.bucket.num_agents].mean()), 4),
            "products": int(stats["products_created"]),
            "ticks": int(world.episode_tick[slot]),
            "agent_steps": room.totals.agent_steps,
        }
        metrics.update(room.bucket.take_figures(room.row).summary())
        summary = EpisodeSummary(
            int(world.episode[slot]), int(world.total_tick[slot]), stats, reason, metrics
        )
        totals = room.totals
        totals.products += int(stats["products_created"])
        totals.episodes += 1
        totals.finished.append(summary)
        del totals.finished[:-FINISHED_KEPT]
        return summary

    # ------------------------------------------------------------ checkpoints

    def checkpoint(self, room_id: int) -> RoomCheckpoint:
        """Everything the room's future depends on (agents.room_checkpoint), its configs among
        them: `restore` in any fleet makes a room that goes on exactly as this one. An update of the
        room with the trainer is waited for first. Layouts laid ahead are left out: they are laid
        again from the seeds, alike."""
        self._updates.settle(room_id)
        room = self._rooms[room_id]
        bucket = room.bucket
        policy_facts, policy_arrays = bucket.room_state(room.row)
        worlds, logs = take_worlds(bucket.world, room.slots)
        arrays = {f"policy/{name}": value for name, value in policy_arrays.items()} | worlds
        arrays |= {"observations": room.observations.copy(), "masks": room.masks.copy()}
        arrays |= act_arrays(room.last_act)
        facts = {
            "format": FORMAT,
            "num_agents": bucket.num_agents,
            "policy": bucket.policy,
            "envs": bucket.envs,
            "seed": str(room.seeds[0].entropy),
            "tick": self.tick(room_id),
            "episode": self.episode(room_id),
            "world": asdict(room.world),
            "learning": asdict(room.learning),
            "seeds": seeds_facts(room.seeds),
            "logs": logs,
            "totals": asdict(room.totals),
            "restarts": room.restarts,
            "policy_state": policy_facts,
        }
        return RoomCheckpoint(json_safe(facts), arrays)

    def restore(self, checkpoint: RoomCheckpoint) -> int:
        """A new room that goes on exactly as the checkpointed one would have, with the configs it
        ran with (whatever this fleet's defaults); its id. A ValueError says why a checkpoint
        cannot be restored (another format, malformed configs, arrays that do not fit them)."""
        facts, arrays = checkpoint.facts, checkpoint.arrays
        check_facts(facts)
        world, learning = configs_from(facts)
        bucket = self._bucket(
            int(facts["num_agents"]), str(facts["policy"]), int(facts["envs"]), world, learning
        )
        policy = {k.removeprefix("policy/"): v for k, v in arrays.items() if k.startswith("policy/")}
        row = bucket.restore_room(facts["policy_state"], policy)
        room = FleetRoom(bucket, row, seeds_from(facts["seeds"]), world, learning)
        try:
            put_worlds(bucket.world, room.slots, arrays, facts["logs"])
            self._blank_observations(room)
            room.observations, room.masks = checked_copies(arrays, room.observations, room.masks)
        except BaseException:
            bucket.remove(room.row)
            raise
        room.last_act = act_from(arrays)
        finished = [EpisodeSummary(**summary) for summary in facts["totals"]["finished"]]
        room.totals = Totals(**{**facts["totals"], "finished": finished})
        room.restarts = int(facts.get("restarts", 0))  # checkpoints made before restarts hold none
        room_id = self._next_id
        self._next_id += 1
        self._rooms[room_id] = room
        return room_id

    def rollout_ticks(self, room_id: int) -> int:
        """Ticks the room has gathered in its rollout in progress: 0 right after an update, and
        for rooms that do not learn (a rollout with the trainer is full until its update is back)."""
        room = self._rooms[room_id]
        return room.bucket.rollout_ticks(room.row)

    # ------------------------------------------------------------------ views

    def tick(self, room_id: int) -> int:
        room = self._rooms[room_id]
        return int(room.bucket.world.total_tick[room.slot])

    def episode(self, room_id: int) -> int:
        room = self._rooms[room_id]
        return int(room.bucket.world.episode[room.slot])

    def seed(self, room_id: int) -> int:
        return self._rooms[room_id].seeds[0].entropy

    def last_act(self, room_id: int) -> ActOutput | None:
        return self._rooms[room_id].last_act

    def observation(self, room_id: int) -> tuple[np.ndarray, np.ndarray]:
        """The room's current (agents, obs) observations and (agents, actions) masks."""
        room = self._rooms[room_id]
        n = room.bucket.num_agents
        return room.observations[:n], room.masks[:n]

    def positions(self, room_id: int) -> np.ndarray:
        """(agents, 2) each agent's (x, y) now."""
        room = self._rooms[room_id]
        return room.bucket.world.pos[room.slot, : room.bucket.num_agents, ::-1].astype(np.int64)

    def stats(self, room_id: int) -> dict[str, float | int]:
        room = self._rooms[room_id]
        return snapshot.stats(room.bucket.world, room.slot)

    def snapshot(self, room_id: int, **meta: Any) -> dict[str, Any]:
        room = self._rooms[room_id]
        return snapshot.snapshot(room.bucket.world, room.slot, **meta)

    def state(self, room_id: int) -> SlotState:
        """The room's Snapshot as arrays (see env.snapshot.SlotState)."""
        return self.states([room_id])[room_id]

    def states(self, room_ids: Iterable[int]) -> dict[int, SlotState]:
        """`state` of many rooms, taken together for the rooms of each bucket."""
        found: dict[int, SlotState] = {}
        for bucket, ids in self._by_bucket(room_ids):
            slots = np.array([self._rooms[i].slot for i in ids], dtype=np.int64)
            found.update(zip(ids, snapshot.capture_many(bucket.world, slots), strict=True))
        return found

    def totals(self, room_id: int) -> Totals:
        """The room's running totals since it was added."""
        return self._rooms[room_id].totals

    def state_digest_bytes(self, room_id: int) -> bytes:
        """The room's world and, for learning rooms, its weights: equal bytes, equal states."""
        self._updates.settle(room_id)
        room = self._rooms[room_id]
        digest = snapshot.state_digest_bytes(room.bucket.world, room.slot)
        return digest + room.bucket.digest(room.row)

    def learner_of(self, room_id: int) -> tuple[StackedLearner, int] | None:
        """The learner holding a learning room's weights, and the room's row in it."""
        self._updates.settle(room_id)
        room = self._rooms[room_id]
        return room.bucket.learner_of(room.row)
