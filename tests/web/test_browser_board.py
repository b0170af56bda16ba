"""The board a newcomer understands, in real Chromium against a real ``simrooms serve`` (see
conftest.py): the legend drawn with the board's own icons, agents out of energy greyed out, agent
colours apart from the cells', "Show goals" (arrows along shortest paths, remembered) and a tap
that selects the nearest agent. The rooms are driven from a socket client of the test's own."""

from __future__ import annotations

import functools
import itertools
import math
from typing import Any

import numpy as np
import pytest

from env.config import WALL
from env.distance import UNREACHABLE, all_pairs
from tests.support.browser import PHONE
from tests.support.server import Client
from tests.support.server import room_name as unique_name

pytestmark = pytest.mark.browser
room_name = functools.partial(unique_name, sep=" ")

PIXEL_AT = """([x, y, dx, dy]) => {
    // The board's pixel at (dx, dy) cells from the centre of an agent's disc on cell (x, y).
    const b = window.simrooms.board;
    const [x0, y0, w, h] = b._rect(x, y);
    const gap = w > 10 ? 1 : 0;
    const s = Math.min(w, h) - gap;
    const px = Math.round(x0 + (w - gap) / 2 + dx * s), py = Math.round(y0 + (h - gap) * 0.44 + dy * s);
    return Array.from(b.ctx.getImageData(px, py, 1, 1).data.slice(0, 3));
}"""
OVERLAY_INK = """() => { const c = document.getElementById('board-overlay');
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let n = 0; for (let i = 3; i < d.length; i += 4) if (d[i]) n++; return n; }"""


def stepped_room(client: Client, ticks: int, prefix: str, **fields: Any) -> str:
    """A stopped room (heuristic unless `fields` say otherwise) stepped `ticks` times."""
    name = room_name(prefix)
    client.ok("create_room", {"name": name, "policy": "heuristic", "seed": 3, **fields})
    for _ in range(ticks):
        client.ok("step_game", {"room": name})
    return name


def open_room(pages: Any, name: str, tick: int, viewport: dict[str, int] | None = None) -> Any:
    page = pages.open("alice", f"/rooms/{name}", viewport=viewport)
    page.wait_for_selector("#conn[data-state=connected]")
    page.wait_for_function("t => document.getElementById('stat-tick').textContent === String(t)", arg=tick)
    return page


def hex_rgb(color: str) -> tuple[int, int, int]:
    return int(color[1:3], 16), int(color[3:5], 16), int(color[5:7], 16)


def oklab(color: str) -> tuple[float, float, float]:
    """A colour in OKLab, where distances follow how far apart colours look."""
    r, g, b = (c / 255 for c in hex_rgb(color))
    r, g, b = ((c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4) for c in (r, g, b))
    long = (0.4122214708 * r + 0.5363325363 * g + 0.0514459929 * b) ** (1 / 3)
    mid = (0.2119034982 * r + 0.6806995451 * g + 0.1073969566 * b) ** (1 / 3)
    short = (0.0883024619 * r + 0.2817188376 * g + 0.6299787005 * b) ** (1 / 3)
    return (
        0.2104542553 * long + 0.7936177850 * mid - 0.0040720468 * short,
        1.9779984951 * long - 2.4285922050 * mid + 0.4505937099 * short,
        0.0259040371 * long + 0.7827717662 * mid - 0.8086757660 * short,
    )


