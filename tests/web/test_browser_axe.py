"""Accessibility and phones on every page, in Chromium: axe-core (vendored, tests/web/vendor)
finds no serious or critical violation at desktop and phone sizes; at 375 x 740 no page scrolls
sideways, buttons, toolbar links, checkboxes and ranges are 44 x 44 px at least, and the room page
puts its charts before its log.

One server for the module, with sign-up on (so the sign-up page is checked too), and a room of
each policy, a sweep and two rooms to compare."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.support.browser import DESKTOP, PageSet
from tests.support.server import Client, Server, room_name
from tests.web.conftest import WEB_ENV

pytestmark = pytest.mark.browser
AXE = (Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js").read_text()
AXE_URL = "/__test__/axe.min.js"
"""Where the page loads axe from: a route of the test's browser context (the server never
serves it), same-origin so that the pages' Content-Security-Policy lets it run."""
PHONE = {"width": 375, "height": 740}
SIZES = {"desktop": DESKTOP, "phone": PHONE}
REFUSED = ("serious", "critical")
STEPS = {"learning": 3, "heuristic": 150, "random": 3}
"""Ticks each room is stepped: the heuristic room's log is long enough to scroll."""


@pytest.fixture(scope="module")
def web_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """This module's server (it replaces conftest's): sign-up on, so /signup is a page."""
    server = Server(
        tmp_path_factory.mktemp("web-axe"), {**WEB_ENV, "SIMROOMS_ALLOW_SIGNUP": "1"}, warmup=True
    )
    yield server
    server.stop()


@dataclass(frozen=True)
class Site:
    """What the module's pages show: a stopped room of each policy stepped STEPS ticks, a sweep."""

    rooms: dict[str, str]
    sweep: str


@pytest.fixture(scope="module")
def site(web_server: Server) -> Iterator[Site]:
    client = Client(web_server.url, token=web_server.token("alice"))
    rooms = {}
    for policy in ("learning", "heuristic", "random"):
        name = room_name(policy.capitalize(), sep=" ")
        client.ok("create_room", {"name": name, "policy": policy, "agents": 8, "seed": 2})
        for _ in range(STEPS[policy]):
            client.ok("step_game", {"room": name})
        rooms[policy] = name
    sweep = room_name("sweep")
    client.ok(
        "create_sweep",
        {"name": sweep, "room": {"agents": 2, "policy": "heuristic", "speed": 5}, "seeds": [1, 2]},
    )
    yield Site(rooms, sweep)
    client.close()


@dataclass(frozen=True)
class Visit:
    """A page to check: who opens it, where, and what shows that it is ready."""

    label: str
    user: str | None
    path: str
    ready: str
    status: int = 200


def visits(site: Site) -> list[Visit]:
    rooms = [
        Visit(
            f"room ({policy})",
            "alice",
            f"/rooms/{name}",
            f"#stat-tick:text-is('{STEPS[policy]}')",
        )
        for policy, name in site.rooms.items()
    ]
    compared = "&".join(f"rooms={name}" for name in site.rooms.values())
    return [
        Visit("lobby", "alice", "/", "#rooms-body tr[data-room]"),
        *rooms,
        Visit("login", None, "/login", "#login-form"),
        Visit("signup", None, "/signup", "input[name=password2]"),
        Visit("admin", "root", "/admin", "#admin-rooms-body tr:not(.empty-row)"),
        Visit("tokens", "alice", "/tokens", "#tokens-table"),
        Visit("sweep", "alice", f"/sweeps/{site.sweep}", "body[data-sweep=loaded]"),
        Visit("compare", "alice", f"/compare?{compared}", "#charts[data-loaded]"),
        Visit("404 page", "alice", "/no/such/page", ".error-page", 404),
        Visit("403 page", "alice", "/admin", ".error-page", 403),
        Visit("unknown room", "alice", "/rooms/No such room", ".error-page", 404),
    ]


def browse(pages: PageSet, site: Site, viewport: dict[str, int]) -> Iterator[tuple[Visit, Any]]:
    """Each visit's page, loaded and ready (one signed-in page per user, going from one to the next)."""
    pages.allow(r"Failed to load resource: the server responded with a status of 40[34]")
    opened: dict[str | None, Any] = {}
    for visit in visits(site):
        page = opened.get(visit.user)
        if page is None:
            page = opened[visit.user] = pages.open(visit.user, "/", viewport)
            page.route(f"**{AXE_URL}", lambda route: route.fulfill(body=AXE, content_type="text/javascript"))
        answer = page.goto(visit.path)
        assert answer is not None and answer.status == visit.status, (visit, answer and answer.status)
        page.wait_for_selector(visit.ready, state="attached")
        if page.locator("#conn").count():
            page.wait_for_selector("#conn[data-state=connected]")
        yield visit, page


