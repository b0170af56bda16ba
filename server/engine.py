"""The engine: one real OS thread that owns every room's simulation and all MLX work.

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

import collections
import contextlib
import json
import logging
import math
import os
import sys
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

from env.delta import same_json
from env.snapshot import SlotState, changes_many
from server.collector import FullCollections
from server.settings import Settings

log = logging.getLogger(__name__)

T = TypeVar("T")
TICKS_PER_SPEED = 10.0
MAX_BACKLOG_SECONDS = 3.0
"""A room that falls behind its schedule catches up; one further behind than this drops the
backlog instead. Rooms whose rollouts fill together wait for their learning updates, computed
updates_per_cycle rooms at a time on the trainer thread."""
IDLE_WAKEUP = 0.5
PHASE_GRID = 0.1
"""A room that starts (or restarts its schedule) takes its first tick at the next multiple of
this many seconds, or of its period if that is shorter, on the engine's clock: rooms of one
speed then come due together and step in one batch, instead of a few at a time all period long."""
MIN_CYCLE_SECONDS = 0.004
"""Cycles start at least this far apart (commands excepted, and turbo rooms, which want every
cycle): rooms due within a few milliseconds step in the same cycle, which keeps the per-cycle
scans over all rooms rare with hundreds of rooms and gives each cycle a batch to step."""
CALL_TIMEOUT = 60.0


def _eventlet_patched() -> bool:
    if "eventlet" not in sys.modules:
        return False
    import eventlet.patcher

    return bool(eventlet.patcher.is_monkey_patched("thread"))


def real_modules() -> tuple[Any, Any]:
    """The unpatched ``threading`` and ``queue`` modules (eventlet patches them green)."""
    if _eventlet_patched():
        import eventlet.patcher

        return eventlet.patcher.original("threading"), eventlet.patcher.original("queue")
    import queue
    import threading

    return threading, queue


def now_ms() -> int:
    return int(time.time() * 1000)


def _plain(value: Any) -> Any:
    """JSON for numpy scalars that slip into a payload (``np.int64(3)`` -> ``3``)."""
    item = getattr(value, "item", None)
    if item is not None and getattr(value, "shape", None) == ():
        return item()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def encode_event(event: str, payload: dict[str, Any]) -> str:
    """The Socket.IO event packet body ``["event", payload]`` as compact JSON, encoded once."""
    return json.dumps([event, payload], separators=(",", ":"), ensure_ascii=False, allow_nan=False, default=_plain)


def plain(payload: dict[str, Any]) -> dict[str, Any]:
    """`payload` as plain JSON values (for acks, which python-socketio encodes itself)."""
    result: dict[str, Any] = json.loads(json.dumps(payload, allow_nan=False, default=_plain))
    return result


# ------------------------------------------------------------------ the bridge


class Bridge:
    """Hands closures from the engine thread to the event loop, which runs them in order.

    Under eventlet the loop is woken through a pipe (one byte per batch), the way eventlet's own
    tpool does; under threading a real thread waits on an event. ``collections.deque`` appends and
    pops are atomic, so the queue itself needs no lock.
    """

    def __init__(self, green: bool) -> None:
        self.green = green
        self._items: collections.deque[Callable[[], object]] = collections.deque()
        self._signaled = False
        self._closed = False
        if green:
            self._read_fd, self._write_fd = os.pipe()
            os.set_blocking(self._read_fd, False)
            os.set_blocking(self._write_fd, False)
        else:
            threading, _ = real_modules()
            self._event = threading.Event()

    def post(self, item: Callable[[], object]) -> None:
        """From any thread: run `item` on the event loop soon."""
        self._items.append(item)
        if not self._signaled:
            self._signaled = True
            if self.green:
                with contextlib.suppress(BlockingIOError, OSError):
                    os.write(self._write_fd, b".")
            else:
                self._event.set()

    def run(self) -> None:
        """The event loop's side: wait for items and run them, until closed."""
        while not self._closed:
            if self.green:
                from eventlet.hubs import trampoline

                with contextlib.suppress(_WakeTimeout):  # a timeout: look at _closed again
                    trampoline(self._read_fd, read=True, timeout=1.0, timeout_exc=_WakeTimeout)
                with contextlib.suppress(BlockingIOError, OSError):
                    os.read(self._read_fd, 4096)
            else:
                self._event.wait(1.0)
                self._event.clear()
            self._signaled = False
            self.drain()

    def drain(self) -> None:
        while self._items:
            item = self._items.popleft()
            try:
                item()
            except Exception:
                log.exception("A hand-over from the engine failed")

    def close(self) -> None:
        self._closed = True
        self.post(lambda: None)


