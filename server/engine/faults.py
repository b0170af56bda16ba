"""A test hook that makes chosen rooms fail, to exercise ``room_error`` on a real server.

Rooms whose name starts with ``Settings.fault_room_prefix`` fail their step once they have taken
``Settings.fault_after_ticks`` steps, and every reset. Leave the prefix unset in production.
"""

from __future__ import annotations


class InjectedFault(RuntimeError):
    """The failure the hook raises."""


class FaultInjector:
    """Which rooms fail, and how many steps each has left before it does."""

    def __init__(self, prefix: str | None, after_ticks: int) -> None:
        self._prefix = prefix
        self._after_ticks = after_ticks
        self._steps_left: dict[str, int] = {}

    def arm(self, key: str, name: str) -> None:
        """Make room `key` fail if its `name` carries the prefix."""
        if self._prefix and name.startswith(self._prefix):
            self._steps_left[key] = self._after_ticks

    def forget(self, key: str) -> None:
        self._steps_left.pop(key, None)

    def armed(self, key: str) -> bool:
        """Whether room `key` fails (such a room steps alone, never in a batch)."""
        return key in self._steps_left

    def before_step(self, key: str) -> None:
        left = self._steps_left.get(key)
        if left is None:
            return
        if left <= 0:
            raise InjectedFault("injected fault (fault_room_prefix)")
        self._steps_left[key] = left - 1

    def before_reset(self, key: str) -> None:
        if key in self._steps_left:
            raise InjectedFault("injected fault in reset (fault_room_prefix)")
