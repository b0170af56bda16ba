"""A real `simrooms serve` process and real python-socketio clients, for the integration tests."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import requests
import socketio

REPO = Path(__file__).resolve().parents[2]
NS = "/sim"
PASSWORD = "correct horse"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def create_user(data_dir: Path, name: str, password: str = PASSWORD, admin: bool = False) -> subprocess.CompletedProcess[str]:
    args = [sys.executable, "-m", "server.cli", "user", "create", name, "--data-dir", str(data_dir), "--password-stdin"]
    if admin:
        args.append("--admin")
    return subprocess.run(args, input=password + "\n", cwd=REPO, capture_output=True, text=True, timeout=60)


class Server:
    """`simrooms serve` on 127.0.0.1 and a free port, with its own data dir."""

    def __init__(self, data_dir: Path, env: dict[str, str] | None = None, mode: str = "eventlet") -> None:
        self.data_dir = data_dir
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = data_dir / "server.log"
        environment = dict(os.environ)
        environment.update(
            {
                "SIMROOMS_PORT": str(self.port),
                "SIMROOMS_DATA_DIR": str(data_dir),
                "SIMROOMS_ASYNC_MODE": mode,
                "SIMROOMS_ENGINE_WARMUP": "0",
                "SIMROOMS_LOG_LEVEL": "WARNING",
            }
        )
        environment.update(env or {})
        self._log = open(self.log_path, "w")  # noqa: SIM115
        self.process = subprocess.Popen(
            [sys.executable, "-m", "server.cli", "serve"], cwd=REPO, env=environment, stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        self._wait_ready()

    def _wait_ready(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"simrooms serve exited with {self.process.returncode}:\n{self.log()}")
            try:
                if requests.get(self.url + "/healthz", timeout=1).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"simrooms serve did not answer within {timeout} s:\n{self.log()}")

    def log(self) -> str:
        if not self._log.closed:
            self._log.flush()
        return self.log_path.read_text()

    def token(self, name: str, password: str = PASSWORD) -> str:
        answer = requests.post(self.url + "/api/token", json={"username": name, "password": password}, timeout=30)
        assert answer.status_code == 200, answer.text
        return str(answer.json()["token"])

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 20.0) -> int:
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log.close()
        return int(self.process.returncode)


def login_session(url: str, name: str, password: str = PASSWORD) -> requests.Session:
    """A requests session signed in through the login form (with its CSRF token)."""
    session = requests.Session()
    form = session.get(url + "/login", timeout=30)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
    assert csrf, form.text
    answer = session.post(
        url + "/login", data={"username": name, "password": password, "csrf_token": csrf.group(1)},
        allow_redirects=False, timeout=30,
    )
    assert answer.status_code in (302, 303), answer.text
    assert answer.headers["Location"].endswith("/")
    return session


class Client:
    """A python-socketio client of /sim that records every server event it receives."""

    def __init__(
        self,
        url: str,
        token: str | None = None,
        cookies: dict[str, str] | None = None,
        serializer: str = "default",
        transports: tuple[str, ...] = ("websocket",),
    ) -> None:
        self.sio = socketio.Client(reconnection=False, serializer=serializer)
        self.events: list[tuple[str, Any]] = []
        self.lock = threading.Lock()
        self.connect_error: Any = None
        self.disconnected = threading.Event()

        def on_any(event: str, data: Any = None) -> None:
            with self.lock:
                self.events.append((event, data))

        def on_connect_error(data: Any) -> None:
            self.connect_error = data

        self.sio.on("*", on_any, namespace=NS)
        self.sio.on("connect_error", on_connect_error, namespace=NS)
        self.sio.on("disconnect", lambda *args: self.disconnected.set(), namespace=NS)
        headers = {}
        if cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
        self.sio.connect(
            url, namespaces=[NS], auth={"token": token} if token else None, headers=headers,
            transports=list(transports), wait_timeout=20,
        )

    def call(self, event: str, *payload: Any, timeout: float = 30) -> Any:
        return self.sio.call(event, payload[0] if len(payload) == 1 else payload, namespace=NS, timeout=timeout) \
            if payload else self.sio.call(event, namespace=NS, timeout=timeout)

    def ok(self, event: str, payload: dict[str, Any]) -> dict[str, Any]:
        ack = self.call(event, payload)
        assert ack["ok"], (event, payload, ack)
        return dict(ack)

    def error(self, event: str, payload: Any) -> str:
        ack = self.call(event, payload)
        assert ack["ok"] is False, (event, payload, ack)
        assert set(ack["error"]) == {"code", "message"} and ack["error"]["message"], ack
        return str(ack["error"]["code"])

    def received(self, name: str | None = None, room: str | None = None) -> list[Any]:
        with self.lock:
            return [
                data for event, data in self.events
                if (name is None or event == name) and (room is None or (isinstance(data, dict) and data.get("room") == room))
            ]

    def wait_for(self, predicate: Callable[[], Any], timeout: float = 15.0, what: str = "") -> Any:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = predicate()
            if value:
                return value
            time.sleep(0.02)
        raise AssertionError(f"timed out waiting for {what or predicate}")

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.sio.disconnect()


def replay(updates: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """The states a member's state_update events give, in order (a full one starts over)."""
    from env.delta import apply

    state: dict[str, Any] | None = None
    for update in updates:
        if update["full"]:
            state = {k: v for k, v in update.items() if k not in ("ts", "full")}
        else:
            assert state is not None, "a delta came before any full update"
            state = apply(state, {k: v for k, v in update.items() if k not in ("ts", "full")})
            assert state["tick"] == update["tick"] and state["episode"] == update["episode"], (state["tick"], update)
        yield state


def wait_synced(client: Client, name: str, state: dict[str, Any]) -> None:
    """Wait until the member's updates of room `name` replay to `state`."""

    def synced() -> bool:
        updates = client.received("state_update", name)
        return bool(updates) and list(replay(updates))[-1] == state

    client.wait_for(synced, what=f"updates of {name} reaching tick {state['tick']}")


def world(state: dict[str, Any]) -> dict[str, Any]:
    """A snapshot without what differs between rooms and members (name, speed, running)."""
    return {k: v for k, v in state.items() if k not in ("room", "running", "speed")}
