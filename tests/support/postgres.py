"""A throw-away PostgreSQL server for the tests: initdb in a temporary dir, postgres on a free
127.0.0.1 port with its unix socket in that dir, stopped and removed at the end.

postgres refuses to run as root: as root (CI) the server runs as the unprivileged ``postgres``
system user (``runuser -u postgres --``) in a dir chowned to it; as anyone else it runs as that
user. Debian's ``postgresql`` package provides the binaries (``make test`` installs it); when they
are missing, starting fails with a message that says so.
"""

from __future__ import annotations

import glob
import itertools
import os
import pwd
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import psycopg

from tests.support.server import free_port

SUPERUSER = "simrooms"
RUN_AS_WHEN_ROOT = "postgres"


def find_bindir() -> Path:
    """The dir holding initdb and pg_ctl: $SIMROOMS_TEST_PG_BINDIR, Debian's newest, or PATH's."""
    given = os.environ.get("SIMROOMS_TEST_PG_BINDIR")
    candidates = [given] if given else []
    candidates += sorted(
        glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(Path(p).parent.name), reverse=True
    )
    found = shutil.which("pg_ctl")
    if found:
        candidates.append(str(Path(found).parent))
    for candidate in candidates:
        if (Path(candidate) / "initdb").exists() and (Path(candidate) / "pg_ctl").exists():
            return Path(candidate)
    raise RuntimeError(
        "PostgreSQL's server binaries (initdb, pg_ctl) were not found in /usr/lib/postgresql/*/bin or on "
        "PATH: install Debian's postgresql package (make test does) or set SIMROOMS_TEST_PG_BINDIR."
    )


class Postgres:
    """A running PostgreSQL cluster; ``url(name)`` is a SQLAlchemy URL of database `name`."""

    def __init__(self) -> None:
        self.bindir = find_bindir()
        self.port = free_port()
        self.root = Path(tempfile.mkdtemp(prefix="simrooms-pg-"))
        self.data = self.root / "data"
        self.log = self.root / "postgres.log"
        self.as_user: list[str] = []
        if os.geteuid() == 0:
            self.as_user = ["runuser", "-u", RUN_AS_WHEN_ROOT, "--"]
            entry = pwd.getpwnam(RUN_AS_WHEN_ROOT)
            os.chown(self.root, entry.pw_uid, entry.pw_gid)
        self._names = itertools.count(1)
        self._run("initdb", "-D", str(self.data), "-U", SUPERUSER, "--auth=trust", "-E", "UTF8", "--no-sync")
        options = (
            f"-p {self.port} -h 127.0.0.1 -k {self.root} -c fsync=off -c synchronous_commit=off "
            "-c full_page_writes=off -c max_connections=200"
        )
        self._run(
            "pg_ctl", "-D", str(self.data), "-l", str(self.log), "-o", options, "-w", "-t", "60", "start"
        )
        self._wait_ready()

    def _run(self, program: str, *args: str) -> None:
        done = subprocess.run(
            [*self.as_user, str(self.bindir / program), *args],
            cwd=self.root,
            capture_output=True,
            text=True,
            timeout=120,
        )
        if done.returncode != 0:
            log = self.log.read_text() if self.log.exists() else ""
            raise RuntimeError(
                f"{program} {' '.join(args)} exited with {done.returncode}:\n{done.stdout}{done.stderr}{log}"
            )

    def _wait_ready(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while True:
            try:
                with psycopg.connect(self.dsn("postgres"), connect_timeout=5):
                    return
            except psycopg.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)

    def dsn(self, name: str) -> str:
        return f"postgresql://{SUPERUSER}@127.0.0.1:{self.port}/{name}"

    def url(self, name: str) -> str:
        """The SQLAlchemy URL (psycopg 3) of database `name`."""
        return f"postgresql+psycopg://{SUPERUSER}@127.0.0.1:{self.port}/{name}"

    def create_database(self, prefix: str = "test") -> str:
        """A new empty database; its SQLAlchemy URL."""
        name = f"{prefix}_{next(self._names)}"
        with psycopg.connect(self.dsn("postgres"), autocommit=True) as connection:
            connection.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def stop(self) -> None:
        try:
            self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)
