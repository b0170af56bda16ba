"""The web client in real Chromium against a real ``simrooms serve`` (see conftest.py)."""

from __future__ import annotations

import functools
import time
from typing import Any

import pytest
import requests

from tests.support.browser import PHONE, TcpProxy
from tests.support.server import PASSWORD, Client, Server
from tests.support.server import room_name as unique_name

pytestmark = pytest.mark.browser
room_name = functools.partial(unique_name, sep=" ")
"""Room names with a space, as people type them (the page quotes them in its URLs)."""


def tick(page: Any) -> int:
    text = page.inner_text("#stat-tick").strip()
    return int(text) if text.isdigit() else -1


def wait_tick(page: Any, above: int, timeout: float = 15000) -> int:
    page.wait_for_function(
        "n => /^\\d+$/.test(document.getElementById('stat-tick').textContent) && "
        "Number(document.getElementById('stat-tick').textContent) > n",
        arg=above,
        timeout=timeout,
    )
    return tick(page)


def wait_connected(page: Any) -> None:
    page.wait_for_selector("#conn[data-state=connected]")


def canvas_pixels(page: Any) -> str:
    return str(page.evaluate("document.getElementById('board').toDataURL()"))


def server_world(server: Server, name: str, serializer: str = "default") -> dict[str, Any]:
    """The room's state as the server has it (get_state on a socket of our own), without the
    fields a page sets itself (room, running, speed)."""
    client = Client(server.url, token=server.token("root"), serializer=serializer)
    try:
        state = client.ok("get_state", {"room": name})["state"]
    finally:
        client.close()
    return world_of(state)


def world_of(state: dict[str, Any]) -> dict[str, Any]:
    return {
        key: state[key] for key in ("tick", "episode", "width", "height", "grid", "agents", "stats", "log")
    }


def create_room_in_lobby(page: Any, name: str, policy: str = "heuristic", speed: str = "1") -> None:
    """Fill the lobby's form and create the room; the page moves to the room."""
    wait_connected(page)
    page.fill("#room-name", name)
    page.select_option("select[name=policy]", policy)
    page.fill("input[name=speed]", speed)
    page.click("#create-button")
    page.wait_for_url("**/rooms/**")
    wait_connected(page)
    page.wait_for_selector("#my-role:text('owner')")


def test_login_create_start_tick_advances_and_canvas_changes(pages: Any) -> None:
    page = pages.open("alice")
    assert page.locator("#conn").get_attribute("data-state") in ("connecting", "connected")
    name = room_name("Run")
    create_room_in_lobby(page, name)
    assert page.inner_text("#room-title") == name
    start = wait_tick(page, -1)
    before = canvas_pixels(page)
    assert page.is_enabled("#btn-start") and page.is_enabled("#btn-step")

    page.click("#btn-start")
    page.wait_for_selector("#run-state:text('running')")
    later = wait_tick(page, start + 5)
    assert later > start
    page.wait_for_function("before => document.getElementById('board').toDataURL() !== before", arg=before)
    assert page.is_disabled("#btn-start") and page.is_disabled("#btn-step")
    # Redrawing repaints changed cells only: far fewer than 400 per update.
    repaint = page.evaluate("""async () => {
        const b = window.simrooms.board; const t0 = Number(document.getElementById('stat-tick').textContent);
        const c0 = b.cellsRepainted; await new Promise(r => setTimeout(r, 1000));
        const t1 = Number(document.getElementById('stat-tick').textContent);
        return [b.cellsRepainted - c0, t1 - t0]; }""")
    cells, ticks = repaint
    assert ticks >= 3 and cells < 60 * ticks, repaint

    # Keyboard: space stops, s steps one tick, space starts again.
    page.locator("body").click(position={"x": 5, "y": 700})
    page.keyboard.press(" ")
    page.wait_for_selector("#run-state:text('stopped')")
    page.wait_for_function("() => !document.getElementById('btn-step').disabled")
    stopped = tick(page)
    page.keyboard.press("s")
    assert wait_tick(page, stopped) == stopped + 1
    page.keyboard.press(" ")
    page.wait_for_selector("#run-state:text('running')")

    # Speed: 5x and turbo keep the page up to date (it drops stale frames, never lags behind).
    page.eval_on_selector("#speed", "(el) => { el.value = '5'; el.dispatchEvent(new Event('change')); }")
    page.wait_for_selector("#speed-out:text('5.0×')")
    page.check("#turbo")
    page.wait_for_selector("#speed-out:text('max')")
    wait_tick(page, tick(page) + 100, timeout=30000)
    assert pages.server.room_info(name)["speed"] == "max"
    page.click("#btn-stop")
    page.wait_for_selector("#run-state:text('stopped')")
    page.wait_for_timeout(300)
    assert tick(page) == pages.server.room_info(name)["tick"]
    # The page rebuilt the state from deltas (rewards and stats as changes) to the very figures.
    assert world_of(page.evaluate("window.simrooms.view.state")) == server_world(pages.server, name)
    # The event log is newest first and bounded.
    log_ticks = page.eval_on_selector_all(
        "#log li[data-kind=action]", "els => els.map(e => Number(e.dataset.tick))"
    )
    assert log_ticks == sorted(log_ticks, reverse=True) and 0 < len(log_ticks) <= 120


