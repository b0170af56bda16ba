"""Where a room's agents sit among its weight groups."""

from __future__ import annotations

import numpy as np
import pytest

from agents.groups import GroupLayout


def test_rooms_hold_consecutive_rows() -> None:
    layout = GroupLayout(num_agents=3, envs=2, shared=False)
    assert layout.groups == 3 and layout.agents == 6
    assert layout.rows(np.array([2, 0])).tolist() == [6, 7, 8, 0, 1, 2]
    assert GroupLayout(3, 2, shared=True).rows(np.array([2, 0])).tolist() == [2, 0]


@pytest.mark.parametrize("shared", [True, False])
def test_ungrouped_undoes_grouped(shared: bool) -> None:
    layout = GroupLayout(num_agents=3, envs=2, shared=shared)
    per_room = np.arange(2 * 6 * 4).reshape(2, 6, 4)
    grouped = layout.grouped(per_room)
    assert grouped.shape == ((2, 6, 4) if shared else (6, 2, 4))
    assert layout.ungrouped(grouped, 2).tolist() == per_room.tolist()


def test_a_per_agent_group_holds_that_agent_of_every_world() -> None:
    layout = GroupLayout(num_agents=3, envs=2, shared=False)
    agent = np.arange(6) % 3  # agents listed world by world
    per_room = np.broadcast_to(agent, (1, 6))
    assert layout.grouped(per_room).tolist() == [[0, 0], [1, 1], [2, 2]]
    per_tick = np.broadcast_to(agent, (1, 4, 6))
    assert (layout.by_group(per_tick) == np.arange(3)[:, None]).all()
    assert layout.by_group(per_tick).shape == (3, 8)
