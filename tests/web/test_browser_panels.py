"""The room page's numbers, tables, inspector and event log in Chromium (issue 16): the stat cards
say they are this episode's and show the last episode's and a 10-episode mean with their
meaning; the agents table says what each agent is doing; the inspector shows one tick's figures
or says which tick, forgets a reset's stale decision and says when a policy is scripted; the
event log stamps ticks, separates episodes, filters by agent and carries the room's own events;
the world is summed up in words for screen readers. Real Chromium against a real
``simrooms serve`` (see conftest.py); the rooms are driven from socket clients of the test's own."""

from __future__ import annotations

import functools
import re
from typing import Any

import pytest

from tests.support.server import Client
from tests.support.server import room_name as unique_name

pytestmark = pytest.mark.browser
room_name = functools.partial(unique_name, sep=" ")
CARDS = ("products", "efficiency", "reward")
"""The stat cards of an episode's figures, by their ids' middle part."""
KEYS = {"products": "products_created", "efficiency": "efficiency", "reward": "total_reward"}


def open_room(pages: Any, name: str, user: str = "alice") -> Any:
    page = pages.open(user, f"/rooms/{name}")
    page.wait_for_selector("#conn[data-state=connected]")
    page.wait_for_function("() => /^\\d+$/.test(document.getElementById('stat-tick').textContent)")
    return page


def wait_page_tick(page: Any, tick: int) -> None:
    page.wait_for_function("t => document.getElementById('stat-tick').textContent === String(t)", arg=tick)


def text(page: Any, selector: str) -> str:
    return str(page.inner_text(selector)).strip()


def ended(client: Client, name: str) -> list[dict[str, Any]]:
    """The game_ended events `client` received for room `name`, in episode order."""
    return sorted(client.received("game_ended", name), key=lambda m: m["episode"])


# ------------------------------------------------------------------ stat cards


def test_stat_cards_show_this_episode_beside_the_last_and_a_ten_episode_mean(
    pages: Any, alice: Client
) -> None:
    name = room_name("Cards")
    alice.ok(
        "create_room",
        {
            "name": name,
            "policy": "heuristic",
            "seed": 4,
            "speed": "max",
            "config": {"world": {"max_ticks": 50}},
        },
    )
    alice.ok("join_room", {"room": name})
    page = open_room(pages, name)
    # Each card says what it is: a tooltip, and the same words for screen readers.
    for card in CARDS:
        assert "this episode" in text(page, f"#stat-{card}-label")
        title = page.get_attribute(f"#card-{card}", "title")
        assert title and title == page.text_content(f"#stat-{card}-help")
        assert page.get_attribute(f"#card-{card}", "aria-describedby") == f"stat-{card}-help"
    assert "per 100 units of energy" in page.get_attribute("#card-efficiency", "title")
    # The room's own reward figures (its config's defaults), once its RoomInfo came.
    page.wait_for_function("() => document.getElementById('card-reward').title.includes('+0.1 per pick')")
    reward = page.get_attribute("#card-reward", "title")
    assert "shaping" in reward and "+1 per product" in reward and "+0.05 per cell" in reward
    for card in ("tick", "episode"):
        assert page.get_attribute(f"#card-{card}", "title")
    assert text(page, "#stat-products-last") == "–"

    alice.ok("start_game", {"room": name})
    page.wait_for_function(
        "() => Number(document.getElementById('charts').dataset.episodes) >= 13", timeout=60000
    )
    stopped = alice.ok("stop_game", {"room": name})["tick"]
    wait_page_tick(page, stopped)
    page.wait_for_timeout(300)
    shown = int(text(page, "#stat-episode"))
    finished = [e for e in ended(alice, name) if e["episode"] < shown]
    assert len(finished) >= 12
    last, recent = finished[-1], finished[-10:]
    for card in CARDS:
        key = KEYS[card]
        figures = [float(e["stats"][key]) for e in recent]
        assert float(text(page, f"#stat-{card}-last")) == pytest.approx(last["stats"][key], abs=0.006)
        assert float(text(page, f"#stat-{card}-mean")) == pytest.approx(sum(figures) / 10, abs=0.06)
        assert text(page, f"#stat-{card}-mean-label") == "mean of 10"
    assert text(page, "#stat-products-last") == str(last["stats"]["products_created"])


