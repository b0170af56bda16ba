"""The engine: one real OS thread that owns the Fleet of every room and all MLX work.

Socket handlers never touch a simulation. They send the engine a command (a function to run on
its thread) and wait for the result without blocking the event loop (``Engine.call``). The engine
thread runs commands as they come, steps every room that is due (``step_due``, the one place the
performance work batches across rooms), and hands what must be sent to the event loop through the
``Bridge``: closures that the loop runs in order, so a joining member's full snapshot can never
overtake or be overtaken by the room's deltas.

Scheduling is against deadlines: a room at speed s is due every 1 / (10 s) seconds from when it
started, so ticks do not drift with the time the work takes. A room in turbo (``"max"``) is due on
every cycle. What members are sent is server.engine.broadcast's; what is stored of each room
(controls, episodes, checkpoints) is server.engine.keeper's, written by the archive's thread.
"""

from __future__ import annotations

import logging
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from agents.fleet import EpisodeSummary, Fleet
from agents.learning_config import LearningConfig
from agents.room_checkpoint import RoomCheckpoint
from agents.trainer import BackgroundTrainer
from env.config import WorldConfig
from server.engine.archive import Archive
from server.engine.broadcast import Broadcast
from server.engine.collector import FullCollections, Pauses
from server.engine.faults import FaultInjector
from server.engine.handoff import CALL_TIMEOUT, AfterHub, Bridge, Future, Hub, real_modules
from server.engine.history import RESET, RESTART_TRAINING, TURBO_OFF, TURBO_ON
from server.engine.keeper import Keeper, take_checkpoint
from server.engine.room import EngineRoom, first_due
from server.engine.updates import plain
from server.settings import Settings

log = logging.getLogger(__name__)

T = TypeVar("T")
MAX_BACKLOG_SECONDS = 3.0
"""A room that falls behind its schedule catches up; one further behind than this drops the
backlog instead. Rooms whose rollouts fill together wait for their learning updates, computed
updates_per_cycle rooms at a time on the trainer thread."""
IDLE_WAKEUP = 0.5
MIN_CYCLE_SECONDS = 0.004
"""Cycles start at least this far apart (commands excepted, and turbo rooms): rooms due within a
few ms step in one cycle, which keeps scans over hundreds of rooms rare and batches their steps."""
COMMAND_SECONDS = 0.02
"""Commands run at most this long in a row before due rooms step: commands that kept coming (20
members asking get_state 20 times a second each) kept every room from stepping for seconds."""
Command = tuple[Callable[..., Any], tuple[Any, ...], Future | None]


class InvalidState(Exception):
    """A control that does not fit the room's state."""