def violations(page: Any) -> list[dict[str, Any]]:
    """axe-core's violations on `page`: id, impact, help and each node's target."""
    page.add_script_tag(url=AXE_URL)
    found: list[dict[str, Any]] = page.evaluate(
        """async () => {
            const result = await window.axe.run(document, { resultTypes: ["violations"] });
            return result.violations.map((v) => ({
                id: v.id, impact: v.impact, help: v.help,
                targets: v.nodes.map((n) => n.target.join(" ")),
                summary: v.nodes.slice(0, 2).map((n) => n.failureSummary),
            }));
        }"""
    )
    return found


@pytest.mark.parametrize("size", SIZES)
def test_axe_finds_no_serious_violation_on_any_page(pages: PageSet, site: Site, size: str) -> None:
    report: list[str] = []
    refused = 0
    for visit, page in browse(pages, site, SIZES[size]):
        for v in violations(page):
            refused += v["impact"] in REFUSED
            report.append(f"{visit.label} ({size}): {v['impact']} {v['id']}: {v['help']}")
            report.extend(f"    {target}" for target in v["targets"][:8])
            report.extend(f"    {line}" for s in v["summary"] for line in s.splitlines())
    print("\n".join(report) or f"axe: no violations at {size} size")
    assert not refused, "axe-core found serious or critical violations:\n" + "\n".join(report)


TOO_WIDE = """() => [...document.querySelectorAll("body *")]
    .filter((node) => node.getBoundingClientRect().right > window.innerWidth + 1
        && !(node.parentElement && node.parentElement.getBoundingClientRect().right > window.innerWidth + 1))
    .slice(0, 8)
    .map((node) => `${node.tagName.toLowerCase()}#${node.id}.${node.className} ends at ${node.getBoundingClientRect().right.toFixed(0)} px`)"""
"""The outermost elements that reach past the window's right edge."""

SMALL_TARGETS = """() => {
    const small = [];
    const targets = document.querySelectorAll(
        "button, .btn, .topnav a, input[type=checkbox], input[type=range], select, summary");
    for (const node of targets) {
        // A checkbox in a label is tapped through its label.
        const target = node.matches(".check input[type=checkbox]") ? node.closest("label") : node;
        const box = target.getBoundingClientRect();
        if (!box.width || !box.height || target.closest("[hidden], .sr-only")) continue;
        if (box.width < 43.5 || box.height < 43.5) {
            small.push(`${target.tagName.toLowerCase()}#${target.id}.${target.className} ` +
                `'${(target.textContent || "").trim().slice(0, 20)}' ${box.width.toFixed(0)}x${box.height.toFixed(0)}`);
        }
    }
    return small;
}"""


def test_on_a_phone_pages_fit_targets_are_44px_and_charts_come_before_the_log(
    pages: PageSet, site: Site
) -> None:
    problems: list[str] = []
    for visit, page in browse(pages, site, PHONE):
        width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
        if width[0] > width[1]:
            problems.append(f"{visit.label}: the page is {width[0]} px wide in a {width[1]} px window")
            problems.extend(f"    {wide}" for wide in page.evaluate(TOO_WIDE))
        problems.extend(f"{visit.label}: small target {t}" for t in page.evaluate(SMALL_TARGETS))
        if visit.label.startswith("room"):
            charts = page.locator("#charts").bounding_box()
            log = page.locator("#log").bounding_box()
            assert charts and log and charts["y"] < log["y"], (visit.label, charts, log)
            cards = page.evaluate(
                "[...document.querySelectorAll('#agents-body tr')].map((tr) => getComputedStyle(tr).display)"
            )
            assert cards and set(cards) == {"grid"}, (visit.label, cards)
            assert page.evaluate(
                "getComputedStyle(document.querySelector('.agents-table thead')).position"
            ) == ("absolute")
    assert not problems, "\n".join(problems)


def test_the_connection_state_is_a_live_region(pages: PageSet, site: Site) -> None:
    for visit, page in browse(pages, site, DESKTOP):
        if page.locator("#conn").count():
            assert page.get_attribute("#conn", "role") == "status", visit.label
            assert page.inner_text("#conn") == "connected", visit.label


def test_the_vendored_axe_is_the_pinned_release() -> None:
    versions = (Path(__file__).parent / "vendor" / "VERSIONS").read_text()
    assert AXE.startswith("/*! axe v4.14.1\n") and "Deque Systems" in AXE[:200]
    assert "npm axe-core 4.14.1" in versions
