"""A real `simrooms serve` process and real python-socketio clients: what every test that starts
a server uses (the fixtures that start them are in the conftest files).

- ``Server``: ``simrooms serve`` on 127.0.0.1 and a free port with its own data dir and users;
  ``stop()`` and ``start()`` again restart it on the same port and data.
- ``Client``: a python-socketio client of /sim that records the events it gets; ``Clients``
  makes signed-in ones of one server and closes them all.
- ``replay``/``wait_synced``: a member's state_update events as the states they give.
- ``simrooms``: the command line run as a user runs it; ``add_users``, ``login_session``, ``csrf_token``.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import requests
import socketio

REPO = Path(__file__).resolve().parents[2]
NS = "/sim"
PASSWORD = "password123"
USERS: dict[str, bool] = {"alice": False, "bob": False, "carol": False, "root": True}
"""The users every test server and test app has: name -> is admin; all with PASSWORD."""
SIMROOMS = [sys.executable, "-m", "server.cli"]
"""The `simrooms` command (the console script runs the same main) on this checkout's code."""


STEPPING = {"SIMROOMS_RATE_LIMIT_PER_SECOND": "10000", "SIMROOMS_RATE_LIMIT_BURST": "10000"}
"""Settings of servers whose tests step rooms one event at a time, far faster than people do."""
LASTING = {**STEPPING, "SIMROOMS_CHECKPOINT_SECONDS": "1"}
"""STEPPING, with a checkpoint every second (tests of restarts, seeks and forks)."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def simrooms(
    *args: str, input: str | None = None, env: Mapping[str, str] | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """Run `simrooms ARGS...` from the repository and capture its output."""
    return subprocess.run(
        [*SIMROOMS, *args], input=input, cwd=REPO, env=env, capture_output=True, text=True, timeout=timeout
    )


def add_users(
    data_dir: Path,
    users: Mapping[str, bool] = USERS,
    password: str = PASSWORD,
    database_url: str | None = None,
) -> None:
    """Make the database (`database_url`, else SQLite in `data_dir`) with `users` (name -> is
    admin), all with `password`."""
    from server.http.auth import hash_password
    from server.settings import Settings
    from server.storage.database import Storage

    storage = Storage(database_url or Settings(data_dir=data_dir).resolved_database_url())
    storage.upgrade()
    hashed = hash_password(password)
    for name, admin in users.items():
        storage.create_user(name, hashed, is_admin=admin)
    storage.dispose()


class Server:
    """`simrooms serve` on 127.0.0.1 and a free port, with its own data dir (made, with `users`).

    `env` adds or overrides SIMROOMS_* variables; `mode` is the async mode; `warmup` lets the
    engine compile MLX at start (off: a test's first learning room compiles it); `database_url`
    is the database (default: SQLite in the data dir).
    """

    def __init__(
        self,
        data_dir: Path,
        env: Mapping[str, str] | None = None,
        *,
        mode: str = "eventlet",
        warmup: bool = False,
        log_level: str = "WARNING",
        users: Mapping[str, bool] = USERS,
        database_url: str | None = None,
    ) -> None:
        self.data_dir = data_dir
        self.database_url = database_url
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = data_dir / "server.log"
        self.env = dict(os.environ)
        self.env.update(
            {
                "SIMROOMS_HOST": "127.0.0.1",
                "SIMROOMS_PORT": str(self.port),
                "SIMROOMS_DATA_DIR": str(data_dir),
                "SIMROOMS_ASYNC_MODE": mode,
                "SIMROOMS_ENGINE_WARMUP": "1" if warmup else "0",
                "SIMROOMS_LOG_LEVEL": log_level,
                # Tests sign the same few users in many times over a session.
                "SIMROOMS_LOGIN_ATTEMPTS_PER_ACCOUNT_PER_SECOND": "100",
                "SIMROOMS_LOGIN_ATTEMPTS_PER_ACCOUNT_BURST": "1000",
            }
        )
        if database_url:
            self.env["SIMROOMS_DATABASE_URL"] = database_url
        self.env.update(env or {})
        data_dir.mkdir(parents=True, exist_ok=True)
        if users:
            add_users(data_dir, users, database_url=database_url)
        self.process: subprocess.Popen[bytes] | None = None
        self.start()

    def start(self, timeout: float = 90.0) -> None:
        """Start the process and wait until /healthz answers."""
        with open(self.log_path, "a") as log:
            self.process = subprocess.Popen(
                [*SIMROOMS, "serve"], cwd=REPO, env=self.env, stdout=log, stderr=subprocess.STDOUT
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"simrooms serve exited with {self.process.returncode}:\n{self.log()}")
            with contextlib.suppress(requests.RequestException):
                if requests.get(self.url + "/healthz", timeout=1).status_code == 200:
                    return
            time.sleep(0.1)
        raise RuntimeError(f"simrooms serve did not answer within {timeout} s:\n{self.log()}")

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 20.0) -> int:
        """Send `sig` (killing it after `timeout` s) and return the exit code; again is a no-op."""
        assert self.process is not None
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return int(self.process.returncode)

    def log(self) -> str:
        return self.log_path.read_text() if self.log_path.exists() else ""

    def token(self, user: str, password: str = PASSWORD) -> str:
        """A bearer token from POST /api/token."""
        answer = requests.post(
            self.url + "/api/token", json={"username": user, "password": password}, timeout=30
        )
        assert answer.status_code == 200, answer.text
        return str(answer.json()["token"])

    def revoke(self, token: str) -> requests.Response:
        """POST /api/token/revoke with `token`."""
        return requests.post(
            self.url + "/api/token/revoke", headers={"Authorization": f"Bearer {token}"}, timeout=30
        )

    def room_info(self, name: str, user: str = "root") -> dict[str, Any]:
        """The room's RoomInfo from GET /api/rooms (an admin sees every room)."""
        headers = {"Authorization": f"Bearer {self.token(user)}"}
        rooms = requests.get(self.url + "/api/rooms", headers=headers, timeout=30).json()["rooms"]
        for info in rooms:
            if info["name"].lower() == name.lower():
                return dict(info)
        raise AssertionError(f"no room {name!r} in {rooms}")


def csrf_token(page: str) -> str:
    """The CSRF token of a page's form."""
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found, page
    return found.group(1)


def login_session(url: str, name: str, password: str = PASSWORD) -> requests.Session:
    """A requests session signed in through the login form (with its CSRF token)."""
    session = requests.Session()
    csrf = csrf_token(session.get(url + "/login", timeout=30).text)
    answer = session.post(
        url + "/login",
        data={"username": name, "password": password, "csrf_token": csrf},
        allow_redirects=False,
        timeout=30,
    )
    assert answer.status_code in (302, 303), answer.text
    assert answer.headers["Location"].endswith("/")
    return session


# ------------------------------------------------------------------ clients


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
            url,
            namespaces=[NS],
            auth={"token": token} if token else None,
            headers=headers,
            transports=list(transports),
            wait_timeout=20,
        )

    def call(self, event: str, *payload: Any, timeout: float = 30) -> Any:
        """Emit `event` (with one payload, several, or none) and return its ack."""
        if not payload:
            return self.sio.call(event, namespace=NS, timeout=timeout)
        return self.sio.call(
            event, payload[0] if len(payload) == 1 else payload, namespace=NS, timeout=timeout
        )

    def ok(self, event: str, payload: dict[str, Any]) -> dict[str, Any]:
        ack = self.call(event, payload)
        assert ack["ok"], (event, payload, ack)
        return dict(ack)

    def error(self, event: str, payload: Any) -> str:
        """The code of the error `event` is refused with (a well-formed error is asserted)."""
        ack = self.call(event, payload)
        assert ack["ok"] is False, (event, payload, ack)
        assert set(ack["error"]) == {"code", "message"} and ack["error"]["message"], ack
        return str(ack["error"]["code"])

    def received(self, name: str | None = None, room: str | None = None) -> list[Any]:
        with self.lock:
            return [
                data
                for event, data in self.events
                if (name is None or event == name)
                and (room is None or (isinstance(data, dict) and data.get("room") == room))
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


class Clients:
    """clients(user) -> a Client of `server` signed in with a token; close() closes them all."""

    def __init__(self, server: Server) -> None:
        self.server = server
        self.made: list[Client] = []
        self.tokens: dict[str, str] = {}

    def __call__(self, user: str = "alice", **options: Any) -> Client:
        if user not in self.tokens:
            self.tokens[user] = self.server.token(user)
        client = Client(self.server.url, token=self.tokens[user], **options)
        self.made.append(client)
        return client

    def close(self) -> None:
        for client in self.made:
            client.close()


_names = itertools.count(1)


def room_name(prefix: str = "room", sep: str = "-") -> str:
    """A room name no other test uses (rooms outlive tests on a shared server)."""
    return f"{prefix}{sep}{next(_names)}-{int(time.time() * 1000) % 100000}"


def make_room(client: Client, prefix: str = "room", **fields: object) -> str:
    """Create a room with a new name (heuristic, seed 1 unless `fields` say otherwise)."""
    name = room_name(prefix)
    client.ok("create_room", {"name": name, "policy": "heuristic", "seed": 1, **fields})
    return name


# ------------------------------------------------------------------ states from updates


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
            assert state["tick"] == update["tick"] and state["episode"] == update["episode"], (
                state["tick"],
                update,
            )
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


Controls = list[tuple[str, Any]]
"""What `drive` does to a room: ("step", n), ("reset", None), ("restart", None) or ("speed", s)."""


def drive(client: Client, name: str, controls: Controls) -> dict[int, dict[str, Any]]:
    """Do `controls` to a stopped room ("step" n times, "reset", "restart" its training, "speed"
    s); the Snapshot it has at the end of each tick it passes (the last one, where controls share
    a tick)."""
    events = {"reset": "reset_game", "restart": "restart_training"}
    states = {}
    for kind, value in controls:
        if kind == "step":
            for _ in range(value):
                client.ok("step_game", {"room": name})
                state = client.ok("get_state", {"room": name})["state"]
                states[state["tick"]] = state
            continue
        if kind in events:
            client.ok(events[kind], {"room": name})
        elif kind == "speed":
            client.ok("set_speed", {"room": name, "speed": value})
        state = client.ok("get_state", {"room": name})["state"]
        states[state["tick"]] = state
    return states


def refusal(server: Server, token: str) -> dict[str, str]:
    """The data of the connect error a new connection with `token` gets (it must be refused);
    its message is the code, as for `unauthorized`."""
    sio = socketio.Client(reconnection=False)
    errors: list[dict[str, object]] = []
    sio.on("connect_error", errors.append, namespace=NS)
    try:
        sio.connect(
            server.url, namespaces=[NS], auth={"token": token}, transports=["websocket"], wait_timeout=10
        )
    except socketio.exceptions.ConnectionError:
        pass
    else:
        sio.disconnect()
        raise AssertionError("The connection was accepted.")
    assert errors and errors[0]["message"] == errors[0]["data"]["code"], errors  # type: ignore[index]
    return errors[0]["data"]  # type: ignore[return-value]