def test_observer_sees_the_same_tick_and_gains_control(pages: Any) -> None:
    owner = pages.open("alice")
    name = room_name("Shared")
    create_room_in_lobby(owner, name)
    owner.click("#btn-start")
    wait_tick(owner, 3)

    observer = pages.open("bob")
    observer.goto(f"/rooms/{name}")
    wait_connected(observer)
    observer.wait_for_selector("#my-role:text('observer')")
    wait_tick(observer, 0)
    for button in ("#btn-start", "#btn-stop", "#btn-step", "#btn-reset", "#speed", "#turbo"):
        assert observer.is_disabled(button), button
    note = observer.inner_text("#control-note")
    assert "observer" in note and "alice" in note
    # Both watch the same ticks: within one update (one tick at speed 1) of each other.
    diffs = []
    for _ in range(5):
        a, b = tick(owner), tick(observer)
        diffs.append(abs(a - b))
        time.sleep(0.15)
    assert min(diffs) <= 1 and max(diffs) <= 2, diffs
    owner.wait_for_selector("#presence li[data-user=bob]")
    # The observer's keys do nothing.
    observer.keyboard.press(" ")
    observer.wait_for_timeout(300)
    assert owner.text_content("#run-state") == "running"

    owner.click("#btn-stop")
    owner.wait_for_selector("#run-state:text('stopped')")
    observer.wait_for_selector("#run-state:text('stopped')")
    observer.wait_for_function(
        "t => document.getElementById('stat-tick').textContent === String(t)", arg=tick(owner)
    )

    # The owner grants control from the presence list; the observer's controls work.
    owner.click("#presence li[data-user=bob] button:text('Grant control')")
    observer.wait_for_selector("#my-role:text('controller')")
    observer.wait_for_function("() => !document.getElementById('btn-step').disabled")
    assert observer.is_hidden("#control-note")
    stopped = tick(owner)
    observer.click("#btn-step")
    assert wait_tick(owner, stopped) == stopped + 1
    observer.click("#btn-start")
    owner.wait_for_selector("#run-state:text('running')")
    owner.wait_for_selector("#presence li[data-user=bob] button:text('Revoke')")

    # Revoking takes the controls back.
    owner.click("#presence li[data-user=bob] button:text('Revoke')")
    observer.wait_for_selector("#my-role:text('observer')")
    observer.wait_for_function("() => document.getElementById('btn-stop').disabled")


