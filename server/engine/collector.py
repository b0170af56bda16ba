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