def contrast(a: str, b: str) -> float:
    def luminance(color: str) -> float:
        r, g, b = ((c / 255) for c in hex_rgb(color))
        r, g, b = ((c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4) for c in (r, g, b))
        return 0.2126 * r + 0.7152 * g + 0.0722 * b

    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_the_legend_shows_the_icons_the_board_draws(pages: Any, alice: Client) -> None:
    name = stepped_room(alice, 3, "Legend")
    page = open_room(pages, name, 3)
    entries = page.locator("#legend [data-kind]")
    entries.first.wait_for()
    kinds = entries.evaluate_all("els => els.map(e => e.dataset.kind)")
    assert kinds == ["wall", "resource", "factory", "charger", "agent", "carrying", "spent", "goal"]
    # Each icon is a canvas the board's code painted: several colours, not a plain square (but
    # the wall's, which the board draws as one).
    colours = page.eval_on_selector_all(
        "#legend [data-kind] canvas.legend-icon",
        """els => els.map(c => { const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
            const seen = new Set(); for (let i = 0; i < d.length; i += 4) seen.add(`${d[i]},${d[i + 1]},${d[i + 2]}`);
            return seen.size; })""",
    )
    assert len(colours) == len(kinds) and colours[0] == 1 and all(n >= 3 for n in colours[1:]), colours
    assert "out of energy" in page.inner_text("#legend [data-kind=spent]")


def test_an_agent_out_of_energy_is_drawn_grey(pages: Any, alice: Client) -> None:
    # Random agents with small batteries and chargers that give nothing run out one by one.
    config = {"world": {"max_energy": 12, "charge_rate": 0}}
    name = stepped_room(alice, 0, "Spent", policy="random", config=config)
    for _ in range(300):
        tick = alice.ok("step_game", {"room": name})["tick"]
        agents = alice.ok("get_state", {"room": name})["state"]["agents"]
        spent = [a for a in agents if a["energy"] == 0]
        if spent and len(spent) < len(agents):
            break
    else:
        pytest.fail("No tick had some agents out of energy and some not.")
    page = open_room(pages, name, tick)
    colors = page.evaluate("async () => (await import('/static/js/board.js')).AGENT_COLORS")
    for agent in agents:
        r, g, b = page.evaluate(PIXEL_AT, [agent["x"], agent["y"], -0.2, 0.0])
        if agent["energy"] == 0:
            assert max(r, g, b) - min(r, g, b) <= 24 and min(r, g, b) >= 110, (agent, (r, g, b))
        else:
            own = hex_rgb(colors[agent["id"] % len(colors)])
            assert max(abs(c - o) for c, o in zip((r, g, b), own, strict=True)) <= 24, (agent, (r, g, b))


def test_agent_colours_stand_apart_from_the_cells_and_each_other(pages: Any, alice: Client) -> None:
    name = stepped_room(alice, 0, "Colours")
    page = open_room(pages, name, 0)
    board = page.evaluate(
        """async () => { const m = await import('/static/js/board.js');
        return { agents: m.AGENT_COLORS, cells: m.CELL_STYLE, spent: m.OUT_OF_ENERGY_COLOR }; }"""
    )
    agents: list[str] = board["agents"]
    cells = [style[key] for style in board["cells"].values() for key in ("bg", "color") if key in style]
    assert len(agents) == 8 and len(set(agents)) == 8
    empty = board["cells"]["empty"]["bg"]
    for color in agents:
        assert contrast(color, empty) >= 3.0, color
        for other in [*cells, board["spent"]]:
            assert math.dist(oklab(color), oklab(other)) >= 0.08, (color, other)
    assert min(math.dist(oklab(a), oklab(b)) for i, a in enumerate(agents) for b in agents[i + 1 :]) >= 0.1