class _WakeTimeout(Exception):
    pass


class Future:
    """The result of one engine command, waited for on the event loop's side."""

    def __init__(self, bridge: Bridge) -> None:
        self._bridge = bridge
        self._value: Any = None
        self._error: BaseException | None = None
        if bridge.green:
            import eventlet.event

            self._green = eventlet.event.Event()
        else:
            threading, _ = real_modules()
            self._event = threading.Event()

    def set(self, value: Any = None, error: BaseException | None = None) -> None:
        """On the engine thread."""
        self._value, self._error = value, error
        if self._bridge.green:
            self._bridge.post(self._wake)
        else:
            self._event.set()

    def set_after(self, value: Any, before: Callable[[], None]) -> None:
        """Set the result once `before` has run on the event loop (after everything posted earlier)."""

        def finish() -> None:
            try:
                before()
            finally:
                self._value = value
                if self._bridge.green:
                    self._wake()
                else:
                    self._event.set()

        self._bridge.post(finish)

    def _wake(self) -> None:
        if not self._green.ready():
            self._green.send(True)

    def wait(self, timeout: float = CALL_TIMEOUT) -> Any:
        if self._bridge.green:
            import eventlet

            with eventlet.Timeout(timeout, False):
                self._green.wait()
            done = self._green.ready()
        else:
            done = self._event.wait(timeout)
        if not done:
            raise TimeoutError("The engine did not answer in time.")
        if self._error is not None:
            raise self._error
        return self._value


# ------------------------------------------------------------------ rooms on the engine


class Hub(Protocol):
    """What the event loop does with the engine's results. The engine only calls these inside
    closures posted through the bridge, so they always run on the event loop."""

    def send_room(self, key: str, event: str, body: str) -> int:
        """Send an encoded event packet body to the room's members; the number of recipients."""
        ...

    def join_member(self, key: str, sid: str, body: str) -> None:
        """Make `sid` a member of room `key` and send it the encoded full state_update."""
        ...

    def room_failed(self, key: str, message: str) -> None: ...

    def engine_figures(self, figures: EngineFigures) -> None: ...


@dataclass
class EngineFigures:
    """What the engine did since it last handed its figures to the event loop."""

    ticks: int = 0
    """Ticks of all rooms."""
    agent_steps: int = 0
    """Agent-steps of all rooms, in every world they train in."""
    durations: list[float] = field(default_factory=list)
    """Seconds each cycle spent stepping its due rooms."""
    cycle_rooms: list[int] = field(default_factory=list)
    """Rooms each cycle stepped."""
    updates: int = 0
    """state_update events encoded."""
    update_bytes: int = 0
    """Their bytes."""

    def count_tick(self, room: EngineRoom) -> None:
        self.ticks += 1
        self.agent_steps += room.agent_steps_per_tick

    def count_update(self, body: str) -> None:
        self.updates += 1
        self.update_bytes += len(body)


@dataclass
class EngineRoom:
    """A room as the engine holds it. Only the engine thread writes it, except that the event
    loop reads the published fields (``tick``, ``episode``, ``running``, ``speed``)."""

    key: str
    name: str
    sim: Any
    speed: float | str = 1.0
    running: bool = False
    tick: int = 0
    episode: int = 1
    members: int = 0
    next_due: float = 0.0
    last_sent: Sent | None = None
    """What the members were last sent; None when nobody is there to send to."""
    last_flush: float = 0.0
    dirty: bool = False
    error: str | None = None
    ticks_this_second: int = 0
    worlds: int = 1
    """Worlds the room trains in: several for a learning room in turbo (Settings.turbo_worlds)."""
    waiting: bool = False
    """Due, but waiting for its learning update from the trainer thread, which wakes the engine
    when an update is done: the engine does not wake for it before."""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def turbo(self) -> bool:
        return self.speed == "max"

    @property
    def agent_steps_per_tick(self) -> int:
        return self.worlds * int(self.sim.num_agents)

    @property
    def period(self) -> float:
        return 0.0 if self.speed == "max" else 1.0 / (TICKS_PER_SPEED * float(self.speed))

    def snapshot(self) -> dict[str, Any]:
        return dict(self.sim.snapshot(room=self.name, running=self.running, speed=self.speed))

    def sent_now(self) -> Sent:
        """The room as it is now, in the form its updates are taken from."""
        return Sent(self.sim.state(), self.running, self.speed)

    def publish(self) -> None:
        self.tick = int(self.sim.tick)
        self.episode = int(self.sim.episode)