def test_lost_socket_shows_disconnected_then_reconnects_and_resyncs(pages: Any, web_server: Server) -> None:
    proxy = TcpProxy(web_server.port)
    # The browser notes the refused connections while the socket is down; nothing else may fail.
    pages.allow(
        r"ERR_CONNECTION_(REFUSED|RESET|CLOSED)|ERR_EMPTY_RESPONSE|WebSocket connection to .* failed|"
        r"Failed to load resource"
    )
    try:
        page = pages.open("alice", base_url=proxy.url)
        name = room_name("Flaky")
        create_room_in_lobby(page, name)
        page.click("#btn-start")
        before = wait_tick(page, 5)

        page.evaluate("window.__marker = 42")
        assert proxy.cut(refuse_seconds=2.5) >= 1
        page.wait_for_selector("#conn[data-state=disconnected]", timeout=5000)
        assert "disconnected" in page.inner_text("#conn")
        page.wait_for_function("() => document.getElementById('btn-stop').disabled")  # on the next frame
        page.wait_for_selector("#conn[data-state=connected]", timeout=20000)
        # Same document (no reload), and the tick goes on from the server's current one.
        assert page.evaluate("window.__marker") == 42
        now = wait_tick(page, before + 25, timeout=20000)
        server_tick = web_server.room_info(name)["tick"]
        assert abs(server_tick - now) <= 5, (server_tick, now)
        page.wait_for_function("() => !document.getElementById('btn-stop').disabled")
        page.click("#btn-stop")
        page.wait_for_selector("#run-state:text('stopped')")
        page.wait_for_timeout(300)
        assert tick(page) == web_server.room_info(name)["tick"]
    finally:
        proxy.close()


def test_server_restart_page_reconnects_without_reload(pages: Any, web_server: Server) -> None:
    """A restarted server brings its stored rooms back: the lobby reconnects without a reload
    and lists them, each at the tick it had."""
    pages.allow(
        r"ERR_CONNECTION_(REFUSED|RESET|CLOSED)|ERR_EMPTY_RESPONSE|WebSocket connection to .* failed|"
        r"Failed to load resource"
    )
    client = Client(web_server.url, token=web_server.token("alice"))
    name = room_name("Lasting")
    try:
        client.ok("create_room", {"name": name, "policy": "heuristic", "seed": 5})
        for _ in range(7):
            client.ok("step_game", {"room": name})
    finally:
        client.close()
    page = pages.open("alice")
    wait_connected(page)
    page.wait_for_selector(f"#rooms-body tr[data-room='{name}']")
    page.evaluate("window.__marker = 42")
    web_server.stop()
    page.wait_for_selector("#conn[data-state=disconnected]", timeout=10000)
    web_server.start()
    page.wait_for_selector("#conn[data-state=connected]", timeout=30000)
    assert page.evaluate("window.__marker") == 42
    row = page.locator(f"#rooms-body tr[data-room='{name}']")
    row.wait_for()
    assert row.locator("td.num.mono").inner_text() == "7"
    assert "stopped" in row.text_content()
    # A fresh page lists it too.
    fresh = pages.open("bob")
    fresh.wait_for_selector(f"#rooms-body tr[data-room='{name}']")


