"""Chromium driven by Playwright, for the browser tests (the fixtures are in tests/web/conftest.py).

- ``PageSet``: signed-in pages of one test. Every page's console errors and uncaught exceptions
  are collected; the test fails on any not allowed with ``allow(pattern)``. On failure each open
  page is saved as a screenshot under ``test-output/web/<test name>/`` (``SIMROOMS_TEST_OUTPUT``
  moves ``test-output``), with the console and the server's log.
- ``TcpProxy``: a TCP relay whose connections the tests can cut, to lose the socket.
"""

from __future__ import annotations

import contextlib
import os
import re
import select
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.support.server import PASSWORD, REPO, Server

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


def output_dir(item: pytest.Item) -> Path:
    base = Path(os.environ.get("SIMROOMS_TEST_OUTPUT") or REPO / "test-output")
    name = re.sub(r"[^A-Za-z0-9_.-]+", "-", item.nodeid.split("::", 1)[-1]).strip("-")
    return base / "web" / name


@dataclass
class PageSet:
    """Signed-in pages of one test, their console errors and what is allowed of them."""

    browser: Any
    server: Server
    base_url: str
    contexts: list[Any] = field(default_factory=list)
    pages: list[tuple[str, Any]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    allowed: list[re.Pattern[str]] = field(default_factory=list)

    def allow(self, pattern: str) -> None:
        """Console errors matching `pattern` (a regex) do not fail the test."""
        self.allowed.append(re.compile(pattern))

    def open(
        self,
        user: str | None,
        path: str = "/",
        viewport: dict[str, int] | None = None,
        base_url: str | None = None,
    ) -> Any:
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


def pages_of(browser: Any, server: Server, request: pytest.FixtureRequest) -> Iterator[PageSet]:
    """Signed-in pages against `server` for one test (a fixture's body); on failure or console
    errors, screenshots, the console and the server's log go to the test's output folder. The
    test's outcome is read from ``request.node.rep_setup``/``rep_call``, which tests/web/conftest.py's
    ``pytest_runtest_makereport`` sets."""
    pageset = PageSet(browser, server, server.url)
    yield pageset
    failed = any(
        getattr(request.node, f"rep_{when}", None) is not None and getattr(request.node, f"rep_{when}").failed
        for when in ("setup", "call")
    )
    unexpected = pageset.unexpected_errors()
    if failed or unexpected:
        folder = output_dir(request.node)
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True, exist_ok=True)
        for label, page in pageset.pages:
            with contextlib.suppress(Exception):
                page.screenshot(path=str(folder / f"{label}.png"), full_page=True)
        (folder / "console.txt").write_text("\n".join(pageset.errors) + "\n")
        (folder / "server.log").write_text(server.log())
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
