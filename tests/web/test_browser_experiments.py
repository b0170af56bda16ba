"""Configured and compared, in the browser: a sweep page draws one curve with a band per grid
point (and starts, stops and deletes its rooms), a compare page draws two rooms' curves on shared
axes with their configs as a diff, the charts' x axis and smoothing change what is drawn, and the
lobby's advanced form checks a value before sending it and makes a configured room whose header
shows the change. Real Chromium against a real ``simrooms serve`` (see conftest.py)."""

from __future__ import annotations

import functools
from typing import Any

import pytest
import requests

from tests.support.server import Client, Server
from tests.support.server import room_name as unique_name

pytestmark = pytest.mark.browser
room_name = functools.partial(unique_name, sep=" ")


def curves(page: Any, chart: str = "return") -> list[dict[str, str]]:
    """The curves drawn on a chart (`return` or `products`): each path's data attributes."""
    return list(
        page.eval_on_selector_all(
            f"#curves-{chart} path.curve",
            "els => els.map(e => ({ series: e.dataset.series, firstX: e.dataset.firstX,"
            " points: e.dataset.points, d: e.getAttribute('d') }))",
        )
    )


def wait_curves(
    page: Any, count: int, chart: str = "return", timeout: float = 30000, kind: str = "curve"
) -> None:
    """Until `chart` draws `count` paths of `kind` (curve, or band: a grid point's band comes
    once two of its seeds have finished an episode, which may be after its curve)."""
    page.wait_for_function(
        "([chart, kind, n]) => document.querySelectorAll(`#curves-${chart} path.${kind}`).length === n",
        arg=[chart, kind, count],
        timeout=timeout,
    )


def rooms_of(server: Server) -> dict[str, dict[str, Any]]:
    headers = {"Authorization": f"Bearer {server.token('root')}"}
    rooms = requests.get(server.url + "/api/rooms", headers=headers, timeout=30).json()["rooms"]
    return {info["name"]: info for info in rooms}


def test_a_sweep_page_draws_a_curve_and_a_band_per_grid_point(pages: Any, web_server: Server) -> None:
    # The lobby's sweep form: checked before sending, then create_sweep, then the sweep's page.
    name = unique_name("sweep")
    page = pages.open("alice", "/")
    page.wait_for_selector("#conn[data-state=connected]")
    page.wait_for_selector("#sweep-advanced-fields fieldset", state="attached")
    page.fill("#sweep-name", name)
    page.fill("input[name='sweep.agents']", "2")
    page.select_option("select[name='sweep.policy']", "heuristic")
    page.fill("#sweep-seeds", "1, x")
    page.click("#grid-add")
    page.select_option("#grid-rows select", "world.max_ticks")
    page.fill("#grid-rows input", "50, 6")
    page.click("#sweep-button")
    seeds_error = page.locator("[data-field='sweep.seeds'] > .field-error")
    seeds_error.wait_for(state="visible")
    assert "Seeds must be whole numbers" in seeds_error.inner_text()
    assert page.inner_text("#grid-rows .field-error") == "Ticks per episode must be 50 to 10,000."
    page.fill("#sweep-seeds", "1,2")
    page.fill("#grid-rows input", "50, 60")
    assert page.inner_text("#sweep-size") == "2 seeds × 2 grid points = 4 rooms"
    assert not [room for room in rooms_of(web_server).values() if room.get("sweep") == name]  # nothing sent
    page.click("#sweep-button")
    page.wait_for_url("**/sweeps/**")
    page.wait_for_selector("body[data-sweep=loaded]")
    # Two grid points, two seeds each: two curves, each the mean with a band over its seeds.
    wait_curves(page, 2)
    wait_curves(page, 2, kind="band")
    assert len(page.query_selector_all("#curves-products path.curve")) == 2
    assert len(page.query_selector_all("#curves-products path.band")) == 2
    assert "lowest to highest seed" in page.inner_text("#curves-return")
    assert page.locator("#final-body tr").count() == 2
    assert "Ticks per episode 50" in page.inner_text("#final-body")
    assert page.locator("#sweep-rooms-body tr").count() == 4
    rooms = [room["name"] for room in rooms_of(web_server).values() if room.get("sweep") == name]
    assert len(rooms) == 4
    for room in rooms:
        link = page.locator(f'#sweep-rooms-body tr[data-room="{room}"] a')
        assert link.inner_text() == room and link.get_attribute("href").startswith("/rooms/")

    page.click("#sweep-stop")
    page.wait_for_function("() => document.getElementById('sweep-progress').textContent === '4 of 4 stopped'")
    assert not any(rooms_of(web_server)[room]["running"] for room in rooms)
    page.click("#sweep-start")
    page.wait_for_function("() => document.getElementById('sweep-progress').textContent === '4 of 4 started'")
    assert all(rooms_of(web_server)[room]["running"] for room in rooms)

    lobby = pages.open("alice", "/")
    lobby.wait_for_selector(f"#sweeps-list li[data-sweep='{name}'] a[href='/sweeps/{name}']")

    page.on("dialog", lambda dialog: dialog.accept())
    page.click("#sweep-delete")
    page.wait_for_function(
        "() => document.getElementById('sweep-banner').textContent.startsWith('The sweep is deleted')"
    )
    assert page.is_hidden("#sweep-body")
    assert not set(rooms) & set(rooms_of(web_server))

    pages.allow(r"status of 404")  # an unknown sweep's page asks for it
    missing = pages.open("alice", f"/sweeps/{name}")
    missing.wait_for_selector("#sweep-missing", state="visible")
    assert "No such sweep" in missing.inner_text("#sweep-missing")


