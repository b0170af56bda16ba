"""The official JavaScript client (npm socket.io-client, pinned in tests/js) against simrooms serve."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Callable

import pytest

from tests.support.server import REPO, Client, Server

pytestmark = pytest.mark.integration
JS_DIR = REPO / "tests" / "js"


def ensure_node_modules() -> None:
    if (JS_DIR / "node_modules" / "socket.io-client").is_dir():
        return
    npm = shutil.which("npm")
    if npm is None:
        pytest.skip("npm is not installed")
    done = subprocess.run(
        [npm, "ci", "--no-audit", "--no-fund"], cwd=JS_DIR, capture_output=True, text=True, timeout=300
    )
    if done.returncode != 0:
        pytest.skip(f"npm ci failed: {done.stderr[-500:]}")


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_js_client_connects_with_a_token_joins_and_gets_updates(
    server: Server, connect: Callable[..., Client]
) -> None:
    ensure_node_modules()
    alice = connect("alice")
    alice.ok("create_room", {"name": "js-smoke", "policy": "heuristic", "seed": 4, "speed": 5.0})
    alice.ok("start_game", {"room": "js-smoke"})
    token = server.token("bob")
    done = subprocess.run(
        ["node", "smoke.mjs", server.url, token, "js-smoke"],
        cwd=JS_DIR,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen["connected"] and seen["role"] == "observer" and seen["full"] == 1 and seen["deltas"] >= 3
    assert seen["invalid"] == "invalid_payload"
    assert seen["ticks"] == sorted(seen["ticks"])
    refused = subprocess.run(
        ["node", "smoke.mjs", server.url, "forged", "js-smoke"],
        cwd=JS_DIR,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert refused.returncode == 1
    error = json.loads(refused.stdout.strip().splitlines()[-1])["errors"][0]
    assert error["message"] == "unauthorized" and error["data"]["code"] == "unauthorized"
    alice.ok("stop_game", {"room": "js-smoke"})  # the server is shared: leave no room running
