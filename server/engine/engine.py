"""The engine: one real OS thread that owns the Fleet of every room and all MLX work.

Socket handlers never touch a simulation. They send the engine a command (a function to run on
its thread) and wait for the result without blocking the event loop (``Engine.call``). The engine
thread runs commands as they come, steps every room that is due (``step_due``, the one place the
performance work batches across rooms), and hands what must be sent to the event loop through the
``Bridge``: closures that the loop runs in order, so a joining member's full snapshot can never
overtake or be overtaken by the room's deltas.

Scheduling is against deadlines: a room at speed s is due every 1 / (10 s) seconds from when it
started, so ticks do not drift with the time the work takes. A room in turbo (``"max"``) is due on
every cycle. Updates to a room's members are folded: at most ``update_rate`` per second, each the
delta from the last snapshot sent to the current one, encoded once per room, and nothing at all for
a room without members.
"""

from __future__ import annotations

import logging
import time
import traceback
from collections.abc import Callable
from typing import Any, TypeVar

from agents.fleet import EpisodeSummary, Fleet
from agents.trainer import BackgroundTrainer
from env.snapshot import SlotState, changes_many
from server.engine.collector import FullCollections, Pauses
from server.engine.faults import FaultInjector
from server.engine.handoff import CALL_TIMEOUT, AfterHub, Bridge, Future, Hub, real_modules
from server.engine.room import EngineRoom, first_due
from server.engine.updates import EngineFigures, Sent, encode_event, now_ms, plain, update_payload
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

    def __init__(self, settings: Settings, bridge: Bridge, hub: Hub) -> None:
        self.settings = settings
        self.bridge = bridge
        self.hub = hub
        self.rooms: dict[str, EngineRoom] = {}
        self._fleet: Fleet | None = None
        self._trainer: BackgroundTrainer | None = None
        threading, queue = real_modules()
        self._commands: Any = queue.SimpleQueue()
        self._empty: type[Exception] = queue.Empty
        self._cycle_started = 0.0
        self._thread: Any = threading.Thread(target=self._run, name="simrooms-engine", daemon=True)
        self._stopping = False
        self._flush_interval = 1.0 / settings.update_rate
        self._figures = EngineFigures()
        self._last_figures = 0.0
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

    def stop(self, timeout: float = 5.0) -> None:
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
            self._figures.durations.append(time.perf_counter() - started)
            self._figures.cycle_rooms.append(len(due))
        self._flush(time.monotonic())
        self._hand_figures()
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
                wake = min(wake, room.last_flush + self._flush_interval)
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
        self._figures.count_tick(room.agent_steps_per_tick)
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
        room.running = False
        room.dirty = True
        message = f"The room's step failed and the room stopped: {type(error).__name__}: {error}"
        room.error = message
        body = encode_event("room_error", {"room": room.name, "message": message})
        key = room.key

        def report() -> None:
            self.hub.send_room(key, "room_error", body)
            self.hub.room_failed(key, message)

        self.bridge.post(report)

    def _episode_ended(self, room: EngineRoom, summary: EpisodeSummary) -> None:
        if not room.members:
            return
        ended = encode_event(
            "game_ended",
            {
                "room": room.name,
                "episode": int(summary.episode),
                "tick": int(summary.tick),
                "stats": dict(summary.stats),
                "reason": summary.reason,
            },
        )
        figures: dict[str, Any] = {"room": room.name, "episode": int(summary.episode)}
        figures.update({k: v for k, v in summary.metrics.items() if k not in figures})
        metrics = encode_event("metrics", figures)
        key = room.key
        # No update is forced out here: that would break "at most update_rate a second" in turbo,
        # where episodes can end many times a second. The next update folds the episode's end in.
        self.bridge.post(
            lambda: (
                self.hub.send_room(key, "game_ended", ended),
                self.hub.send_room(key, "metrics", metrics),
            )
        )

    # --------------------------------------------------------------- updates

    def _sent_now(self, room: EngineRoom) -> Sent:
        """The room as it is now, in the form its updates are taken from."""
        return Sent(self.fleet.state(room.fleet_id), room.running, room.speed)

    def _flush(self, now: float) -> None:
        due = [
            room
            for room in list(self.rooms.values())
            if room.dirty and room.members and now >= room.last_flush + self._flush_interval
        ]
        # The rooms are captured together, one gather per array, and their changes since the
        # last update are found together too.
        states: dict[str, SlotState] = {}
        worlds: dict[str, dict[str, Any]] = {}
        try:
            keys = {room.fleet_id: room.key for room in due}
            states = {keys[i]: state for i, state in self.fleet.states(keys).items()} if keys else {}
            previous = {
                room.key: room.last_sent for room in due if room.key in states and room.last_sent is not None
            }
            found = changes_many(
                [states[key] for key in previous], [sent.state for sent in previous.values()]
            )
            worlds = dict(zip(previous, found, strict=True))
        except Exception:
            log.exception("Taking the updates of %d rooms together raised; taking them one by one", len(due))
            states, worlds = {}, {}
        for room in due:
            try:
                state = states.get(room.key)
                if state is None:
                    state = self.fleet.state(room.fleet_id)
                self._flush_room(room, now, state, worlds.get(room.key))
            except Exception as error:
                room.last_sent = None
                self._fail(room, error)

    def _flush_room(
        self, room: EngineRoom, now: float, state: SlotState, world: dict[str, Any] | None = None
    ) -> None:
        """Send the members what changed since their last update, as one state_update: the
        delta's fields beside the update's own (see docs/protocol.md), or a full snapshot when
        they have none to build on. `state` is the room's world now, `world` (when known) the
        world's changes since the last update."""
        room.dirty = False
        room.last_flush = now
        current = Sent(state, room.running, room.speed)
        payload = update_payload(room.name, current, room.last_sent, world)
        room.last_sent = current
        if payload is None:
            return
        body = encode_event("state_update", payload)
        self._figures.count_update(body)
        key = room.key
        self.bridge.post(lambda: self.hub.send_room(key, "state_update", body))

    def _hand_figures(self) -> None:
        now = time.monotonic()
        figures = self._figures
        if now - self._last_figures < 0.5 or figures == EngineFigures():
            return
        self._last_figures, self._figures = now, EngineFigures()
        self.bridge.post(lambda: self.hub.engine_figures(figures))

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
        self, key: str, name: str, agents: int, policy: str, seed: int | None, speed: float | str
    ) -> EngineRoom:
        room = EngineRoom(
            key=key, name=name, fleet_id=self.fleet.add(agents, policy, seed), agents=agents, speed=speed
        )
        self._faults.arm(key, name)
        self._set_worlds(room)
        self._publish(room)
        self.rooms[key] = room
        return room

    def _set_worlds(self, room: EngineRoom) -> None:
        """A learning room in turbo trains in `turbo_worlds` copies of its world, else in its own."""
        self.fleet.set_envs(room.fleet_id, self.settings.turbo_worlds if room.turbo else 1)
        room.worlds = self.fleet.envs(room.fleet_id)

    def op_delete(self, key: str) -> None:
        room = self.rooms.pop(key, None)
        if room is not None:
            room.running = False
            room.last_sent = None
            self._faults.forget(key)
            self.fleet.remove(room.fleet_id)

    def room(self, key: str) -> EngineRoom:
        """Room `key`; KeyError when there is none (engine thread)."""
        room = self.rooms.get(key)
        if room is None:
            raise KeyError(key)
        return room

    def op_start(self, key: str) -> tuple[bool, int, int]:
        room = self.room(key)
        changed = not room.running
        if changed:
            room.running = True
            room.waiting = False
            room.error = None
            room.next_due = first_due(time.monotonic(), room.period)
            room.dirty = True
        return changed, room.tick, room.episode

    def op_stop(self, key: str) -> tuple[bool, int, int]:
        room = self.room(key)
        changed = room.running
        if changed:
            room.running = False
            room.dirty = True
        return changed, room.tick, room.episode

    def op_step(self, key: str) -> int:
        room = self.room(key)
        if room.running:
            raise InvalidState("step_game steps a stopped room; this one is running (stop it first).")
        try:
            summary = self._step_alone(room)
        except Exception as error:
            self._fail(room, error)
            raise InvalidState(room.error or "The room's step failed.") from None
        self._stepped(room, summary)
        return room.tick

    def op_reset(self, key: str) -> int:
        room = self.room(key)
        self._faults.before_reset(key)
        summary = self.fleet.reset(room.fleet_id)
        self._publish(room)
        room.dirty = True
        self._episode_ended(room, summary)
        if room.running:
            room.next_due = first_due(time.monotonic(), room.period)
        return room.tick

    def op_set_speed(self, key: str, speed: float | str) -> float | str:
        room = self.room(key)
        if room.speed != speed:
            room.speed = speed
            self._set_worlds(room)
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
        """The snapshot the room's next delta starts from, returned once the event loop has added
        `sid` to the room and sent it that snapshot as a full update.

        With members already there, that is the last snapshot sent to them (at most one update
        interval old): the joiner then takes the same deltas as everyone, and joins never add
        updates beyond ``update_rate`` a second. In an empty room it is the current snapshot.
        """
        room = self.room(key)
        if not (room.members and room.last_sent is not None):
            room.last_sent = self._sent_now(room)
            room.last_flush = time.monotonic()
            room.dirty = False
        room.members = members
        current = room.last_sent.snapshot(room.name)
        body = encode_event("state_update", dict(current, ts=now_ms(), full=True))
        self._figures.count_update(body)
        return AfterHub(current, lambda: self.hub.join_member(key, sid, body))

    def op_set_members(self, key: str, members: int) -> None:
        room = self.rooms.get(key)
        if room is not None:
            room.members = members
            if not members:
                room.last_sent = None