# ------------------------------------------------------------------ the agents' "Doing"


def test_the_doing_column_says_what_each_agent_is_doing(pages: Any, alice: Client) -> None:
    # The words for each state, from the function the table and the summary use.
    words = pages.open("alice").evaluate("""async () => {
        const { doingText } = await import('/static/js/room_agents.js');
        const where = { legend: { 0: 'empty', 2: 'resource', 3: 'factory', 4: 'charger' },
                        grid: [[0, 2, 3, 4]] };
        const agent = (x, energy, carrying, goal) => ({ id: 0, x, y: 0, energy, carrying, reward: 0, goal });
        return [
            doingText(agent(0, 0, 1, 'factory'), where),
            doingText(agent(0, 50, 2, 'factory'), where),
            doingText(agent(2, 50, 2, 'factory'), where),
            doingText(agent(0, 50, 0, 'resource'), where),
            doingText(agent(0, 50, 1, 'resource'), where),
            doingText(agent(1, 50, 0, 'resource'), where),
            doingText(agent(0, 9, 0, 'charger'), where),
            doingText(agent(3, 40, 1, 'charger'), where),
        ];
    }""")
    assert words == [
        "out of energy",
        "carrying 2 to a factory",
        "at a factory with 2",
        "going to a resource",
        "going to a resource (carrying 1)",
        "at a resource",
        "low on energy: going to a charger",
        "charging (carrying 1)",
    ]

    # A random room whose agents run out of energy fast and cannot recharge.
    name = room_name("Doing")
    alice.ok(
        "create_room",
        {
            "name": name,
            "policy": "random",
            "seed": 2,
            "agents": 4,
            "config": {"world": {"max_energy": 12, "charge_rate": 0}},
        },
    )
    page = open_room(pages, name)
    state: dict[str, Any] = {}
    for _ in range(200):
        tick = alice.ok("step_game", {"room": name})["tick"]
        state = alice.ok("get_state", {"room": name})["state"]
        energies = [a["energy"] for a in state["agents"]]
        if 0 in energies and any(energies):
            break
    else:
        raise AssertionError("no agent ran out of energy while another had some")
    wait_page_tick(page, tick)
    for agent in state["agents"]:
        row = f"#agents-body tr[data-agent='{agent['id']}']"
        doing = text(page, f"{row} td.doing")
        if agent["energy"] == 0:
            assert doing == "out of energy" and "stranded" in page.get_attribute(row, "class")
            continue
        assert doing != "out of energy"
        goal = agent.get("goal")
        if goal is not None:  # the Snapshot carries each agent's goal (issue 16's "board" part)
            assert {"resource": "resource", "factory": "factory", "charger": "charg"}[goal] in doing, (
                goal,
                doing,
            )
    assert page.get_attribute("#agents-body td.doing", "data-label") == "Doing"
    # The world in words for screen readers: the same words, in a status region.
    summary = page.locator("#world-summary")
    assert summary.get_attribute("role") == "status"
    page.wait_for_function(
        "t => document.getElementById('world-summary').textContent.startsWith(`Tick ${t.toLocaleString('en-US')},`)",
        arg=tick,
        timeout=8000,
    )
    assert "out of energy" in summary.inner_text()


# ------------------------------------------------------------------ the event log


def log_items(page: Any) -> list[dict[str, str]]:
    return list(
        page.eval_on_selector_all(
            "#log li[data-kind]",
            """els => els.map(e => ({ kind: e.dataset.kind, tick: e.dataset.tick, agent: e.dataset.agent,
                time: e.querySelector('.t').textContent, text: e.querySelector('.what').textContent }))""",
        )
    )


