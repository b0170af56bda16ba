"""Python's full garbage collections, run by the engine at a set pace instead of when Python picks.

A full (oldest-generation) collection walks every object the process holds with the GIL held, so
it stops the engine, the trainer and the event loop alike for as long as the walk takes. With 500
rooms of 4 learning agents and an observer each, about 220,000 objects, Python ran one every 2 to 4
seconds and each took 90 to 190 ms (timed with ``gc.callbacks`` under bench/load.py): those pauses
were the tallest spikes of the updates' latency. They freed nothing (0 objects collected, every
time): what the server makes dies by reference counting, and each full walk came only because
enough short-lived objects had lived through two young collections.

So while an engine runs, Python's own full collections are off and the engine runs one every
``interval`` seconds; the young generations stay automatic (their collections walk only recent
objects, 1 to 20 ms). The objects that exist when the first engine starts (modules, classes,
the app: ~100,000 of them, there for the life of the process) are frozen out of every walk
(``gc.freeze``, after a collection so that no garbage is frozen with them): with 500 rooms a full
collection then takes 40-85 ms instead of 140-160 (bench/load.py, one every 15 s, timed in the
engine's debug log).
"""

from __future__ import annotations

import gc
import threading
import time

NEVER = 2**31 - 1
"""A third threshold that is never reached: young collections before an automatic full one."""

_lock = threading.Lock()
_running = 0
_saved: tuple[int, int, int] | None = None


PAUSE_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)
"""Upper bounds (seconds) of the pause histogram's buckets."""


class Pauses:
    """Every garbage collection's pause, timed from ``gc.callbacks``' start and stop, by
    generation: how many, their total, the longest, and a histogram (PAUSE_BUCKETS). The callback
    may run on any thread, in the middle of any allocation: it only does arithmetic on plain
    lists (no locks, no logging)."""

    def __init__(self) -> None:
        self.count = [0, 0, 0]
        self.seconds = [0.0, 0.0, 0.0]
        self.longest = [0.0, 0.0, 0.0]
        self.buckets = [[0] * (len(PAUSE_BUCKETS) + 1) for _ in range(3)]
        """Per generation, pauses in each bucket (not cumulative); the last is above them all."""
        self._started = 0.0

    def install(self) -> None:
        if self._callback not in gc.callbacks:
            gc.callbacks.append(self._callback)

    def uninstall(self) -> None:
        if self._callback in gc.callbacks:
            gc.callbacks.remove(self._callback)

    def _callback(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
            return
        took = time.perf_counter() - self._started
        generation = min(2, max(0, info.get("generation", 2)))
        self.count[generation] += 1
        self.seconds[generation] += took
        if took > self.longest[generation]:
            self.longest[generation] = took
        index = 0
        while index < len(PAUSE_BUCKETS) and took > PAUSE_BUCKETS[index]:
            index += 1
        self.buckets[generation][index] += 1


class FullCollections:
    """Full collections every `interval` seconds, from `run_if_due` (the engine's cycle)."""

    def __init__(self, interval: float) -> None:
        if interval <= 0:
            raise ValueError(f"The interval between full collections must be positive, not {interval!r}.")
        self.interval = interval
        self._next = 0.0
        self._started = False

    def start(self, now: float) -> None:
        """Turn Python's automatic full collections off and freeze the objects there are (for
        the process, until the last started instance stops); schedule the first of ours."""
        global _running, _saved
        with _lock:
            if not self._started:
                if _running == 0:
                    _saved = gc.get_threshold()
                    gc.set_threshold(_saved[0], _saved[1], NEVER)
                    gc.collect()
                    gc.freeze()
                _running += 1
                self._started = True
        self._next = now + self.interval

    def run_if_due(self, now: float) -> float | None:
        """Collect every generation when the interval has passed; return the seconds it took."""
        if not self._started or now < self._next:
            return None
        self._next = now + self.interval
        started = time.perf_counter()
        gc.collect()
        return time.perf_counter() - started

    def stop(self) -> None:
        """Give Python its own policy back, and the frozen objects, once no started instance is
        left."""
        global _running, _saved
        with _lock:
            if not self._started:
                return
            self._started = False
            _running -= 1
            if _running == 0 and _saved is not None:
                gc.unfreeze()
                gc.set_threshold(*_saved)
                _saved = None
