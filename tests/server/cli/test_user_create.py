"""`simrooms user create` run as an operator runs it."""

from __future__ import annotations

import subprocess
from pathlib import Path

from server.http.auth import Auth
from server.settings import Settings
from server.storage.database import Storage
from tests.support.server import simrooms


def test_user_create_command(tmp_path: Path) -> None:
    def create(name: str, password: str, *extra: str) -> subprocess.CompletedProcess[str]:
        return simrooms(
            "user", "create", name, "--data-dir", str(tmp_path), "--password-stdin", *extra, input=password
        )

    assert create("dora", "longenough\n", "--admin").returncode == 0
    taken = create("DORA", "longenough\n")
    assert taken.returncode != 0 and len(taken.stderr.strip().splitlines()) == 1 and "taken" in taken.stderr
    short = create("eve", "short\n")
    assert short.returncode != 0 and len(short.stderr.strip().splitlines()) == 1
    storage = Storage(Settings(data_dir=tmp_path).resolved_database_url())
    auth = Auth(storage, 60)
    user = auth.authenticate("dora", "longenough")
    assert user is not None and user.is_admin
    assert auth.authenticate("dora", "longenough\n") is None
    storage.dispose()
