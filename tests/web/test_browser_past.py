"""Rooms that last, in the browser: the room page's timeline (a past tick, live behind it, Live,
play, arrow keys), "Fork from here", the charts' whole episode history and its CSV, rooms that
are gone. Real Chromium against a real ``simrooms serve`` (see conftest.py); the rooms are
driven from a socket client of the test's own (the server's rate limit is raised)."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import pytest

from tests.support.server import Client
from tests.support.server import room_name as unique_name

pytestmark = pytest.mark.browser
room_name = functools.partial(unique_name, sep=" ")


def stepped_room(client: Client, ticks: int, prefix: str) -> str:
    """A stopped heuristic room stepped `ticks` times."""
    name = room_name(prefix)
    client.ok("create_room", {"name": name, "policy": "heuristic", "seed": 3})
    for _ in range(ticks):
        client.ok("step_game", {"room": name})
    return name


def world(state: dict[str, Any]) -> dict[str, Any]:
    return {k: state[k] for k in ("tick", "episode", "width", "height", "grid", "agents", "stats", "log")}


def stat_text(page: Any) -> dict[str, str]:
    return {
        key: page.inner_text(f"#stat-{key}").strip()
        for key in ("tick", "episode", "products", "efficiency", "reward")
    }


def stats_of(state: dict[str, Any]) -> dict[str, str]:
    """The stats as the page writes them."""
    stats = state["stats"]
    return {
        "tick": str(state["tick"]),
        "episode": str(state["episode"]),
        "products": str(stats["products_created"]),
        "efficiency": f"{stats['efficiency']:.2f}",
        "reward": f"{stats['total_reward']:.2f}",
    }


def open_room(pages: Any, name: str, tick: int) -> Any:
    page = pages.open("alice", f"/rooms/{name}")
    page.wait_for_selector("#conn[data-state=connected]")
    page.wait_for_function("t => document.getElementById('stat-tick').textContent === String(t)", arg=tick)
    return page


def drag_to(page: Any, tick: int) -> None:
    """Move the timeline as a drag does: input events."""
    page.eval_on_selector(
        "#timeline",
        "(el, t) => { el.value = String(t); el.dispatchEvent(new Event('input', { bubbles: true })); }",
        tick,
    )


def wait_shown(page: Any, tick: int) -> None:
    page.wait_for_function(
        "t => document.getElementById('stat-tick').textContent === String(t)"
        " && document.getElementById('timeline-box').dataset.tick === String(t)",
        arg=tick,
    )


def test_the_timeline_shows_the_past_while_live_goes_on(pages: Any, alice: Client) -> None:
    name = stepped_room(alice, 60, "Past")
    page = open_room(pages, name, 60)
    assert page.get_attribute("#timeline", "max") == "60"
    assert page.inner_text("#timeline-status") == "live · tick 60"
    assert page.is_disabled("#btn-live") and page.is_disabled("#btn-play")

    # A fast drag over 40 ticks: one request in flight at a time, at most one every 100 ms, and
    # the page ends on the last tick asked.
    page.evaluate("""() => { const el = document.getElementById('timeline');
        for (let t = 59; t >= 20; t--) { el.value = String(t); el.dispatchEvent(new Event('input', { bubbles: true })); } }""")
    wait_shown(page, 20)
    page.wait_for_timeout(250)
    assert 1 <= page.evaluate("window.simrooms.timeline.sent") <= 3
    past = alice.ok("get_state", {"room": name, "tick": 20})["state"]
    assert stat_text(page) == stats_of(past)
    assert world(page.evaluate("window.simrooms.view.past")) == world(past)
    assert page.inner_text("#timeline-status") == "viewing tick 20 — live is at 60"
    assert page.get_attribute("#timeline-box", "data-mode") == "past"
    first = past["agents"][0]
    assert page.inner_text("#agents-body tr[data-agent='0'] td:nth-child(2)") == f"{first['x']}, {first['y']}"

    # Live updates go on behind the view without moving it.
    for _ in range(5):
        alice.ok("step_game", {"room": name})
    page.wait_for_function("() => window.simrooms.view.state.tick === 65")
    page.wait_for_function("() => document.getElementById('timeline').max === '65'")
    assert page.inner_text("#stat-tick") == "20"
    assert page.inner_text("#timeline-status") == "viewing tick 20 — live is at 65"

    # The focused range steps one tick with the arrows; so do the arrows elsewhere on the page.
    page.focus("#timeline")
    page.keyboard.press("ArrowRight")
    wait_shown(page, 21)
    assert stat_text(page) == stats_of(alice.ok("get_state", {"room": name, "tick": 21})["state"])
    page.click("#room-title")  # the focus leaves the range
    page.keyboard.press("ArrowLeft")
    page.keyboard.press("ArrowLeft")
    wait_shown(page, 19)

    # Live: at once, and exactly the server's state.
    page.click("#btn-live")
    wait_shown(page, 65)
    assert page.get_attribute("#timeline-box", "data-mode") == "live"
    now = alice.ok("get_state", {"room": name})["state"]
    assert world(page.evaluate("window.simrooms.view.state")) == world(now)
    assert stat_text(page) == stats_of(now)

    # Play walks forward and goes live at the live tick.
    drag_to(page, 45)
    wait_shown(page, 45)
    page.select_option("#play-speed", "2")
    page.click("#btn-play")
    page.wait_for_selector("#btn-play[aria-pressed=true]")
    page.wait_for_function(
        "() => { const t = Number(document.getElementById('stat-tick').textContent); return t > 45 && t < 65; }"
    )
    page.wait_for_selector("#timeline-box[data-mode=live]", timeout=10000)
    assert page.inner_text("#stat-tick") == "65"
    assert page.get_attribute("#btn-play", "aria-pressed") == "false"


def test_fork_from_the_page(pages: Any, alice: Client) -> None:
    name = stepped_room(alice, 30, "Origin")
    page = open_room(pages, name, 30)
    drag_to(page, 20)
    wait_shown(page, 20)
    page.click("#btn-fork")
    assert page.get_attribute("#btn-fork", "aria-expanded") == "true"
    assert "tick 20" in page.inner_text("#fork-label")
    # The server's sentence for a taken name, next to the field.
    page.fill("#fork-name", name.upper())
    page.click("#fork-submit")
    page.wait_for_selector("#fork-error:not([hidden])")
    assert "taken" in page.inner_text("#fork-error")
    assert page.url.endswith(f"/rooms/{name.replace(' ', '%20')}")

    fork = room_name("Forked")
    page.fill("#fork-name", fork)
    page.click("#fork-submit")
    page.wait_for_url(f"**/rooms/{fork.replace(' ', '%20')}")
    page.wait_for_selector("#conn[data-state=connected]")
    page.wait_for_function("() => document.getElementById('stat-tick').textContent === '20'")
    page.wait_for_selector("#my-role:text('owner')")
    assert page.inner_text("#room-title") == fork
    origin_past = alice.ok("get_state", {"room": name, "tick": 20})["state"]
    assert world(page.evaluate("window.simrooms.view.state")) == world(origin_past)

    # Live, the fork starts now.
    page.click("#btn-fork")
    assert "live tick" in page.inner_text("#fork-label")
    again = room_name("Fork now")
    page.fill("#fork-name", again)
    page.press("#fork-name", "Enter")
    page.wait_for_url(f"**/rooms/{again.replace(' ', '%20')}")
    page.wait_for_function("() => document.getElementById('stat-tick').textContent === '20'")


def test_the_charts_hold_the_whole_history_and_the_csv(pages: Any, alice: Client, tmp_path: Path) -> None:
    name = stepped_room(alice, 8, "History")
    for _ in range(4):
        alice.ok("reset_game", {"room": name})
    page = open_room(pages, name, 8)
    page.wait_for_selector("#charts[data-episodes='4']")
    assert "4 episodes" in page.inner_text("#charts-note")
    # A live episode is added once (its metrics and game_ended events merge), and a reload
    # shows the same history.
    alice.ok("join_room", {"room": name})
    alice.ok("reset_game", {"room": name})
    alice.wait_for(lambda: alice.received("metrics", name), what="the metrics event")
    page.wait_for_selector("#charts[data-episodes='5']")
    page.wait_for_timeout(300)
    assert page.get_attribute("#charts", "data-episodes") == "5"
    page.reload()
    page.wait_for_selector("#charts[data-episodes='5']")
    assert page.get_attribute("#charts", "data-points") == "5"

    with page.expect_download() as download:
        page.click("#episodes-csv")
    saved = tmp_path / "episodes.csv"
    download.value.save_as(saved)
    lines = saved.read_text().splitlines()
    assert lines[0].startswith("episode,end_tick,reason,products_created,total_reward,efficiency")
    assert len(lines) == 6
    answer = page.request.get(page.get_attribute("#episodes-csv", "href"))
    assert answer.status == 200 and answer.headers["content-type"].startswith("text/csv")

    # Long histories are drawn as at most 500 points: bucket means, the first and last kept.
    sampled = page.evaluate("""async () => {
        const { downsample } = await import('/static/js/room_history.js');
        const points = Array.from({ length: 2000 }, (_, i) => ({ episode: i + 1, products: i % 2 }));
        const out = downsample(points, ['products'], 500);
        return { n: out.length, first: out[0], last: out[out.length - 1], mid: out[250],
                 ordered: out.every((p, i) => i === 0 || p.episode > out[i - 1].episode) };
    }""")
    assert sampled["n"] == 500 and sampled["ordered"]
    assert sampled["first"] == {"episode": 1, "products": 0}
    assert sampled["last"] == {"episode": 2000, "products": 1}
    assert 0.3 <= sampled["mid"]["products"] <= 0.7


def test_a_room_that_is_gone(pages: Any, alice: Client) -> None:
    name = stepped_room(alice, 5, "Doomed")
    page = open_room(pages, name, 5)
    assert page.is_hidden("#room-gone")
    alice.ok("delete_room", {"room": name})
    page.wait_for_selector("#room-gone:not([hidden])")
    assert "deleted" in page.inner_text("#room-gone")
    assert page.get_attribute("#room-gone a", "href") == "/"
    assert "gone" in page.get_attribute("#board-wrap", "class")
    assert page.inner_text("#stat-tick") == "–"
    assert page.locator("#agents-body tr").count() == 0
    for control in ("#btn-start", "#btn-step", "#btn-reset", "#timeline", "#btn-fork", "#speed"):
        assert page.is_disabled(control), control
    assert page.text_content("#run-state") == "gone"

    # A room that is not there when the page opens is a 404 page saying so (no board at all).
    pages.allow(r"console error: Failed to load resource: .*404")
    missing = pages.open("bob", "/rooms/No such room")
    assert "There is no room named 'No such room' (or it is private)." in missing.inner_text(".error-page")
    assert missing.locator("#board").count() == 0
    assert missing.get_attribute(".error-page a.btn-primary", "href") == "/"