def test_create_form_shows_the_servers_errors(pages: Any) -> None:
    page = pages.open("alice")
    wait_connected(page)
    name = room_name("Taken")
    page.fill("#room-name", name)
    page.click("#create-button")
    page.wait_for_url("**/rooms/**")
    page.goto("/")
    wait_connected(page)
    page.wait_for_selector(f"#rooms-body tr[data-room='{name}']")

    page.fill("#room-name", name.upper())
    page.click("#create-button")
    error = page.locator("[data-field=name] .field-error")
    error.wait_for(state="visible")
    assert "taken" in error.inner_text()
    assert page.locator("[data-field=name]").get_attribute("class").endswith("invalid")
    assert page.url.rstrip("/").endswith(str(pages.server.port))

    # Numbers out of range get a readable sentence next to their field, and nothing is sent.
    page.fill("#room-name", room_name("Fine"))
    page.fill("input[name=agents]", "9")
    page.click("#create-button")
    agents_error = page.locator("[data-field=agents] .field-error")
    agents_error.wait_for(state="visible")
    assert agents_error.inner_text() == "Agents must be 1 to 8."
    assert page.locator("[data-field=name] .field-error").is_hidden()
    assert page.url.rstrip("/").endswith(str(pages.server.port))
    # Others get the server's sentence next to their field.
    page.fill("input[name=agents]", "4")
    page.fill("#room-name", " padded")
    page.click("#create-button")
    page.locator("[data-field=name] .field-error").wait_for(state="visible")


def test_lobby_lists_rooms_live(pages: Any) -> None:
    watcher = pages.open("bob")
    wait_connected(watcher)
    maker = pages.open("alice")
    name = room_name("Live")
    create_room_in_lobby(maker, name)
    row = watcher.locator(f"#rooms-body tr[data-room='{name}']")
    row.wait_for()
    assert "stopped" in row.text_content() and "alice" in row.text_content()
    maker.click("#btn-start")
    watcher.wait_for_selector(f"#rooms-body tr[data-room='{name}'] .badge-running")
    row.locator("a:text('Join')").click()
    watcher.wait_for_url("**/rooms/**")
    watcher.wait_for_selector("#my-role:text('observer')")


def test_inspector_shows_view_and_probabilities(pages: Any) -> None:
    page = pages.open("alice")
    name = room_name("Inspect")
    create_room_in_lobby(page, name, policy="learning")
    page.click("#btn-start")
    wait_tick(page, 3)
    before = canvas_pixels(page)
    box = page.evaluate("""() => { const s = window.simrooms.view.state; const a = s.agents[1];
        const r = document.getElementById('board-overlay').getBoundingClientRect();
        return [r.left + (a.x + 0.5) * r.width / s.width, r.top + (a.y + 0.5) * r.height / s.height]; }""")
    page.mouse.click(box[0], box[1])
    page.wait_for_selector("#inspect-badge:text('agent 1')")
    page.wait_for_selector("#probs .prob")
    assert page.locator("#probs .prob").count() == 7
    probabilities = page.eval_on_selector_all("#probs .p", "els => els.map(e => Number(e.textContent))")
    assert abs(sum(probabilities) - 1.0) < 0.05
    assert page.locator("#probs .prob.chosen").count() == 1
    first = page.evaluate("window.simrooms.view.inspect.tick")
    page.wait_for_function(
        "t => window.simrooms.view.inspect && window.simrooms.view.inspect.tick > t", arg=first
    )
    overlay = page.evaluate("""() => { const c = document.getElementById('board-overlay');
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        let n = 0; for (let i = 3; i < d.length; i += 4) if (d[i]) n++; return n; }""")
    assert overlay > 0
    assert page.locator("#agents-body tr[data-agent='1']").get_attribute("class") == "selected"
    page.keyboard.press("Escape")
    page.wait_for_selector("#inspect-badge", state="hidden")
    assert canvas_pixels(page) != before