@dataclass(frozen=True)
class Sent:
    """A room's state as its members were sent it: the world's part, running and speed."""

    state: SlotState
    running: bool
    speed: float | str

    def snapshot(self, name: str) -> dict[str, Any]:
        return self.state.snapshot(name, self.running, self.speed)

    def changes(self, since: Sent, world: dict[str, Any] | None = None) -> dict[str, Any]:
        """The delta (env.delta's form) from what `since` showed to what this shows; `world`,
        when given, is the world's part of it, ``self.state.changes(since.state)``."""
        delta = dict(world) if world is not None else self.state.changes(since.state)
        if not same_json(self.running, since.running):
            delta["running"] = self.running
        if not same_json(self.speed, since.speed):
            delta["speed"] = self.speed
        return delta


def first_due(now: float, period: float) -> float:
    """When a room whose schedule starts at `now` takes its first tick (see PHASE_GRID)."""
    grid = min(period, PHASE_GRID)
    return math.ceil(now / grid) * grid if grid > 0 else now


def update_payload(
    name: str, current: Sent, previous: Sent | None, world: dict[str, Any] | None = None
) -> dict[str, Any] | None:
    """The state_update taking members from `previous` (None: nothing yet) to `current`: a full
    snapshot, or the delta's fields beside the update's own; None when nothing changed. `world`
    is the world's part of the delta when it was already taken (see Sent.changes)."""
    if previous is None:
        return dict(current.snapshot(name), ts=now_ms(), full=True)
    delta = current.changes(previous, world)
    if not delta:
        return None
    payload: dict[str, Any] = {"room": name, "tick": current.state.tick, "episode": current.state.episode}
    payload.update(delta)
    payload.update(ts=now_ms(), full=False)
    return payload


class FaultyRoom:
    """Test hook (settings.fault_room_prefix): a simulation whose step raises after some ticks
    and whose reset always raises."""

    def __init__(self, sim: Any, after: int) -> None:
        self._sim = sim
        self._left = after

    fleet = None
    """Never batched: its own step() must run, to raise when told to."""

    def __getattr__(self, name: str) -> Any:
        return getattr(self._sim, name)

    def step(self) -> Any:
        if self._left <= 0:
            raise RuntimeError("injected fault (fault_room_prefix)")
        self._left -= 1
        return self._sim.step()

    def reset(self) -> Any:
        raise RuntimeError("injected fault in reset (fault_room_prefix)")


