"""Engine scheduling rules that need no server."""

from __future__ import annotations

import pytest

from server.engine.room import PHASE_GRID, first_due


@pytest.mark.parametrize("period", [1.0, 0.1, 0.05, 0.02, 1 / 30])
def test_rooms_of_one_speed_started_apart_come_due_together(period: float) -> None:
    grid = min(period, PHASE_GRID)
    base = first_due(1000.0, period)
    starts = [base + grid * k / 8 for k in range(1, 8)]
    firsts = {first_due(now, period) for now in starts}
    assert len(firsts) == 1, "rooms started within one grid step must tick together"
    (first,) = firsts
    assert all(now <= first < now + grid + 1e-9 for now in starts)
    # Later ticks (due += period) stay on the grid: like rooms keep stepping in the same cycles.
    later = first + 5 * period
    assert abs(later / grid - round(later / grid)) < 1e-6


def test_turbo_rooms_start_at_once() -> None:
    assert first_due(12.345, 0.0) == 12.345
