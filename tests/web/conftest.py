"""Browser tests: a real ``simrooms serve``, Debian's Chromium driven by Playwright.

- ``web_server``: one ``simrooms serve`` per module on 127.0.0.1 and a free port, with its own
  data dir and the users made by ``simrooms user create`` (alice, bob, root the admin).
- ``browser``: one headless Chromium per session (``/usr/bin/chromium``; Playwright's own
  browsers cannot be downloaded here).
- ``pages``: ``pages.open(user, path)`` gives a signed-in page in a new context. Every page's
  console errors and uncaught exceptions are collected; the test fails on any not allowed with
  ``pages.allow(pattern)``. On failure each open page is saved as a screenshot under
  ``test-output/web/<test name>/`` (``SIMROOMS_TEST_OUTPUT`` moves ``test-output``).
- ``TcpProxy``: a TCP relay whose connections the tests can cut, to lose the socket.
"""

from __future__ import annotations

import contextlib
import os
import re
import select
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests

REPO = Path(__file__).resolve().parents[2]
PASSWORD = "password123"
USERS = {"alice": False, "bob": False, "root": True}
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}


def simrooms_command() -> list[str]:
    """The installed entry point, else the module (same code)."""
    script = Path(sys.executable).parent / "simrooms"
    return [str(script)] if script.exists() else [sys.executable, "-m", "server.cli"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class WebServer:
    """`simrooms serve` with its own data dir, on 127.0.0.1 and a free port."""

    def __init__(self, data_dir: Path, env: dict[str, str] | None = None) -> None:
        self.data_dir = data_dir
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = dict(os.environ)
        self.env.update(
            {
                "SIMROOMS_ENGINE_WARMUP": "1",
                "SIMROOMS_LOG_LEVEL": "WARNING",
                "SIMROOMS_RATE_LIMIT_PER_SECOND": "200",
                "SIMROOMS_RATE_LIMIT_BURST": "400",
                "SIMROOMS_LOGIN_ATTEMPTS_BURST": "200",
                "SIMROOMS_LOGIN_ATTEMPTS_PER_SECOND": "50",
            }
        )
        self.env.update(env or {})
        for name, admin in USERS.items():
            args = [*simrooms_command(), "user", "create", name, "--data-dir", str(data_dir), "--password-stdin"]
            if admin:
                args.append("--admin")
            done = subprocess.run(args, input=PASSWORD + "\n", cwd=REPO, env=self.env, capture_output=True, text=True, timeout=120)
            assert done.returncode == 0, done.stderr
        self.log_path = data_dir / "server.log"
        self.process: subprocess.Popen[bytes] | None = None
        self.start()

    def start(self) -> None:
        log = open(self.log_path, "a")  # noqa: SIM115
        self.process = subprocess.Popen(
            [*simrooms_command(), "serve", "--host", "127.0.0.1", "--port", str(self.port), "--data-dir", str(self.data_dir)],
            cwd=REPO, env=self.env, stdout=log, stderr=subprocess.STDOUT,
        )
        log.close()
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"simrooms serve exited with {self.process.returncode}:\n{self.log()}")
            with contextlib.suppress(requests.RequestException):
                if requests.get(self.url + "/healthz", timeout=1).status_code == 200:
                    return
            time.sleep(0.1)
        raise RuntimeError(f"simrooms serve did not answer:\n{self.log()}")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def log(self) -> str:
        return self.log_path.read_text() if self.log_path.exists() else ""

    def token(self, user: str) -> str:
        answer = requests.post(self.url + "/api/token", json={"username": user, "password": PASSWORD}, timeout=30)
        assert answer.status_code == 200, answer.text
        return str(answer.json()["token"])

    def room_info(self, name: str, user: str = "root") -> dict[str, Any]:
        """The room's RoomInfo from GET /api/rooms (an admin sees every room)."""
        headers = {"Authorization": f"Bearer {self.token(user)}"}
        rooms = requests.get(self.url + "/api/rooms", headers=headers, timeout=30).json()["rooms"]
        for info in rooms:
            if info["name"].lower() == name.lower():
                return dict(info)
        raise AssertionError(f"no room {name!r} in {rooms}")


@pytest.fixture(scope="module")
def web_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebServer]:
    server = WebServer(tmp_path_factory.mktemp("web"))
    yield server
    server.stop()


# ------------------------------------------------------------------ the browser


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is missing (apt-get install chromium)")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


def output_dir(item: pytest.Item) -> Path:
    base = Path(os.environ.get("SIMROOMS_TEST_OUTPUT") or REPO / "test-output")
    name = re.sub(r"[^A-Za-z0-9_.-]+", "-", item.nodeid.split("::", 1)[-1]).strip("-")
    return base / "web" / name