class Engine:
    """Owns every RoomSimulation; every method named ``op_*`` runs on the engine thread only."""

    def __init__(self, settings: Settings, bridge: Bridge, hub: Hub, sim_factory: Callable[..., Any] | None = None) -> None:
        self.settings = settings
        self.bridge = bridge
        self.hub = hub
        self.rooms: dict[str, EngineRoom] = {}
        self._sim_factory = sim_factory
        self._fleet: Any = None
        """The agents.fleet.Fleet holding every room; made on the engine thread, with MLX."""
        self._trainer: Any = None
        """The fleet's agents.trainer.BackgroundTrainer: learning updates on an OS thread of their own."""
        threading, queue = real_modules()
        self._commands: Any = queue.SimpleQueue()
        self._empty: type[Exception] = queue.Empty
        self._cycle_started = 0.0
        self._thread: Any = threading.Thread(target=self._run, name="simrooms-engine", daemon=True)
        self._stopping = False
        self._flush_interval = 1.0 / settings.update_rate
        self._figures = EngineFigures()
        self._last_figures = 0.0
        interval = settings.gc_full_collection_seconds
        self._collections = FullCollections(interval) if interval else None
        self.thread_ident: int | None = None

    # --------------------------------------------------------------- control

    def start(self, warmup: bool = False) -> None:
        if warmup:
            self._commands.put((self._warmup, (), None))
        if self._collections is not None:
            self._collections.start(time.monotonic())
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

    def tell(self, fn: Callable[..., Any], *args: Any) -> None:
        """Run ``fn(*args)`` on the engine thread; nobody waits for it."""
        self._commands.put((fn, args, None))

    # --------------------------------------------------------------- the loop

    def _run(self) -> None:
        self.thread_ident = _thread_ident()
        while not self._stopping:
            try:
                self._cycle()
            except Exception:  # the engine must outlive any bug of one cycle
                log.exception("An engine cycle failed; the engine goes on")
                time.sleep(0.01)

    def _cycle(self) -> None:
        empty = self._empty
        timeout = max(0.0, min(self._next_wakeup() - time.monotonic(), IDLE_WAKEUP))
        try:
            command = self._commands.get(timeout=timeout) if timeout > 0 else self._commands.get_nowait()
        except empty:
            command = None
        while command is not None:
            self._run_command(*command)
            try:
                command = self._commands.get_nowait()
            except empty:
                command = None
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
            if isinstance(value, _AfterHub):
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
        """Step every room that is due once: the rooms of the shared fleet in one batched
        `Fleet.step` (one world step and one MLX call per bucket of like rooms), any other room
        alone. Should the batched step raise, its rooms step one by one, so that only the rooms
        whose own step raises are stopped (those that had already stepped may have stepped once
        more: a step that raises leaves no promise about the others)."""
        # Most overdue first: when more rollouts fill than one cycle may update, the rooms that
        # wait (and step a cycle later) are the least behind.
        batched = sorted(
            (room for room in due if getattr(room.sim, "fleet", None) is self._fleet), key=lambda room: room.next_due
        )
        outcomes: dict[str, Any] = {}
        waiting: set[str] = set()
        if batched:
            try:
                ended = self._fleet.step([room.sim.room for room in batched])
                deferred = set(self._fleet.deferred)
                waiting = {room.key for room in batched if room.sim.room in deferred}
                outcomes = {room.key: ended.get(room.sim.room) for room in batched if room.key not in waiting}
            except Exception:
                log.exception("A batched step of %d rooms raised; stepping them one by one", len(batched))
        for room in due:
            room.waiting = room.key in waiting
            if room.waiting:
                continue  # still due: it steps once its update is done
            try:
                summary = outcomes[room.key] if room.key in outcomes else room.sim.step()
                self._figures.count_tick(room)
                room.publish()
                room.dirty = True
                if summary is not None:
                    self._episode_ended(room, summary)
            except Exception as error:
                self._fail(room, error)
                continue
            if room.turbo:
                room.next_due = now
            else:
                room.next_due += room.period
                if room.next_due < now - MAX_BACKLOG_SECONDS:
                    room.next_due = first_due(now, room.period)

    def _fail(self, room: EngineRoom, error: BaseException) -> None:
        log.error("Room %r stopped: its step raised\n%s", room.name, "".join(traceback.format_exception(error)))
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

    def _episode_ended(self, room: EngineRoom, summary: Any) -> None:
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
        figures = {"room": room.name, "episode": int(summary.episode)}
        figures.update({k: v for k, v in summary.metrics.items() if k not in figures})
        metrics = encode_event("metrics", figures)
        key = room.key
        # No update is forced out here: that would break "at most update_rate a second" in turbo,
        # where episodes can end many times a second. The next update folds the episode's end in.
        self.bridge.post(lambda: (self.hub.send_room(key, "game_ended", ended), self.hub.send_room(key, "metrics", metrics)))

    # --------------------------------------------------------------- updates

    def _flush(self, now: float) -> None:
        due = [
            room for room in list(self.rooms.values())
            if room.dirty and room.members and now >= room.last_flush + self._flush_interval
        ]
        # The rooms of the shared fleet are captured together, one gather per array, and their
        # changes since the last update are found together too.
        batched = {room.sim.room: room.key for room in due if getattr(room.sim, "fleet", None) is self._fleet}
        states: dict[str, SlotState] = {}
        worlds: dict[str, dict[str, Any]] = {}
        try:
            states = {batched[i]: state for i, state in self._fleet.states(batched).items()} if batched else {}
            previous = {room.key: room.last_sent for room in due if room.key in states and room.last_sent is not None}
            found = changes_many([states[key] for key in previous], [sent.state for sent in previous.values()])
            worlds = dict(zip(previous, found, strict=True))
        except Exception:
            log.exception("Taking the updates of %d rooms together raised; taking them one by one", len(batched))
            states, worlds = {}, {}
        for room in due:
            try:
                state = states.get(room.key)
                self._flush_room(room, now, state if state is not None else room.sim.state(), worlds.get(room.key))
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
            sim = self._make_sim(4, "learning", 0)
            for _ in range(4):
                sim.step()
            close = getattr(sim, "close", None)
            if close is not None:
                close()
        except Exception:
            log.exception("Engine warm-up failed")

    def _make_sim(self, agents: int, policy: str, seed: int | None) -> Any:
        if self._sim_factory is not None:
            return self._sim_factory(agents, policy, seed)
        from agents.fleet import Fleet
        from agents.simulation import RoomSimulation
        from agents.trainer import BackgroundTrainer

        if self._fleet is None:
            self._trainer = BackgroundTrainer(self._wake, *real_modules())
            self._fleet = Fleet(update_budget=self.settings.updates_per_cycle, trainer=self._trainer)
        return RoomSimulation(agents, policy, seed, fleet=self._fleet)

    def op_create(self, key: str, name: str, agents: int, policy: str, seed: int | None, speed: float | str) -> EngineRoom:
        sim = self._make_sim(agents, policy, seed)
        prefix = self.settings.fault_room_prefix
        if prefix and name.startswith(prefix):
            sim = FaultyRoom(sim, self.settings.fault_after_ticks)
        room = EngineRoom(key=key, name=name, sim=sim, speed=speed)
        self._set_worlds(room)
        room.publish()
        self.rooms[key] = room
        return room

    def _set_worlds(self, room: EngineRoom) -> None:
        """A learning room in turbo trains in `turbo_worlds` copies of its world, else in its own."""
        set_envs = getattr(room.sim, "set_envs", None)
        if set_envs is not None:
            set_envs(self.settings.turbo_worlds if room.turbo else 1)
        room.worlds = getattr(room.sim, "envs", 1)

    def op_delete(self, key: str) -> None:
        room = self.rooms.pop(key, None)
        if room is not None:
            room.running = False
            close = getattr(room.sim, "close", None)
            if close is not None:
                close()
            room.sim = None
            room.last_sent = None

    def _room(self, key: str) -> EngineRoom:
        room = self.rooms.get(key)
        if room is None:
            raise KeyError(key)
        return room

    def op_start(self, key: str) -> tuple[bool, int, int]:
        room = self._room(key)
        changed = not room.running
        if changed:
            room.running = True
            room.waiting = False
            room.error = None
            room.next_due = first_due(time.monotonic(), room.period)
            room.dirty = True
        return changed, room.tick, room.episode

    def op_stop(self, key: str) -> tuple[bool, int, int]:
        room = self._room(key)
        changed = room.running
        if changed:
            room.running = False
            room.dirty = True
        return changed, room.tick, room.episode

    def op_step(self, key: str) -> int:
        room = self._room(key)
        if room.running:
            raise InvalidState("step_game steps a stopped room; this one is running (stop it first).")
        try:
            summary = room.sim.step()
        except Exception as error:
            self._fail(room, error)
            raise InvalidState(room.error or "The room's step failed.") from None
        self._figures.count_tick(room)
        room.publish()
        room.dirty = True
        if summary is not None:
            self._episode_ended(room, summary)
        return room.tick

    def op_reset(self, key: str) -> int:
        room = self._room(key)
        summary = room.sim.reset()
        room.publish()
        room.dirty = True
        self._episode_ended(room, summary)
        if room.running:
            room.next_due = first_due(time.monotonic(), room.period)
        return room.tick

    def op_set_speed(self, key: str, speed: float | str) -> float | str:
        room = self._room(key)
        if room.speed != speed:
            room.speed = speed
            self._set_worlds(room)
            room.dirty = True
            if room.running:
                room.next_due = min(room.next_due, first_due(time.monotonic(), room.period))
        return speed

    def op_snapshot(self, key: str) -> dict[str, Any]:
        return plain(self._room(key).snapshot())

    def op_join(self, key: str, sid: str, members: int) -> _AfterHub:
        """The snapshot the room's next delta starts from, returned once the event loop has added
        `sid` to the room and sent it that snapshot as a full update.

        With members already there, that is the last snapshot sent to them (at most one update
        interval old): the joiner then takes the same deltas as everyone, and joins never add
        updates beyond ``update_rate`` a second. In an empty room it is the current snapshot.
        """
        room = self._room(key)
        if not (room.members and room.last_sent is not None):
            room.last_sent = room.sent_now()
            room.last_flush = time.monotonic()
            room.dirty = False
        room.members = members
        current = room.last_sent.snapshot(room.name)
        body = encode_event("state_update", dict(current, ts=now_ms(), full=True))
        self._figures.count_update(body)
        return _AfterHub(current, lambda: self.hub.join_member(key, sid, body))

    def op_set_members(self, key: str, members: int) -> None:
        room = self.rooms.get(key)
        if room is not None:
            room.members = members
            if not members:
                room.last_sent = None


@dataclass
class _AfterHub:
    """A command result to hand over only after `before` ran on the event loop."""

    value: Any
    before: Callable[[], None]


class InvalidState(Exception):
    """A control that does not fit the room's state."""


def _thread_ident() -> int:
    threading, _ = real_modules()
    return int(threading.get_ident())