def test_show_goals_draws_each_agents_way_and_is_remembered(pages: Any, alice: Client) -> None:
    name = stepped_room(alice, 30, "Goals")
    page = open_room(pages, name, 30)
    assert not page.is_checked("#show-goals")
    assert page.evaluate(OVERLAY_INK) == 0
    page.check("#show-goals")
    page.wait_for_function(f"() => ({OVERLAY_INK})() > 0")
    # Each way leads to the nearest cell of the agent's goal, a shortest path round the walls.
    state = page.evaluate("() => window.simrooms.view.state")
    paths = page.evaluate(
        """async () => Object.fromEntries((await import('/static/js/board_goals.js'))
            .goalPaths(window.simrooms.view.state))"""
    )
    grid = np.array(state["grid"])
    width = state["width"]
    dist = all_pairs(grid != WALL)
    kinds = {name: int(value) for value, name in state["legend"].items()}
    assert {a["goal"] for a in state["agents"]} <= {"resource", "factory", "charger"}
    assert len(paths) == sum(a["energy"] > 0 for a in state["agents"]) > 0
    for agent in state["agents"]:
        path = paths[str(agent["id"])]
        assert path[0] == [agent["x"], agent["y"]]
        end_x, end_y = path[-1]
        assert grid[end_y, end_x] == kinds[agent["goal"]]
        targets = np.flatnonzero(grid.reshape(-1) == kinds[agent["goal"]])
        nearest = int(dist[agent["y"] * width + agent["x"], targets].min())
        assert nearest != UNREACHABLE and len(path) - 1 == nearest
        for (x1, y1), (x2, y2) in itertools.pairwise(path):
            assert abs(x1 - x2) + abs(y1 - y2) == 1 and grid[y2, x2] != WALL
    drawn = page.evaluate(OVERLAY_INK)
    page.reload()
    page.wait_for_selector("#conn[data-state=connected]")
    page.wait_for_function(f"() => ({OVERLAY_INK})() > 0")
    assert page.is_checked("#show-goals") and page.evaluate(OVERLAY_INK) == drawn
    page.uncheck("#show-goals")
    page.wait_for_function(f"() => ({OVERLAY_INK})() === 0")
    page.reload()
    page.wait_for_selector("#conn[data-state=connected]")
    assert not page.is_checked("#show-goals")


def test_a_tap_near_an_agent_selects_it(pages: Any, alice: Client) -> None:
    name = stepped_room(alice, 10, "Tap")
    page = open_room(pages, name, 10, viewport=PHONE)
    page.locator("#board-overlay").scroll_into_view_if_needed()
    # A point about a cell from an agent's centre, on a cell of its own, nearer that agent than
    # any other: an exact cell hit would select nothing there.
    point = page.evaluate(
        """() => { const s = window.simrooms.view.state; const r = document.getElementById('board-overlay').getBoundingClientRect();
        const taken = new Set(s.agents.map(a => `${a.x},${a.y}`));
        for (const a of s.agents) for (const [dx, dy] of [[1.1, 0.3], [-1.1, 0.3], [0.3, 1.1], [0.3, -1.1]]) {
            const x = a.x + 0.5 + dx, y = a.y + 0.5 + dy;
            if (x < 0 || y < 0 || x >= s.width || y >= s.height || taken.has(`${Math.floor(x)},${Math.floor(y)}`)) continue;
            const near = s.agents.map(b => Math.hypot(b.x + 0.5 - x, b.y + 0.5 - y));
            if (near.every((d, i) => s.agents[i] === a || d > Math.hypot(dx, dy) + 0.2)) {
                return { id: a.id, x: r.left + x * r.width / s.width, y: r.top + y * r.height / s.height };
            }
        }
        return null; }"""
    )
    assert point is not None, "no agent with a free cell beside it"
    page.mouse.click(point["x"], point["y"])
    page.wait_for_selector(f"#inspect-badge:text('agent {point['id']}')")
    # Far from every agent, a tap selects none.
    far = page.evaluate(
        """() => { const s = window.simrooms.view.state; const r = document.getElementById('board-overlay').getBoundingClientRect();
        for (let y = 0; y < s.height; y++) for (let x = 0; x < s.width; x++) {
            if (s.agents.every(a => Math.hypot(a.x - x, a.y - y) > 2.5)) {
                return { x: r.left + (x + 0.5) * r.width / s.width, y: r.top + (y + 0.5) * r.height / s.height };
            }
        }
        return null; }"""
    )
    page.mouse.click(far["x"], far["y"])
    page.wait_for_selector("#inspect-badge", state="hidden")