def played_room(client: Client, prefix: str, **fields: Any) -> str:
    """A stopped heuristic room with six finished episodes, the first two cut short by a reset."""
    name = room_name(prefix)
    client.ok("create_room", {"name": name, "policy": "heuristic", "seed": 2, "speed": "max", **fields})
    for _ in range(2):
        client.ok("step_game", {"room": name})
        client.ok("reset_game", {"room": name})
    client.ok("start_game", {"room": name})
    client.wait_for(
        lambda: next(r for r in client.ok("list_rooms", {})["rooms"] if r["name"] == name)["episode"] >= 7,
        timeout=60,
        what="six finished episodes",
    )
    client.ok("stop_game", {"room": name})
    return name


def test_a_compare_page_draws_two_rooms_on_shared_axes(pages: Any, alice: Client) -> None:
    first = played_room(alice, "Cmp", config={"world": {"max_ticks": 50}})
    second = played_room(alice, "Cmp", config={"world": {"max_ticks": 60}})
    page = pages.open("alice", "/")
    for name in (first, second):
        page.check(f"#rooms-body input.compare-check[data-room='{name}']")
    page.click("#compare-button")
    page.wait_for_url("**/compare?**")
    wait_curves(page, 2)
    wait_curves(page, 2, "products")
    drawn = curves(page)
    assert {c["series"] for c in drawn} == {first, second}
    legend = page.inner_text("#curves-return .plot-legend")
    assert first in legend and second in legend
    # Resets are hollow points; the data table holds every episode.
    assert page.locator("#curves-return circle.cut").count() == 4
    page.click("#curves-return .plot-data summary")
    page.wait_for_selector("#curves-return .plot-data tbody tr")
    assert page.locator("#curves-return .plot-data tbody tr").count() >= 6
    # The configs as a diff: the field that differs, one column per room.
    row = page.locator("#diff-body tr[data-path='world.max_ticks']")
    assert row.locator("td").all_inner_texts() == ["50", "60"]
    assert page.locator("#diff-body tr[data-path='world.width']").count() == 0
    policies = page.locator("#diff-body tr[data-path='policy'] td").all_inner_texts()
    assert policies == ["heuristic", "heuristic"]

    # Hovering shows each room's value at that x.
    box = page.locator("#curves-return svg").bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    tip = page.locator("#curves-return .plot-tip")
    tip.wait_for(state="visible")
    assert first in tip.inner_text() and second in tip.inner_text() and "episode" in tip.inner_text()

    # The x axis: agent-steps move the curves' first x from episode 1 to the steps it took.
    assert {c["firstX"] for c in curves(page)} == {"1"}
    page.select_option("#curves-axis", "agent_steps")
    page.wait_for_function(
        "() => [...document.querySelectorAll('#curves-return path.curve')].every(p => Number(p.dataset.firstX) > 1)"
    )
    assert "agent-steps" in (page.text_content("#curves-return svg") or "")
    page.select_option("#curves-axis", "wall")
    page.wait_for_function(
        "() => [...document.querySelectorAll('#curves-return path.curve')].every(p => p.dataset.firstX === '0')"
    )
    page.select_option("#curves-axis", "episodes")
    page.wait_for_function(
        "() => [...document.querySelectorAll('#curves-return path.curve')].every(p => p.dataset.firstX === '1')"
    )
    # Smoothing redraws the curves (the first point stays: the average is debiased).
    before = {c["series"]: c["d"] for c in curves(page)}
    page.fill("#curves-smoothing", "0.9")
    page.wait_for_function("() => document.getElementById('curves-smoothing-out').textContent === '0.90'")
    page.wait_for_timeout(100)
    after = {c["series"]: c["d"] for c in curves(page)}
    assert all(after[s] != before[s] for s in before)
    assert {c["firstX"] for c in curves(page)} == {"1"}


def test_the_advanced_form_checks_first_and_the_header_shows_it(pages: Any, web_server: Server) -> None:
    page = pages.open("alice", "/")
    page.wait_for_selector("#conn[data-state=connected]")
    page.click("#advanced summary")
    ticks = page.locator("input[name='config.world.max_ticks']")
    ticks.wait_for()
    assert "Ticks per episode" in page.inner_text("[data-field='config.world.max_ticks']")
    name = room_name("Configured")
    page.fill("#room-name", name)
    page.select_option("select[name=policy]", "heuristic")
    ticks.fill("5")
    page.click("#create-button")
    error = page.locator("[data-field='config.world.max_ticks'] .field-error")
    error.wait_for(state="visible")
    assert error.inner_text() == "Ticks per episode must be 50 to 10,000."
    page.wait_for_timeout(300)
    assert page.url.rstrip("/").endswith(str(web_server.port))
    assert name not in rooms_of(web_server)  # nothing was sent

    ticks.fill("100")
    page.click("#create-button")
    page.wait_for_url("**/rooms/**")
    facts = page.locator("#room-facts")
    facts.locator("[data-fact=config]").wait_for()
    assert "Ticks per episode 100" in facts.inner_text()
    text = facts.inner_text()
    assert "heuristic" in text and "4 agents" in text and "speed 1.0×" in text
    assert rooms_of(web_server)[name]["config"]["world"]["max_ticks"] == 100
