"""`simrooms serve` as the benchmarks run it: a process of this checkout on a free loopback port,
with its own data dir and one admin user, `bench`."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "bench-password"
USER = "bench"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class BenchServer:
    """The server under measurement; `env` sets SIMROOMS_* variables beyond the defaults."""

    def __init__(self, data_dir: Path, env: dict[str, str] | None = None, *, restart: bool = False) -> None:
        """A new server on `data_dir` with the bench's user, or with `restart` the server that
        data dir held before, brought back."""
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = data_dir / "server.log"
        if not restart:
            created = subprocess.run(
                [sys.executable, "-m", "server.cli", "user", "create", USER, "--admin", "--data-dir", str(data_dir), "--password-stdin"],
                cwd=ROOT, input=PASSWORD.encode(), capture_output=True, timeout=120,
            )  # fmt: skip
            if created.returncode != 0:
                raise RuntimeError(f"simrooms user create failed: {created.stderr.decode()}")
        environment = {
            **os.environ,
            "SIMROOMS_PORT": str(self.port),
            "SIMROOMS_DATA_DIR": str(data_dir),
            "SIMROOMS_LOG_LEVEL": "WARNING",
            **(env or {}),
        }
        with open(self.log_path, "a") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "server.cli", "serve"],
                cwd=ROOT,
                env=environment,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        self._wait_ready()

    def _wait_ready(self, timeout: float = 90.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"simrooms serve exited with {self.process.returncode}:\n{self.log_path.read_text()}"
                )
            with contextlib.suppress(requests.RequestException):
                if requests.get(self.url + "/healthz", timeout=1).status_code == 200:
                    return
            time.sleep(0.1)
        raise RuntimeError(f"simrooms serve did not answer within {timeout} s:\n{self.log_path.read_text()}")

    def token(self) -> str:
        answer = requests.post(
            self.url + "/api/token", json={"username": USER, "password": PASSWORD}, timeout=60
        )
        answer.raise_for_status()
        return str(answer.json()["token"])

    def stop(self, timeout: float = 30.0) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.process.returncode != 0:
            print(
                f"simrooms serve exited with {self.process.returncode} on SIGTERM; its log: {self.log_path}",
                file=sys.stderr,
            )
        return int(self.process.returncode)