@dataclass
class PageSet:
    """Signed-in pages of one test, their console errors and what is allowed of them."""

    browser: Any
    server: WebServer
    base_url: str
    contexts: list[Any] = field(default_factory=list)
    pages: list[tuple[str, Any]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    allowed: list[re.Pattern[str]] = field(default_factory=list)

    def allow(self, pattern: str) -> None:
        """Console errors matching `pattern` (a regex) do not fail the test."""
        self.allowed.append(re.compile(pattern))

    def open(self, user: str | None, path: str = "/", viewport: dict[str, int] | None = None, base_url: str | None = None) -> Any:
        base = base_url or self.base_url
        context = self.browser.new_context(viewport=viewport or DESKTOP, base_url=base)
        context.set_default_timeout(15000)
        self.contexts.append(context)
        page = context.new_page()
        label = f"{user or 'anonymous'}-{len(self.pages)}"
        self.pages.append((label, page))
        page.on("console", lambda message: self._console(label, message))
        page.on("pageerror", lambda error: self.errors.append(f"{label}: uncaught {error}"))
        if user is not None:
            page.goto("/login")
            page.fill("input[name=username]", user)
            page.fill("input[name=password]", PASSWORD)
            page.click("button[type=submit]")
            page.wait_for_url(base + "/")
        if path != "/" or user is None:
            page.goto(path)
        return page

    def _console(self, label: str, message: Any) -> None:
        if message.type == "error":
            self.errors.append(f"{label}: console error: {message.text}")

    def unexpected_errors(self) -> list[str]:
        return [e for e in self.errors if not any(p.search(e) for p in self.allowed)]


@pytest.fixture
def pages(browser: Any, web_server: WebServer, request: pytest.FixtureRequest) -> Iterator[PageSet]:
    yield from _pages_of(browser, web_server, request)


@pytest.fixture(scope="module")
def msgpack_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebServer]:
    server = WebServer(tmp_path_factory.mktemp("web-msgpack"), env={"SIMROOMS_SERIALIZER": "msgpack"})
    yield server
    server.stop()


@pytest.fixture
def msgpack_pages(browser: Any, msgpack_server: WebServer, request: pytest.FixtureRequest) -> Iterator[PageSet]:
    """Pages of a server that speaks msgpack on the wire."""
    yield from _pages_of(browser, msgpack_server, request)


def _pages_of(browser: Any, web_server: WebServer, request: pytest.FixtureRequest) -> Iterator[PageSet]:
    """Signed-in pages against `web_server`; on failure or console errors, screenshots, the
    console and the server's log go to the test's output folder."""
    pageset = PageSet(browser, web_server, web_server.url)
    yield pageset
    failed = any(getattr(request.node, f"rep_{when}", None) is not None and getattr(request.node, f"rep_{when}").failed
                 for when in ("setup", "call"))
    unexpected = pageset.unexpected_errors()
    if failed or unexpected:
        folder = output_dir(request.node)
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True, exist_ok=True)
        for label, page in pageset.pages:
            with contextlib.suppress(Exception):
                page.screenshot(path=str(folder / f"{label}.png"), full_page=True)
        (folder / "console.txt").write_text("\n".join(pageset.errors) + "\n")
        (folder / "server.log").write_text(web_server.log())
        print(f"\nScreenshots of the failed test are in {folder}")
    for context in pageset.contexts:
        with contextlib.suppress(Exception):
            context.close()
    if unexpected:
        pytest.fail("Browser console errors:\n" + "\n".join(unexpected))


# ------------------------------------------------------------------ a cuttable TCP relay


class TcpProxy:
    """Relays 127.0.0.1:port to a target; ``cut(seconds)`` closes every connection and refuses
    new ones for a while: to the browser, the server's socket is gone."""

    def __init__(self, target_port: int) -> None:
        self.target = ("127.0.0.1", target_port)
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(64)
        self.port = int(self.listener.getsockname()[1])
        self.url = f"http://127.0.0.1:{self.port}"
        self._lock = threading.Lock()
        self._pairs: list[tuple[socket.socket, socket.socket]] = []
        self._refuse_until = 0.0
        self._closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self._closed:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            if time.monotonic() < self._refuse_until:
                client.close()
                continue
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            upstream.settimeout(None)
            with self._lock:
                self._pairs.append((client, upstream))
            threading.Thread(target=self._relay, args=(client, upstream), daemon=True).start()

    def _relay(self, a: socket.socket, b: socket.socket) -> None:
        sockets = [a, b]
        try:
            while True:
                ready, _, _ = select.select(sockets, [], [], 1.0)
                for s in ready:
                    data = s.recv(65536)
                    if not data:
                        return
                    (b if s is a else a).sendall(data)
        except OSError:
            return
        finally:
            for s in sockets:
                with contextlib.suppress(OSError):
                    s.close()
            with self._lock, contextlib.suppress(ValueError):
                self._pairs.remove((a, b))

    def cut(self, refuse_seconds: float) -> int:
        """Close every relayed connection now and refuse new ones for `refuse_seconds`."""
        self._refuse_until = time.monotonic() + refuse_seconds
        with self._lock:
            pairs, self._pairs = self._pairs, []
        for a, b in pairs:
            for s in (a, b):
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)
                with contextlib.suppress(OSError):
                    s.close()
        return len(pairs)

    def close(self) -> None:
        self._closed = True
        self.cut(0)
        with contextlib.suppress(OSError):
            self.listener.close()
