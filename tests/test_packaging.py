"""A plain (not editable) install of simrooms serves its pages: the web client is package data."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent

CHECK = """
import sys, tempfile
from server.app import create_app
from server.settings import Settings
import server, simrooms, web
assert server.__file__.startswith(sys.argv[1]), server.__file__
assert simrooms.__file__.startswith(sys.argv[1]), simrooms.__file__
assert simrooms.RoomConfig().whole()["world"]["max_ticks"] == 500
assert web.__file__.startswith(sys.argv[1]), web.__file__
app, _ = create_app(Settings(data_dir=tempfile.mkdtemp(), async_mode="threading", engine_warmup=False))
client = app.test_client()
login = client.get("/login")
assert login.status_code == 200 and b'name="username"' in login.data, login.status_code
script = client.get("/static/js/common.js")
assert script.status_code == 200 and len(script.data) > 100, script.status_code
vendored = client.get("/static/vendor/socket.io/socket.io.min.js")
assert vendored.status_code == 200, vendored.status_code
print("served")
"""


@pytest.mark.slow
def test_a_plain_install_serves_the_login_page_and_static_files(tmp_path: Path) -> None:
    # Built from a copy, so that setuptools' build/ and egg-info stay out of the checkout.
    source = tmp_path / "source"
    shutil.copytree(
        REPO,
        source,
        ignore=shutil.ignore_patterns(
            ".git", ".venv", "node_modules", "instance", "test-output", "build", "*.egg-info"
        ),
    )
    target = tmp_path / "site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--target",
            str(target),
            str(source),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    # Run outside the checkout, with only the installed copy of the project on the path.
    env = {**os.environ, "PYTHONPATH": str(target)}
    done = subprocess.run(
        [sys.executable, "-c", CHECK, str(target)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().endswith("served")
