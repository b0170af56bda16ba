"""How work crosses between the event loop and the engine's OS thread.

The event loop sends the engine commands and waits for a ``Future`` without blocking the loop;
the engine hands results and events back through the ``Bridge``: closures that the loop runs in
order. Under eventlet both sides must use the *unpatched* ``threading`` and ``queue`` modules for
the engine's own thread, or the engine would be a green thread that freezes every socket.
"""

from __future__ import annotations

import collections
import contextlib
import logging
import os
import sys
from collections.abc import Callable
from types import ModuleType
from typing import Any, Protocol

from server.engine.updates import EngineFigures

log = logging.getLogger(__name__)
CALL_TIMEOUT = 60.0
"""Seconds an engine command may take before its caller gives up (the engine goes on)."""


def eventlet_patched() -> bool:
    """Whether eventlet has monkey-patched threads in this process."""
    if "eventlet" not in sys.modules:
        return False
    import eventlet.patcher

    return bool(eventlet.patcher.is_monkey_patched("thread"))


def real_modules() -> tuple[ModuleType, ModuleType]:
    """The unpatched ``threading`` and ``queue`` modules (eventlet patches them green)."""
    if eventlet_patched():
        import eventlet.patcher

        return eventlet.patcher.original("threading"), eventlet.patcher.original("queue")
    import queue
    import threading

    return threading, queue


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

                with contextlib.suppress(WakeTimeout):  # a timeout: look at _closed again
                    trampoline(self._read_fd, read=True, timeout=1.0, timeout_exc=WakeTimeout)
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


class WakeTimeout(Exception):
    """The bridge's wait timed out (raised inside eventlet's trampoline, never beyond run())."""


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


class AfterHub:
    """A command result to hand over only after `before` ran on the event loop."""

    def __init__(self, value: Any, before: Callable[[], None]) -> None:
        self.value = value
        self.before = before


class Hub(Protocol):
    """What the event loop does with the engine's results. The engine only calls these inside
    closures posted through the bridge, so they always run on the event loop."""

    def send_room(self, key: str, event: str, body: str) -> int:
        """Send an encoded event packet body to the room's members; the number of recipients."""
        ...

    def join_member(self, key: str, sid: str, body: str) -> None:
        """Make `sid` a member of room `key` and send it the encoded full state_update."""
        ...

    def room_failed(self, key: str, message: str, stopped_at: int | None) -> None:
        """The room's step failed; it stopped at tick `stopped_at` (None: it was not running)."""
        ...

    def engine_figures(self, figures: EngineFigures) -> None: ...
