"""Browser tests: a real ``simrooms serve`` (tests/support/server.py), Debian's Chromium driven
by Playwright (tests/support/browser.py).

- ``web_server``: one ``simrooms serve`` per module, with the engine warmed up and limits loose
  enough for many page loads and logins; ``msgpack_server`` the same speaking msgpack.
- ``browser``: one headless Chromium per session (``/usr/bin/chromium``; Playwright's own
  browsers cannot be downloaded here).
- ``pages`` / ``msgpack_pages``: ``pages.open(user, path)`` gives a signed-in page in a new
  context; console errors fail the test, failures leave screenshots (see ``PageSet``).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.browser import CHROMIUM, CHROMIUM_ARGS, PageSet, pages_of
from tests.support.server import Client, Server

WEB_ENV = {
    "SIMROOMS_RATE_LIMIT_PER_SECOND": "200",
    "SIMROOMS_RATE_LIMIT_BURST": "400",
    "SIMROOMS_LOGIN_ATTEMPTS_BURST": "200",
    "SIMROOMS_LOGIN_ATTEMPTS_PER_SECOND": "50",
}


@pytest.fixture(scope="module")
def web_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    server = Server(tmp_path_factory.mktemp("web"), WEB_ENV, warmup=True)
    yield server
    server.stop()


@pytest.fixture(scope="module")
def msgpack_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    server = Server(
        tmp_path_factory.mktemp("web-msgpack"), {**WEB_ENV, "SIMROOMS_SERIALIZER": "msgpack"}, warmup=True
    )
    yield server
    server.stop()


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
    """Keep each phase's report on the item (``rep_setup``, ``rep_call``): ``pages_of`` saves
    screenshots of failed tests."""
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


@pytest.fixture
def pages(browser: Any, web_server: Server, request: pytest.FixtureRequest) -> Iterator[PageSet]:
    yield from pages_of(browser, web_server, request)


@pytest.fixture
def msgpack_pages(browser: Any, msgpack_server: Server, request: pytest.FixtureRequest) -> Iterator[PageSet]:
    """Pages of a server that speaks msgpack on the wire."""
    yield from pages_of(browser, msgpack_server, request)


@pytest.fixture
def alice(web_server: Server) -> Iterator[Client]:
    """A Socket.IO client of alice's, driving rooms beside the page."""
    client = Client(web_server.url, token=web_server.token("alice"))
    yield client
    client.close()
