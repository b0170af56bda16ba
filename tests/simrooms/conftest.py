"""Fixtures of the simrooms package's tests: ``server``, one real ``simrooms serve`` for the
package's tests (tests/support/server.py), and ``token``, alice's bearer token on it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.server import Server


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    srv = Server(
        tmp_path_factory.mktemp("serve"),
        {
            "SIMROOMS_MAX_ROOMS_PER_USER": "200",
            "SIMROOMS_RATE_LIMIT_PER_SECOND": "500",
            "SIMROOMS_RATE_LIMIT_BURST": "500",
        },
    )
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def token(server: Server) -> str:
    return server.token("alice")