def test_admin_page_and_its_api(pages: Any, web_server: Server) -> None:
    owner = pages.open("alice")
    name = room_name("Admin")
    create_room_in_lobby(owner, name)
    owner.click("#btn-start")
    wait_tick(owner, 3)
    admin = pages.open("root", "/admin")
    row = admin.locator(f"#admin-rooms-body tr[data-room='{name}']")
    row.wait_for()
    admin.wait_for_function(
        "name => { const r = document.querySelector(`#admin-rooms-body tr[data-room='${name}']`);"
        " return r && /\\d+(\\.\\d)? \\/ 10\\.0/.test(r.textContent); }",
        arg=name,
        timeout=15000,
    )
    assert "alice" in admin.inner_text("#admin-users-body")
    admin.once("dialog", lambda dialog: dialog.accept())
    row.locator("button:text('Stop')").click()
    owner.wait_for_selector("#run-state:text('stopped')")
    admin.once("dialog", lambda dialog: dialog.accept())
    row.locator("button:text('Delete')").click()
    owner.wait_for_selector("#room-gone:has-text('deleted')")
    row.wait_for(state="detached")

    pages.allow(r"bob-\d+: console error: Failed to load resource: .*403")  # the 403 page itself
    plain = pages.open("bob")
    assert plain.goto("/admin").status == 403
    assert requests.get(web_server.url + "/api/admin/rooms", timeout=10).status_code == 401
    headers = {"Authorization": f"Bearer {web_server.token('bob')}"}
    assert requests.get(web_server.url + "/api/admin/rooms", headers=headers, timeout=10).status_code == 403


def test_phone_layout_fits_and_works(pages: Any) -> None:
    page = pages.open("alice", viewport=PHONE)
    wait_connected(page)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    name = room_name("Phone")
    create_room_in_lobby(page, name)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    board = page.locator("#board").bounding_box()
    assert (
        board and board["width"] >= 300 and board["x"] >= 0 and board["x"] + board["width"] <= PHONE["width"]
    )
    page.click("#btn-start")
    page.wait_for_selector("#run-state:text('running')")
    wait_tick(page, 3)


def test_logging_out_elsewhere_signs_the_page_out(pages: Any) -> None:
    page = pages.open("alice")
    name = room_name("Bye")
    create_room_in_lobby(page, name)
    other = page.context.new_page()
    other.goto("/")
    other.wait_for_selector("#conn[data-state=connected]")
    other.click(".logout-form button")
    other.wait_for_url("**/login")
    page.wait_for_selector("#conn[data-state=signed-out]", timeout=15000)
    page.wait_for_selector("#signed-out-banner a[href^='/login?next=']")
    assert page.is_disabled("#btn-start")


def test_signed_out_pages_redirect_to_login(pages: Any) -> None:
    page = pages.open(None, "/rooms/Anything")
    assert "/login" in page.url
    assert page.locator("input[name=username]").count() == 1
    assert page.locator("input[name=password]").count() == 1
    assert page.locator("input[name=csrf_token]").count() == 1
    page.fill("input[name=username]", "alice")
    pages.allow(r"anonymous-0: console error: Failed to load resource: .*401")  # the refused login's page
    page.fill("input[name=password]", "wrong password")
    page.click("button[type=submit]")
    assert "Wrong user name or password" in page.inner_text("#login-error")
    page.fill("input[name=username]", "alice")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    pages.allow(r"anonymous-0: console error: Failed to load resource: .*404")  # no room 'Anything'
    page.wait_for_url("**/rooms/Anything")
    page.wait_for_selector(".error-page:has-text(\"There is no room named 'Anything' (or it is private).\")")


def test_the_page_speaks_msgpack_when_the_server_does(msgpack_pages: Any) -> None:
    page = msgpack_pages.open("alice")
    scripts = page.evaluate("[...document.scripts].map(s => s.src).filter(Boolean)")
    assert any("socket.io.msgpack" in src for src in scripts), scripts
    name = room_name("Packed")
    create_room_in_lobby(page, name)
    start = wait_tick(page, -1)
    page.click("#btn-start")
    page.wait_for_selector("#run-state:text('running')")
    assert wait_tick(page, start + 5) > start
    page.click("#btn-stop")
    page.wait_for_selector("#run-state:text('stopped')")
    page.wait_for_timeout(300)
    assert tick(page) == msgpack_pages.server.room_info(name)["tick"]
    assert world_of(page.evaluate("window.simrooms.view.state")) == server_world(
        msgpack_pages.server, name, "msgpack"
    )
