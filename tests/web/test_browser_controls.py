"""The room page's controls and sharing in Chromium: the first minute of an untrained learning
room ("Train (turbo)"), "End episode" and "Restart training" with their confirmations, asking
for and granting control across two users, the owner's delete, rename and duplicate (lobby and
room page), the training charts only where the room learns, and the disconnected state. Real
Chromium against a real ``simrooms serve`` (see conftest.py); rooms are made from socket clients
of the test's own."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import pytest

from tests.support.server import Clients, Server
from tests.support.server import room_name as unique_name

pytestmark = pytest.mark.browser
room_name = functools.partial(unique_name, sep=" ")
UNTRAINED = "Untrained: actions are random until the first episodes finish"


@pytest.fixture
def clients(web_server: Server) -> Iterator[Clients]:
    made = Clients(web_server)
    yield made
    made.close()


def open_room(pages: Any, user: str, name: str) -> Any:
    page = pages.open(user, f"/rooms/{quote(name)}")
    page.wait_for_selector("#conn[data-state=connected]")
    page.wait_for_selector("#my-role:text-matches('owner|controller|observer|admin')")
    page.wait_for_function("() => /^\\d+$/.test(document.getElementById('stat-tick').textContent)")
    return page


def stat(page: Any, key: str) -> int:
    return int(page.inner_text(f"#stat-{key}").strip())


def confirm_dialog(page: Any) -> Any:
    dialog = page.locator("dialog[open]")
    dialog.wait_for()
    return dialog


def test_first_minute_train_turbo_for_an_untrained_learning_room(
    pages: Any, clients: Clients, web_server: Server
) -> None:
    alice = clients("alice")
    name = room_name("Newcomer")
    alice.ok("create_room", {"name": name, "policy": "learning", "seed": 2})
    owner = open_room(pages, "alice", name)
    owner.wait_for_selector("#untrained-note:not([hidden])")
    assert UNTRAINED in owner.inner_text("#untrained-note")
    # Train is the first action, the primary one, beside Start.
    train = owner.locator("#btn-train")
    assert train.is_visible() and train.is_enabled()
    assert "Train (turbo)" in train.inner_text()
    assert owner.evaluate("document.querySelector('#controls button:not([hidden])').id") == "btn-train"
    assert "btn-primary" in (train.get_attribute("class") or "")
    assert "btn-primary" not in (owner.get_attribute("#btn-start", "class") or "")
    # The learning room shows its loss charts; restart training is offered to its owner.
    assert owner.is_visible(".charts-training")
    assert owner.is_visible("#btn-restart-training")

    observer = open_room(pages, "bob", name)
    observer.wait_for_selector("#untrained-note:not([hidden])")
    assert observer.is_hidden("#btn-train") and observer.is_hidden("#btn-restart-training")

    train.click()
    owner.wait_for_selector("#run-state:text('running')")
    owner.wait_for_selector("#speed-out:text('max')")
    info = web_server.room_info(name)
    assert info["running"] and info["speed"] == "max"
    owner.wait_for_selector("#btn-train", state="hidden")
    assert "btn-primary" in (owner.get_attribute("#btn-start", "class") or "")
    # The first episodes finish in turbo: the note goes, on both pages.
    owner.wait_for_selector("#untrained-note", state="hidden", timeout=60000)
    observer.wait_for_selector("#untrained-note", state="hidden", timeout=15000)
    owner.wait_for_function(
        "() => window.simrooms.charts.episodes.some((e) => typeof e.policy_loss === 'number')", timeout=60000
    )
    alice.ok("stop_game", {"room": name})
    # The loss chart's figures are in a table behind it, one row per episode drawn.
    owner.wait_for_function(
        "document.querySelector('#charts').dataset.points === String(window.simrooms.charts.points.length)"
    )
    owner.click(".charts-training .chart:first-child summary")
    caption = owner.inner_text(".charts-training .chart:first-child .plot-table caption")
    rows = owner.locator(".charts-training .chart:first-child .plot-table tbody tr")
    drawn = owner.evaluate("window.simrooms.charts.points.length")
    assert caption.startswith("Losses") and rows.count() == drawn >= 1
    # Episodes before the first learning update have no losses ("–"); those after have both.
    cells = [rows.nth(i).locator("td").all_inner_texts() for i in range(drawn)]
    assert all(len(row) == 2 for row in cells)
    assert any(all(text != "–" for text in row) for row in cells), cells


def test_a_heuristic_room_has_no_first_minute_and_no_loss_charts(pages: Any, clients: Clients) -> None:
    alice = clients("alice")
    name = room_name("Scripted")
    alice.ok("create_room", {"name": name, "policy": "heuristic", "seed": 2})
    page = open_room(pages, "alice", name)
    page.wait_for_selector("#room-facts [data-fact=policy]:text('heuristic')")
    page.wait_for_timeout(300)  # the episode history has come (the charts' note says so)
    page.wait_for_selector("#charts-note:text('no finished episode')")
    assert page.is_hidden("#untrained-note") and page.is_hidden("#btn-train")
    assert page.is_hidden("#btn-restart-training")
    assert page.is_hidden(".charts-training")
    assert page.is_visible("#curves-return") and page.is_visible("#curves-products")


def test_end_episode_is_confirmed_while_the_room_runs(pages: Any, clients: Clients) -> None:
    alice = clients("alice")
    name = room_name("Ending")
    alice.ok("create_room", {"name": name, "policy": "heuristic", "seed": 4})
    page = open_room(pages, "alice", name)
    reset = page.locator("#btn-reset")
    assert reset.inner_text().strip() == "End episode"
    assert "learning goes on" in (reset.get_attribute("title") or "")
    # Stopped: it ends the episode at once.
    page.click("#btn-step")
    page.wait_for_selector("#stat-tick:text('1')")
    first = stat(page, "episode")
    reset.click()
    page.wait_for_function(
        "e => Number(document.getElementById('stat-episode').textContent) === e + 1", arg=first
    )
    assert page.locator("dialog[open]").count() == 0

    alice.ok("start_game", {"room": name})
    page.wait_for_selector("#run-state:text('running')")
    # Running: a dialog asks; Esc keeps the episode.
    episode = stat(page, "episode")
    reset.click()
    dialog = confirm_dialog(page)
    assert "End this episode?" in dialog.inner_text()
    assert page.evaluate("document.activeElement.dataset.dialog") == "confirm"
    page.keyboard.press("Escape")
    dialog.wait_for(state="detached")
    page.wait_for_timeout(300)
    assert stat(page, "episode") == episode
    assert page.evaluate("document.activeElement.id") == "btn-reset"  # focus comes back
    # Confirmed with the keyboard: the episode ends and the room runs on.
    reset.click()
    confirm_dialog(page)
    page.keyboard.press("Enter")
    page.wait_for_function(
        "e => Number(document.getElementById('stat-episode').textContent) > e", arg=episode
    )
    assert page.text_content("#run-state") == "running"
    alice.ok("stop_game", {"room": name})


def test_restart_training_is_confirmed_and_untrains_the_room(pages: Any, clients: Clients) -> None:
    alice = clients("alice")
    name = room_name("Relearn")
    alice.ok(
        "create_room",
        {
            "name": name,
            "policy": "learning",
            "seed": 5,
            "speed": "max",
            "config": {"world": {"max_ticks": 60}},
        },
    )
    alice.ok("start_game", {"room": name})
    page = open_room(pages, "alice", name)
    page.wait_for_function(
        "() => Number(document.getElementById('charts').dataset.episodes) >= 1", timeout=60000
    )
    page.wait_for_selector("#untrained-note", state="hidden")
    alice.ok("stop_game", {"room": name})
    page.wait_for_selector("#run-state:text('stopped')")
    # Always confirmed, even stopped; Cancel keeps the training.
    page.click("#btn-restart-training")
    dialog = confirm_dialog(page)
    assert "Restart training?" in dialog.inner_text()
    dialog.locator("[data-dialog=cancel]").click()
    dialog.wait_for(state="detached")
    page.click("#btn-restart-training")
    confirm_dialog(page).locator("[data-dialog=confirm]").click()
    page.wait_for_selector(".toast:has-text('Training restarted at tick')")
    page.wait_for_selector("#untrained-note:not([hidden])")
    page.wait_for_selector("#btn-train:not([hidden])")


def test_observer_asks_for_control_and_the_owner_grants_it(pages: Any, clients: Clients) -> None:
    alice = clients("alice")
    name = room_name("Asking")
    alice.ok("create_room", {"name": name, "policy": "heuristic", "seed": 6})
    owner = open_room(pages, "alice", name)
    assert owner.is_hidden("#btn-ask-control")
    observer = open_room(pages, "bob", name)
    owner.wait_for_selector("#presence li[data-user=bob]")
    ask = observer.locator("#btn-ask-control")
    assert ask.is_visible() and observer.is_disabled("#btn-step")
    ask.click()
    observer.wait_for_selector(".toast:text('Asked alice for control')")
    observer.wait_for_selector("#btn-ask-control:disabled")
    toast = owner.locator(".toast-request[data-user=bob]")
    toast.wait_for()
    assert "bob asks for control" in toast.inner_text()
    toast.locator("button:text('Grant')").click()
    toast.wait_for(state="detached")
    observer.wait_for_selector("#my-role:text('controller')")
    observer.wait_for_function("() => !document.getElementById('btn-step').disabled")
    assert observer.is_hidden("#btn-ask-control")

    # Nobody who may grant control is in this one: the server's sentence shows.
    lonely = room_name("Lonely")
    alice.ok("create_room", {"name": lonely, "policy": "heuristic", "seed": 6})
    carol = open_room(pages, "carol", lonely)
    carol.click("#btn-ask-control")
    refusal = carol.locator(".toast.error")
    refusal.wait_for()
    assert "alice" in refusal.inner_text() and "Nobody" in refusal.inner_text()
    carol.wait_for_selector("#btn-ask-control:enabled")


def test_the_owner_deletes_a_room_from_the_lobby(pages: Any, clients: Clients) -> None:
    alice, bob = clients("alice"), clients("bob")
    name = room_name("Doomed")
    alice.ok("create_room", {"name": name, "policy": "heuristic", "seed": 7})
    others = room_name("Bobs")
    bob.ok("create_room", {"name": others, "policy": "heuristic", "seed": 7})
    watcher = open_room(pages, "bob", name)

    lobby = pages.open("alice")
    row = lobby.locator(f"#rooms-body tr[data-room='{name}']")
    row.wait_for()
    # Only the owner's rows have the menu.
    lobby.wait_for_selector(f"#rooms-body tr[data-room='{others}']")
    assert lobby.locator(f"#rooms-body tr[data-room='{others}'] .row-menu").count() == 0
    row.locator(".row-menu").click()
    assert row.locator(".row-menu").get_attribute("aria-expanded") == "true"
    lobby.locator(f"#rooms-body tr[data-actions-for='{name}'] [data-act=delete]").click()
    dialog = confirm_dialog(lobby)
    assert name in dialog.inner_text()
    dialog.locator("[data-dialog=confirm]").click()
    row.wait_for(state="detached")
    watcher.wait_for_selector("#room-gone:not([hidden])")
    assert "deleted" in watcher.inner_text("#room-gone")
    assert watcher.text_content("#run-state") == "gone"
    assert "gone" in (watcher.get_attribute("#board-wrap", "class") or "")
    assert watcher.inner_text("#stat-tick").strip() == "–"
    assert watcher.is_hidden("#btn-ask-control")


def test_rename_from_the_room_page_moves_every_member(pages: Any, clients: Clients) -> None:
    alice = clients("alice")
    name = room_name("Old")
    alice.ok("create_room", {"name": name, "policy": "heuristic", "seed": 8})
    owner = open_room(pages, "alice", name)
    member = open_room(pages, "bob", name)
    assert member.is_hidden("#owner-menu")
    owner.click("#owner-menu summary")
    owner.click("#btn-rename")
    dialog = confirm_dialog(owner)
    new = room_name("New")
    dialog.locator("input").fill(new)
    owner.keyboard.press("Enter")
    dialog.wait_for(state="detached")
    for page in (owner, member):
        page.wait_for_selector(f"#room-title:text-is('{new}')")
        page.wait_for_function("p => location.pathname === p", arg=f"/rooms/{quote(new)}")
        assert new in page.title()
    # The pages keep working under the new name: the member's board follows the room.
    owner.click("#btn-step")
    member.wait_for_selector("#stat-tick:text('1')")
    assert owner.get_attribute("#episodes-csv", "href") == f"/api/rooms/{quote(new)}/episodes?format=csv"
    # A taken name is refused in the dialog, which stays open.
    taken = room_name("Taken")
    alice.ok("create_room", {"name": taken, "policy": "heuristic"})
    owner.click("#owner-menu summary")
    owner.click("#btn-rename")
    dialog = confirm_dialog(owner)
    dialog.locator("input").fill(taken)
    dialog.locator("[data-dialog=confirm]").click()
    dialog.locator(".form-error:not([hidden])").wait_for()
    dialog.locator("[data-dialog=cancel]").click()
    dialog.wait_for(state="detached")


def test_duplicate_makes_a_room_like_this_one(pages: Any, clients: Clients, web_server: Server) -> None:
    alice = clients("alice")
    name = room_name("Original")
    config = {"world": {"max_ticks": 120}, "learner": {"learning_rate": 0.002}}
    alice.ok(
        "create_room",
        {"name": name, "policy": "learning", "agents": 3, "seed": 11, "public": False, "config": config},
    )
    page = open_room(pages, "alice", name)
    page.click("#owner-menu summary")
    page.click("#btn-duplicate")
    dialog = confirm_dialog(page)
    assert dialog.locator("input").input_value() == f"{name} copy"
    dialog.locator("[data-dialog=confirm]").click()
    page.wait_for_url(re.compile(re.escape(f"/rooms/{quote(name + ' copy')}") + "$"))
    page.wait_for_selector("#my-role:text('owner')")
    original, copy = web_server.room_info(name), web_server.room_info(f"{name} copy")
    for key in ("agents", "policy", "seed", "public", "config", "config_changes"):
        assert copy[key] == original[key], key
    assert copy["owner"] == "alice" and copy["tick"] == 0


def test_the_lobby_duplicates_a_heuristic_room(pages: Any, clients: Clients, web_server: Server) -> None:
    alice = clients("alice")
    name = room_name("Plain")
    alice.ok(
        "create_room",
        {"name": name, "policy": "heuristic", "seed": 12, "config": {"world": {"max_ticks": 90}}},
    )
    lobby = pages.open("alice")
    row = lobby.locator(f"#rooms-body tr[data-room='{name}']")
    row.wait_for()
    row.locator(".row-menu").click()
    lobby.locator(f"#rooms-body tr[data-actions-for='{name}'] [data-act=duplicate]").click()
    dialog = confirm_dialog(lobby)
    copy = room_name("Copied")
    dialog.locator("input").fill(copy)
    dialog.locator("[data-dialog=confirm]").click()
    lobby.wait_for_url(f"**/rooms/{quote(copy)}")
    info = web_server.room_info(copy)
    assert info["policy"] == "heuristic" and info["seed"] == 12
    assert info["config_changes"] == {"world.max_ticks": 90}


def test_disconnected_shows_unknown_and_dims_then_comes_back(pages: Any, clients: Clients) -> None:
    alice = clients("alice")
    name = room_name("Dropped")
    alice.ok("create_room", {"name": name, "policy": "heuristic", "seed": 9})
    alice.ok("start_game", {"room": name})
    page = open_room(pages, "alice", name)
    page.wait_for_selector("#run-state:text('running')")
    assert not page.evaluate("document.querySelector('.room-layout').classList.contains('stale')")
    page.evaluate("window.simrooms.socket.disconnect()")
    page.wait_for_selector("#run-state:text('unknown')")
    assert "badge-unknown" in (page.get_attribute("#run-state", "class") or "")
    assert page.evaluate("document.querySelector('.room-layout').classList.contains('stale')")
    dimmed = page.evaluate("getComputedStyle(document.getElementById('board-wrap')).opacity")
    assert float(dimmed) < 0.6
    assert "Disconnected" in page.inner_text("#control-note")
    assert page.is_disabled("#btn-stop")
    frozen = stat(page, "tick")
    page.wait_for_timeout(400)
    assert stat(page, "tick") == frozen  # nothing arrives: the figures are the last known

    page.evaluate("window.simrooms.socket.connect()")
    page.wait_for_selector("#run-state:text('running')")
    page.wait_for_function(
        "t => Number(document.getElementById('stat-tick').textContent) > t", arg=frozen + 3
    )
    assert not page.evaluate("document.querySelector('.room-layout').classList.contains('stale')")
    assert page.get_attribute("#run-state", "title") is None
    page.wait_for_function("() => !document.getElementById('btn-stop').disabled")
    alice.ok("stop_game", {"room": name})