def test_the_event_log_stamps_ticks_separates_episodes_and_filters(pages: Any, alice: Client) -> None:
    name = room_name("Log")
    alice.ok("create_room", {"name": name, "policy": "heuristic", "seed": 3, "agents": 3})
    for _ in range(30):
        alice.ok("step_game", {"room": name})
    page = open_room(pages, name)
    assert text(page, "#log-title") == "Event log" and page.get_attribute("#log-box", "role") == "log"
    early = [i for i in log_items(page) if i["kind"] == "action"]
    assert early, "a heuristic room picks within 30 ticks"
    assert all(i["time"] == "" and int(i["tick"]) <= 30 for i in early)  # before joining: the tick only

    for _ in range(20):
        alice.ok("step_game", {"room": name})
    ended_at = alice.ok("reset_game", {"room": name})["tick"]
    for _ in range(30):
        last = alice.ok("step_game", {"room": name})["tick"]
    wait_page_tick(page, last)
    page.wait_for_selector("#log li.log-episode")
    items = log_items(page)
    ticks = [int(i["tick"]) for i in items]
    assert ticks == sorted(ticks, reverse=True)
    dividers = [i for i in items if i["kind"] == "episode"]
    assert len(dividers) == 1 and int(dividers[0]["tick"]) == ended_at
    assert re.fullmatch(r"Episode \d+ ended: reset, \d+ products?", dividers[0]["text"]), dividers[0]
    live = [i for i in items if i["kind"] == "action" and int(i["tick"]) > 30]
    assert live and all(re.fullmatch(r"\d\d:\d\d:\d\d", i["time"]) for i in live)
    assert all(i["text"].startswith(f"agent {i['agent']} ") for i in items if i["kind"] == "action")
    shown = page.eval_on_selector_all(
        "#log li[data-kind]", "els => els.map(e => e.querySelector('.tick').textContent)"
    )
    assert all(re.fullmatch(r"t [\d,]+", t) for t in shown)

    # One agent's lines (the episodes' dividers stay), then the room's events only.
    agents = {i["agent"] for i in items if i["kind"] == "action"}
    one = sorted(agents)[0]
    page.select_option("#log-filter", one)
    page.wait_for_function(
        "a => [...document.querySelectorAll('#log li[data-kind=action]')].every(e => e.dataset.agent === a)",
        arg=one,
    )
    filtered = log_items(page)
    assert {i["agent"] for i in filtered if i["kind"] == "action"} == {one}
    assert any(i["kind"] == "episode" for i in filtered)
    page.select_option("#log-filter", "room")
    page.wait_for_function("() => !document.querySelector('#log li[data-kind=action]')")
    page.select_option("#log-filter", "all")
    page.wait_for_selector("#log li[data-kind=action]")

    # Someone who opens the page later sees the same lines (those the room's Snapshot still holds),
    # the past ones by tick only, and the room's recent events with their times.
    later = open_room(pages, name, user="bob")
    later.wait_for_selector("#log li.log-episode")

    def world_lines(items: list[dict[str, str]]) -> list[tuple[str, str]]:
        return [(i["tick"], i["text"]) for i in items if i["kind"] != "room"]

    theirs = world_lines(log_items(later))
    assert theirs and theirs == world_lines(log_items(page))[: len(theirs)]
    assert all(i["time"] == "" for i in log_items(later) if i["kind"] == "action")
    stepped = [i for i in log_items(later) if i["kind"] == "room" and i["text"] == "alice stepped one tick"]
    assert stepped and all(re.fullmatch(r"\d\d:\d\d:\d\d", i["time"]) for i in stepped)