class Engine:
    """Owns the Fleet and every EngineRoom; every method named ``op_*`` runs on the engine thread only."""

    def __init__(self, settings: Settings, bridge: Bridge, hub: Hub, archive: Archive) -> None:
        self.settings = settings
        self.bridge = bridge
        self.hub = hub
        self.keeper = Keeper(
            archive,
            settings.checkpoint_seconds,
            settings.checkpoint_replay_seconds,
            settings.checkpoints_per_cycle,
        )
        self.rooms: dict[str, EngineRoom] = {}
        self._fleet: Fleet | None = None
        self._trainer: BackgroundTrainer | None = None
        threading, queue = real_modules()
        self._commands: Any = queue.SimpleQueue()
        self._empty: type[Exception] = queue.Empty
        self._cycle_started = 0.0
        self._thread: Any = threading.Thread(target=self._run, name="simrooms-engine", daemon=True)
        self._stopping = False
        self.broadcast = Broadcast(bridge, hub, settings.update_rate)
        self._faults = FaultInjector(settings.fault_room_prefix, settings.fault_after_ticks)
        interval = settings.gc_full_collection_seconds
        self._collections = FullCollections(interval) if interval else None
        self.pauses = Pauses()
        """Every garbage collection's pause while the engine runs (exported in /metrics)."""

    @property
    def fleet(self) -> Fleet:
        """Every room's world and policy; made on the engine thread, which alone may use it."""
        if self._fleet is None:
            raise RuntimeError("The engine thread has not started: there is no fleet yet.")
        return self._fleet

    # --------------------------------------------------------------- control

    def start(self) -> None:
        if self.settings.engine_warmup:
            self._commands.put((self._warmup, (), None))
        if self._collections is not None:
            self._collections.start(time.monotonic())
        self.pauses.install()  # after the start's collection of the imports' heap
        self._thread.start()

    def stop(self, timeout: float = 15.0) -> None:
        """End the engine thread, which checkpoints every room last (the archive writes them)."""
        self._stopping = True
        self._wake()
        if self._thread.is_alive():
            self._thread.join(timeout)
        if self._trainer is not None:
            self._trainer.close(timeout)
        if self._collections is not None:
            self._collections.stop()
        self.pauses.uninstall()

    def _wake(self) -> None:
        """Make the engine run a cycle now (from any thread)."""
        self._commands.put((lambda: None, (), None))

    def submit(self, fn: Callable[..., Any], *args: Any) -> Future:
        future = Future(self.bridge)
        self._commands.put((fn, args, future))
        return future

    def call(self, fn: Callable[..., T], *args: Any, timeout: float = CALL_TIMEOUT) -> T:
        """Run ``fn(*args)`` on the engine thread and return its result, without blocking the loop."""
        result: T = self.submit(fn, *args).wait(timeout)
        return result

    def join(self, key: str, sid: str, members: int) -> dict[str, Any]:
        """``op_join`` on the engine thread: the snapshot `sid` was sent, once it was sent."""
        state: dict[str, Any] = self.submit(self.op_join, key, sid, members).wait()
        return state

    def tell(self, fn: Callable[..., Any], *args: Any) -> None:
        """Run ``fn(*args)`` on the engine thread; nobody waits for it."""
        self._commands.put((fn, args, None))

    # --------------------------------------------------------------- the loop

    def _run(self) -> None:
        # MLX arrays belong to the thread that made them: the fleet is made here.
        self._trainer = BackgroundTrainer(self._wake, *real_modules())
        self._fleet = Fleet(update_budget=self.settings.updates_per_cycle, trainer=self._trainer)
        while not self._stopping:
            try:
                self._cycle()
            except Exception:  # the engine must outlive any bug of one cycle
                log.exception("An engine cycle failed; the engine goes on")
                time.sleep(0.01)
        self.op_checkpoint_all("shutdown")

    def _cycle(self) -> None:
        timeout = max(0.0, min(self._next_wakeup() - time.monotonic(), IDLE_WAKEUP))
        command = self._next_command(timeout)
        budget = time.monotonic() + COMMAND_SECONDS
        while command is not None:
            self._run_command(*command)
            command = self._next_command(0.0) if time.monotonic() < budget else None
        if self._stopping:
            return
        now = self._cycle_started = time.monotonic()
        due = [room for room in self.rooms.values() if room.running and room.next_due <= now]
        if due:
            started = time.perf_counter()
            self.step_due(due, now)
            self.broadcast.figures.durations.append(time.perf_counter() - started)
            self.broadcast.figures.cycle_rooms.append(len(due))
        self.broadcast.flush(self.fleet, list(self.rooms.values()), time.monotonic(), self._fail)
        self._keep(time.monotonic())
        self.broadcast.hand_figures()
        if self._collections is not None:
            took = self._collections.run_if_due(time.monotonic())
            if took is not None:
                log.debug("A full garbage collection took %.1f ms", 1000 * took)

    def _next_command(self, timeout: float) -> Command | None:
        try:
            command: Command = (
                self._commands.get(timeout=timeout) if timeout > 0 else self._commands.get_nowait()
            )
        except self._empty:
            return None
        return command

    def _run_command(self, fn: Callable[..., Any], args: tuple[Any, ...], future: Future | None) -> None:
        try:
            value = fn(*args)
        except Exception as error:  # the caller gets it; the engine goes on
            if future is None:
                log.exception("Engine command %s failed", getattr(fn, "__name__", fn))
            else:
                future.set(error=error)
            return
        if future is not None:
            if isinstance(value, AfterHub):
                future.set_after(value.value, value.before)
            else:
                future.set(value)

    def _next_wakeup(self) -> float:
        wake = time.monotonic() + IDLE_WAKEUP
        turbo = False
        for room in self.rooms.values():
            if room.running and not room.waiting:
                wake = min(wake, room.next_due)
                turbo = turbo or room.turbo
            if room.dirty and room.members:
                wake = min(wake, room.last_flush + self.broadcast.interval)
        return wake if turbo else max(wake, self._cycle_started + MIN_CYCLE_SECONDS)

    def step_due(self, due: list[EngineRoom], now: float) -> None:
        """Step every room that is due once: all but the fault hook's in one batched
        `Fleet.step` (one world step and one MLX call per bucket of like rooms). Should the
        batched step raise, its rooms step one by one, so that only the rooms whose own step
        raises are stopped (those that had already stepped may have stepped once more: a step
        that raises leaves no promise about the others)."""
        fleet = self.fleet
        # Most overdue first: when more rollouts fill than one cycle may update, the rooms that
        # wait (and step a cycle later) are the least behind.
        batched = sorted(
            (room for room in due if not self._faults.armed(room.key)), key=lambda room: room.next_due
        )
        outcomes: dict[str, EpisodeSummary | None] = {}
        waiting: set[str] = set()
        if batched:
            try:
                ended = fleet.step([room.fleet_id for room in batched])
                deferred = set(fleet.deferred)
                waiting = {room.key for room in batched if room.fleet_id in deferred}
                outcomes = {room.key: ended.get(room.fleet_id) for room in batched if room.key not in waiting}
            except Exception:
                log.exception("A batched step of %d rooms raised; stepping them one by one", len(batched))
        for room in due:
            room.waiting = room.key in waiting
            if room.waiting:
                continue  # still due: it steps once its update is done
            try:
                summary = outcomes[room.key] if room.key in outcomes else self._step_alone(room)
                self._stepped(room, summary)
            except Exception as error:
                self._fail(room, error)
                continue
            if room.turbo:
                room.next_due = now
            else:
                room.next_due += room.period
                if room.next_due < now - MAX_BACKLOG_SECONDS:
                    room.next_due = first_due(now, room.period)

    def _step_alone(self, room: EngineRoom) -> EpisodeSummary | None:
        self._faults.before_step(room.key)
        return self.fleet.step_one(room.fleet_id)

    def _stepped(self, room: EngineRoom, summary: EpisodeSummary | None) -> None:
        self.broadcast.figures.count_tick(room.agent_steps_per_tick)
        room.replay_cost += self.keeper.tick_cost(room.worlds)
        self._publish(room)
        room.dirty = True
        if summary is not None:
            self._episode_ended(room, summary)

    def _publish(self, room: EngineRoom) -> None:
        room.tick = self.fleet.tick(room.fleet_id)
        room.episode = self.fleet.episode(room.fleet_id)

    def _fail(self, room: EngineRoom, error: BaseException) -> None:
        log.error(
            "Room %r stopped: its step raised\n%s", room.name, "".join(traceback.format_exception(error))
        )
        stopped_at = room.tick if room.running else None
        room.running = False
        room.dirty = True
        message = f"The room's step failed and the room stopped: {type(error).__name__}: {error}"
        room.error = message
        self.broadcast.room_failed(room, message, stopped_at)

    def _episode_ended(self, room: EngineRoom, summary: EpisodeSummary) -> None:
        self.keeper.episode(room, summary)
        self.broadcast.episode_ended(room, summary)

    # --------------------------------------------------------------- commands (engine thread)

    def _warmup(self) -> None:
        """Build and step one learning room, so the first real one does not stall the engine
        while MLX compiles."""
        try:
            room = self.fleet.add(4, "learning", 0)
            for _ in range(4):
                self.fleet.step_one(room)
            self.fleet.remove(room)
        except Exception:
            log.exception("Engine warm-up failed")

    def op_create(
        self,
        key: str,
        name: str,
        record_id: int,
        agents: int,
        policy: str,
        seed: int,
        speed: float | str,
        world: WorldConfig | None = None,
        learning: LearningConfig | None = None,
    ) -> EngineRoom:
        """A new room, stored as `record_id`, of those configs (None: the defaults); its first
        checkpoint is taken at once."""
        room = EngineRoom(
            key=key,
            name=name,
            fleet_id=self.fleet.add(agents, policy, seed, world, learning),
            agents=agents,
            speed=speed,
            record_id=record_id,
        )
        self._set_worlds(room, None)
        return self._added(room, "created")

    def op_create_from(self, key: str, name: str, record_id: int, source: RoomCheckpoint) -> EngineRoom:
        """A new room, stopped, at the state `source` holds (a fork), going on from there."""
        fleet_id = self.fleet.restore(source)
        room = EngineRoom(
            key=key, name=name, fleet_id=fleet_id, agents=int(source.facts["num_agents"]), record_id=record_id
        )
        self._set_worlds(room, None)
        return self._added(room, "fork")

    def _added(self, room: EngineRoom, reason: str) -> EngineRoom:
        self._faults.arm(room.key, room.name)
        self._publish(room)
        self.rooms[room.key] = room
        self.keeper.checkpoint(self.fleet, room, reason, time.monotonic())
        return room

    def op_restore(self, room: EngineRoom, paths: list[Path], running: bool) -> None:
        """Bring back a stored room as its newest readable checkpoint file holds it (Keeper.restore);
        `running` says whether it goes on ticking."""
        if not self.keeper.restore(self.fleet, room, paths):
            room.running = False
            raise InvalidState(f"No checkpoint of room {room.name!r} could be read; it was not restored.")
        self._faults.arm(room.key, room.name)
        self.rooms[room.key] = room
        room.running = running
        if running:
            room.next_due = first_due(time.monotonic(), room.period)

    def op_take_checkpoint(self, key: str) -> RoomCheckpoint:
        """Room `key`'s whole state now (to fork it)."""
        return take_checkpoint(self.fleet, self.room(key))

    def op_checkpoint_all(self, reason: str) -> None:
        """Checkpoint every room that changed since its last checkpoint (at shutdown)."""
        now = time.monotonic()
        for room in self.rooms.values():
            if (room.tick, room.seq) != (room.checkpoint_tick, room.checkpoint_seq):
                try:
                    self.keeper.checkpoint(self.fleet, room, reason, now)
                except Exception:
                    log.exception("Checkpointing room %r failed", room.name)

    def _keep(self, now: float) -> None:
        for room in self.keeper.due(self.rooms.values(), now, self.fleet.rollout_ticks):
            try:
                self.keeper.checkpoint(self.fleet, room, "periodic", now)
            except Exception:
                log.exception("Checkpointing room %r failed; it is tried again later", room.name)
                room.checkpointed_at = now

    def _set_worlds(self, room: EngineRoom, user_id: int | None) -> None:
        """A learning room in turbo trains in `turbo_worlds` copies of its world, else in its own;
        a change is recorded, as it changes what the room goes on to do."""
        self.fleet.set_envs(room.fleet_id, self.settings.turbo_worlds if room.turbo else 1)
        worlds = self.fleet.envs(room.fleet_id)
        if worlds != room.worlds:
            if worlds > 1:
                self.keeper.control(room, TURBO_ON, {"worlds": worlds}, user_id)
            else:
                self.keeper.control(room, TURBO_OFF, None, user_id)
        room.worlds = worlds

    def op_delete(self, key: str) -> None:
        room = self.rooms.pop(key, None)
        if room is not None:
            room.running = False
            room.last_sent = None
            self._faults.forget(key)
            self.fleet.remove(room.fleet_id)

    def op_rename(self, key: str, new_key: str, name: str, then: Callable[[], None]) -> AfterHub:
        """Room `key` is called `name` (key `new_key`) from now on. Answered once `then` has run on
        the event loop, after everything posted for the room under its old key."""
        room = self.room(key)
        del self.rooms[key]
        room.key, room.name, room.shown = new_key, name, None
        self.rooms[new_key] = room
        self._faults.forget(key)
        self._faults.arm(new_key, name)
        return AfterHub(None, then)

    def room(self, key: str) -> EngineRoom:
        """Room `key`; KeyError when there is none (engine thread)."""
        room = self.rooms.get(key)
        if room is None:
            raise KeyError(key)
        return room

    def op_start(self, key: str, user_id: int | None = None) -> tuple[bool, int, int]:
        room = self.room(key)
        changed = not room.running
        if changed:
            self.keeper.control(room, "start", None, user_id)
            room.running = True
            room.waiting = False
            room.error = None
            room.next_due = first_due(time.monotonic(), room.period)
            room.dirty = True
        return changed, room.tick, room.episode

    def op_stop(self, key: str, user_id: int | None = None) -> tuple[bool, int, int]:
        room = self.room(key)
        changed = room.running
        if changed:
            self.keeper.control(room, "stop", None, user_id)
            room.running = False
            room.dirty = True
        return changed, room.tick, room.episode

    def op_step(self, key: str, user_id: int | None = None) -> int:
        room = self.room(key)
        if room.running:
            raise InvalidState("step_game steps a stopped room; this one is running (stop it first).")
        self.keeper.control(room, "step", None, user_id)
        try:
            summary = self._step_alone(room)
        except Exception as error:
            self._fail(room, error)
            raise InvalidState(room.error or "The room's step failed.") from None
        self._stepped(room, summary)
        return room.tick

    def op_reset(self, key: str, user_id: int | None = None, restart_training: bool = False) -> int:
        """End the room's episode now; with `restart_training` its learning starts over too
        (Fleet.restart_training: a learning room only). One control is recorded either way."""
        room = self.room(key)
        self._faults.before_reset(key)
        if restart_training:
            summary, restarts = self.fleet.restart_training(room.fleet_id)
            self.keeper.control(room, RESTART_TRAINING, {"restarts": restarts}, user_id)
        else:
            summary = self.fleet.reset(room.fleet_id)
            self.keeper.control(room, RESET, None, user_id)
        self._publish(room)
        room.dirty = True
        self._episode_ended(room, summary)
        if room.running:
            room.next_due = first_due(time.monotonic(), room.period)
        return room.tick

    def op_set_speed(self, key: str, speed: float | str, user_id: int | None = None) -> float | str:
        room = self.room(key)
        if room.speed != speed:
            self.keeper.control(room, "speed", speed, user_id)
            room.speed = speed
            self._set_worlds(room, user_id)
            room.dirty = True
            if room.running:
                room.next_due = min(room.next_due, first_due(time.monotonic(), room.period))
        return speed

    def snapshot(self, room: EngineRoom) -> dict[str, Any]:
        """The room's Snapshot now (engine thread)."""
        return dict(
            self.fleet.snapshot(room.fleet_id, room=room.name, running=room.running, speed=room.speed)
        )

    def op_snapshot(self, key: str) -> dict[str, Any]:
        room = self.room(key)
        stamp = (room.tick, room.episode, room.running, room.speed)
        if room.shown is None or room.shown[0] != stamp:
            room.shown = (stamp, plain(self.snapshot(room)))
        return room.shown[1]

    def op_join(self, key: str, sid: str, members: int) -> AfterHub:
        """See Broadcast.join."""
        return self.broadcast.join(self.fleet, self.room(key), sid, members)

    def op_set_members(self, key: str, members: int) -> None:
        room = self.rooms.get(key)
        if room is not None:
            room.members = members
            if not members:
                room.last_sent = None