def test_room_events_appear_in_words_for_everyone(pages: Any, alice: Client) -> None:
    name = room_name("Shared")
    alice.ok("create_room", {"name": name, "policy": "heuristic", "seed": 7})
    owner = open_room(pages, name)
    owner.wait_for_selector("#my-role:text('owner')")
    watcher = open_room(pages, name, user="bob")
    owner.wait_for_function(
        "() => [...document.querySelectorAll('#log li.log-room')].some(e => e.textContent.includes('bob joined'))"
    )
    owner.click("#btn-start")
    watcher.wait_for_function(
        "() => [...document.querySelectorAll('#log li.log-room')].some(e => e.textContent.includes('alice started the room'))"
    )
    owner.click("#btn-stop")
    watcher.wait_for_function(
        "() => [...document.querySelectorAll('#log li.log-room')].some(e => e.textContent.includes('alice stopped the room'))"
    )
    started = watcher.locator("#log li.log-room", has_text="alice started the room")
    assert re.fullmatch(r"\d\d:\d\d:\d\d", started.locator(".t").inner_text())
    # Announced to screen readers (politely, a few at a time), unlike the picks and drops.
    watcher.wait_for_function(
        "() => document.getElementById('log-announce').textContent.includes('alice stopped the room')"
    )
    assert watcher.get_attribute("#log-announce", "aria-live") == "polite"
    assert "pick" not in watcher.inner_text("#log-announce")
    # A page that joins later has them from the join's recent events.
    late = open_room(pages, name, user="carol")
    late.wait_for_selector("#log li.log-room:has-text('alice started the room')")


# ------------------------------------------------------------------ the inspector


def inspector_ticks(page: Any) -> dict[str, Any]:
    return dict(
        page.evaluate("""() => { const h = document.getElementById('inspect-tick');
            return { tick: h && h.dataset.tick, board: h && h.dataset.board, text: h ? h.textContent : '',
                     stat: document.getElementById('stat-tick').textContent,
                     probs: !!document.getElementById('probs'), body: document.getElementById('inspector-body').textContent }; }""")
    )


def test_the_inspector_shows_one_ticks_figures_and_forgets_a_reset(pages: Any, alice: Client) -> None:
    name = room_name("Inspect tick")
    alice.ok("create_room", {"name": name, "policy": "learning", "seed": 5, "speed": "max"})
    page = open_room(pages, name)
    alice.ok("start_game", {"room": name})
    page.click("#agents-body tr[data-agent='0']")
    page.wait_for_selector("#inspect-tick[data-tick]")
    assert "discounted reward" in text(page, "#value-means")
    seen = 0
    for _ in range(25):
        shown = inspector_ticks(page)
        if shown["tick"]:
            seen += 1
            assert shown["board"] == shown["stat"]  # the board's tick, as the stats show it
            board = int(shown["board"])
            if shown["tick"] == shown["board"]:
                assert "as on the board" in shown["text"]
            else:
                assert f"(board at tick {board:,})" in shown["text"], shown
        page.wait_for_timeout(80)
    assert seen >= 10
    stopped = alice.ok("stop_game", {"room": name})["tick"]
    wait_page_tick(page, stopped)
    page.wait_for_function(
        "t => document.getElementById('inspect-tick').dataset.tick === String(t)", arg=stopped
    )
    assert "as on the board" in inspector_ticks(page)["text"]
    # Of the board's tick, the decision is the action the table shows.
    chosen = page.evaluate(
        "() => [...document.querySelectorAll('#inspector-body dt')]"
        ".find(d => d.textContent === 'Chosen action').nextElementSibling.textContent"
    )
    assert chosen == text(page, "#agents-body tr[data-agent='0'] td:last-child")

    # A reset: no stale decision from the episode before; the next tick brings one.
    alice.ok("reset_game", {"room": name})
    page.wait_for_function(
        "() => document.getElementById('inspector-body').textContent.includes('No decision yet')"
    )
    assert not inspector_ticks(page)["probs"]
    after = alice.ok("step_game", {"room": name})["tick"]
    page.wait_for_function(
        "t => document.getElementById('inspect-tick').dataset.tick === String(t)", arg=after
    )
    assert inspector_ticks(page)["probs"]


def test_a_scripted_rooms_inspector_says_so(pages: Any, alice: Client) -> None:
    name = room_name("Inspect scripted")
    alice.ok("create_room", {"name": name, "policy": "heuristic", "seed": 6})
    alice.ok("step_game", {"room": name})
    page = open_room(pages, name)
    page.click("#agents-body tr[data-agent='1']")
    page.wait_for_selector("#inspect-tick[data-tick]")
    body = text(page, "#inspector-body")
    assert "scripted (heuristic)" in body and "Chosen action" in body and "Doing" in body
    assert not inspector_ticks(page)["probs"]
    assert "Value estimate" not in body
