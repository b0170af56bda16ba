"""The soak benchmark's clients (bench/soak.py): raw Engine.IO 4 / Socket.IO 5 websockets to /sim,
speaking just enough of the protocol to connect with a token, send events and read their acks.

- ``run_churn``: threads of connect / ``join_room`` / ``leave_room`` / disconnect cycles (run in
  worker processes); every cycle ends in one outcome.
- ``SlowReader``: joins a room with a tiny receive buffer, sends ``get_state`` and never reads.
- ``Fuzzer``: malformed frames and bad payloads, each case followed by a ``list_rooms`` probe;
  every case ends in one fate.
"""

from __future__ import annotations

import collections
import contextlib
import json
import random
import socket
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import websocket

CLOSED = (websocket.WebSocketConnectionClosedException, ConnectionError, BrokenPipeError, OSError)


class Closed(Exception):
    """The server closed the connection."""


def ws_url(url: str) -> str:
    return url.replace("http://", "ws://").rstrip("/") + "/socket.io/?EIO=4&transport=websocket"


def recv(ws: websocket.WebSocket) -> str | bytes:
    """One message; Closed when the server closed (a close frame, an Engine.IO close, the socket).
    Engine.IO pings are answered here."""
    while True:
        try:
            message = ws.recv()
        except websocket.WebSocketTimeoutException:
            raise
        except CLOSED as error:
            raise Closed(type(error).__name__) from None
        if message == "" or message == "1" or (isinstance(message, str) and message.startswith("41/sim")):
            raise Closed("close")
        if message == "2":
            with contextlib.suppress(*CLOSED):
                ws.send("3")
            continue
        return message


def open_socket(
    url: str, token: str, timeout: float, sockopt: tuple[Any, ...] = ()
) -> tuple[websocket.WebSocket, str]:
    """A websocket connected to /sim, and "" or the connect error's code (then it is closed)."""
    ws = websocket.create_connection(ws_url(url), timeout=timeout, enable_multithread=False, sockopt=sockopt)
    try:
        first = recv(ws)
        if not (isinstance(first, str) and first.startswith("0")):
            raise Closed(f"unexpected open {first!r:.40}")
        ws.send("40/sim," + json.dumps({"token": token}))
        while True:
            message = recv(ws)
            if isinstance(message, str) and message.startswith("40/sim,"):
                return ws, ""
            if isinstance(message, str) and message.startswith("44/sim,"):
                data = json.loads(message[len("44/sim,") :])
                code = (data.get("data") or {}).get("code") or data.get("message") or "refused"
                ws.close()
                return ws, str(code)
    except BaseException:
        with contextlib.suppress(Exception):
            ws.close()
        raise


def wait_acks(ws: websocket.WebSocket, ids: set[int], timeout: float) -> dict[int, Any]:
    """The acks of `ids` that came within `timeout` s (events are skipped); Closed if closed."""
    got: dict[int, Any] = {}
    deadline = time.monotonic() + timeout
    while ids - got.keys():
        left = deadline - time.monotonic()
        if left <= 0:
            break
        ws.settimeout(left)
        try:
            message = recv(ws)
        except websocket.WebSocketTimeoutException:
            break
        if isinstance(message, str) and message.startswith("43/sim,"):
            body = message[len("43/sim,") :]
            digits = len(body) - len(body.lstrip("0123456789"))
            if digits:
                with contextlib.suppress(ValueError):
                    got[int(body[:digits])] = json.loads(body[digits:])[0]
    return got


def ack_outcome(ack: Any) -> str:
    if isinstance(ack, dict) and ack.get("ok") is True:
        return "ok"
    if isinstance(ack, dict) and isinstance(ack.get("error"), dict):
        return str(ack["error"].get("code"))
    return "malformed ack"


# ------------------------------------------------------------------ churn


def churn_cycle(url: str, token: str, room: str, timeout: float) -> str:
    """One connect / join / leave / disconnect cycle: "ok" or what went wrong, and where."""
    stage = "connect"
    ws = None
    try:
        ws, refused = open_socket(url, token, timeout)
        if refused:
            return f"connect refused: {refused}"
        stage = "join"
        ws.send('42/sim,1["join_room",' + json.dumps({"room": room}) + "]")
        ack = wait_acks(ws, {1}, timeout).get(1)
        if ack is None:
            return "join: timeout"
        if ack_outcome(ack) != "ok":
            return f"join: {ack_outcome(ack)}"
        stage = "leave"
        ws.send('42/sim,2["leave_room",' + json.dumps({"room": room}) + "]")
        ack = wait_acks(ws, {2}, timeout).get(2)
        if ack is None:
            return "leave: timeout"
        if ack_outcome(ack) != "ok":
            return f"leave: {ack_outcome(ack)}"
        return "ok"
    except websocket.WebSocketBadStatusException as error:
        return f"{stage}: HTTP {error.status_code}"
    except (websocket.WebSocketTimeoutException, TimeoutError):
        return f"{stage}: timeout"
    except Closed:
        return f"{stage}: closed by server"
    except ConnectionRefusedError:
        return f"{stage}: connection refused"
    except Exception as error:
        return f"{stage}: {type(error).__name__}"
    finally:
        if ws is not None:
            with contextlib.suppress(Exception):
                ws.close(timeout=1)


def run_churn(
    url: str, token: str, room: str, cycles: int, threads: int, deadline: float, timeout: float
) -> dict[str, Any]:
    """`cycles` cycles over `threads` threads, stopping at epoch `deadline`: outcome counts, and
    each cycle's seconds."""
    outcomes: collections.Counter[str] = collections.Counter()
    seconds: list[float] = []
    left = [cycles]
    lock = threading.Lock()

    def work() -> None:
        while time.time() < deadline:
            with lock:
                if left[0] <= 0:
                    return
                left[0] -= 1
            started = time.perf_counter()
            outcome = churn_cycle(url, token, room, timeout)
            took = time.perf_counter() - started
            with lock:
                outcomes[outcome] += 1
                seconds.append(took)

    workers = [threading.Thread(target=work, daemon=True) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(max(0.0, deadline - time.time()) + timeout * 4)
    return {"outcomes": dict(outcomes), "seconds": seconds, "not_run": max(0, left[0])}


# ------------------------------------------------------------------ slow readers


@dataclass
class SlowReader:
    """A member of `room` that asks for its state over and over and never reads a byte. It sends an
    Engine.IO pong every second, unasked, so that only its backlog can get it closed."""

    url: str
    token: str
    room: str
    rate: float
    """get_state events a second."""
    started: float = 0.0
    closed_after: float | None = None
    """Seconds from `started` until a send failed (the server closed the connection)."""
    sent: int = 0
    error: str = ""

    def run(self, stop: threading.Event) -> None:
        self.started = time.time()
        try:
            ws, refused = open_socket(
                self.url, self.token, 30, sockopt=((socket.SOL_SOCKET, socket.SO_RCVBUF, 4096),)
            )
        except Exception as error:
            self.error = f"connect: {type(error).__name__}"
            return
        if refused:
            self.error = f"connect refused: {refused}"
            return
        try:
            ws.settimeout(10)
            ws.send('42/sim,1["join_room",' + json.dumps({"room": self.room}) + "]")
            pong_every = max(1, round(self.rate))
            body = '["get_state",' + json.dumps({"room": self.room}) + "]"
            while not stop.wait(1.0 / self.rate):
                self.sent += 1
                ws.send(f"42/sim,{self.sent + 1}{body}")
                if self.sent % pong_every == 0:  # unread pings would close it before its backlog does
                    ws.send("3")
        except Exception as error:
            self.closed_after = time.time() - self.started
            self.error = type(error).__name__
        finally:
            with contextlib.suppress(Exception):
                ws.sock and ws.sock.close()  # type: ignore[func-returns-value]


# ------------------------------------------------------------------ fuzzer


@dataclass
class Case:
    """What the fuzzer sends: frames (text, or bytes for binary frames), the ack id it expects an
    answer to (None: none expected) and the fate a hardened server should give it."""

    kind: str
    name: str
    frames: list[str | bytes]
    ack_id: int | None
    expected: str


FATE_CLOSED = "closed by server"
FATE_LIVES = "no ack, connection lives"
FATE_NO_ANSWER = "no answer (probe unanswered)"
FATE_CLIENT_ERROR = "not a websocket frame back"
FATE_CLOSED_OR_LIVES = "closed, or lives"


def fuzz_cases(events: list[str], seed: int) -> list[Case]:
    """Every case, with ack ids from 10 up (the probe takes 9)."""
    rng = random.Random(seed)
    cases: list[Case] = []
    ids = iter(range(10, 1 << 30))

    def event(kind: str, name: str, args: str, expected: str, ack: bool = True, binary: int = 0) -> None:
        ack_id = next(ids) if ack else None
        head = f"45{binary}-" if binary else "42"
        cases.append(
            Case(kind, name, [f"{head}/sim,{'' if ack_id is None else ack_id}[{args}]"], ack_id, expected)
        )

    def raw(kind: str, name: str, frames: list[str | bytes], expected: str) -> None:
        cases.append(Case(kind, name, frames, None, expected))

    # Frames the protocol cannot decode: the connection is closed.
    raw("malformed", "broken JSON", ['42/sim,["get_state",{"room":'], FATE_CLOSED)
    raw(
        "malformed",
        "huge int (5,000 digits)",
        ['42/sim,7["list_rooms",{"n":1' + "0" * 5000 + "}]"],
        FATE_CLOSED,
    )
    raw(
        "malformed", "huge int (100 digits)", ['42/sim,7["list_rooms",{"n":1' + "0" * 100 + "}]"], FATE_CLOSED
    )
    raw(
        "malformed",
        "deep nesting (20,000)",
        ['42/sim,7["list_rooms",' + "[" * 20000 + "]" * 20000 + "]"],
        FATE_CLOSED,
    )
    raw("malformed", "unclosed lists", ["42/sim,[[[[[[[[[["], FATE_CLOSED)
    raw("malformed", "unknown Socket.IO type 9", ["49"], FATE_CLOSED)
    raw("malformed", "unknown Socket.IO type 7 with data", ['47/sim,["list_rooms",{}]'], FATE_CLOSED)
    raw("malformed", "text after an announced attachment", ['451-/sim,["list_rooms",{"_placeholder":true,"num":0}]', '42/sim,8["list_rooms",{}]'], FATE_CLOSED)  # fmt: skip
    raw("malformed", "five attachments announced", ['455-/sim,["list_rooms",{}]'], FATE_CLOSED)
    raw(
        "malformed",
        "oversized text (70 KB)",
        ['42/sim,7["get_state",{"room":"' + "x" * 70_000 + '"}]'],
        FATE_CLOSED,
    )
    raw("malformed", "oversized binary (70 KB)", [b"\x00" * 70_000], FATE_CLOSED)
    raw(
        "malformed",
        "binary frame never announced",
        [bytes(rng.randrange(256) for _ in range(64))],
        FATE_CLOSED,
    )
    raw(
        "malformed",
        "not UTF-8 JSON in an event",
        ['42/sim,7["list_rooms",{"a":"\\ud800\\udc"}]'],
        FATE_CLOSED,
    )
    # Engine.IO oddities: anything but a wedge is acceptable.
    for frame in ["", "x", "hello", "b!!!", "9", "9garbage", "5", "6", "3", "4", "2probe", '40{"token":1}', '42["list_rooms",{}]', '42/other,["x",{}]']:  # fmt: skip
        raw("engine.io oddity", f"frame {frame!r}", [frame], FATE_CLOSED_OR_LIVES)
    # Lifecycle names as events.
    for name in ("connect", "disconnect"):
        event("lifecycle name", f"event {name!r}", f'"{name}",{{}}', "invalid_payload")
    # Unknown event names: no ack, and the connection goes on.
    for name in ("no_such_event", "state_update", "x" * 2000, "", "__proto__"):
        event("unknown event", f"event {name[:20]!r}", f"{json.dumps(name)},{{}}", FATE_LIVES)
    event("unknown event", "event name a number", "5,{}", FATE_LIVES)
    # A binary payload (one attachment, as allowed) to a known event: invalid_payload.
    for name in ("get_state", "create_room"):
        ack_id = next(ids)
        cases.append(Case("binary payload", f"{name} with a binary payload", [f'451-/sim,{ack_id}["{name}",{{"_placeholder":true,"num":0}}]', b"\x00\x01\x02"], ack_id, "invalid_payload"))  # fmt: skip
    # Known events with bad payloads.
    shapes = ["", ",null", ",[]", ',"room"', ",123", ",true", ",{}", ",{},{}", ",1e400", ",NaN"]
    rooms = ['""', json.dumps("x" * 41), json.dumps("ü-room"), "5", "null", "true", "[]", "{}", json.dumps(" lead"),
             json.dumps("a\u0000b"), json.dumps("x" * 60_000)]  # fmt: skip
    for name in events:
        for shape in shapes:
            if name == "list_rooms" and shape == ",{}":
                continue  # valid
            event("bad payload", f"{name}{shape or ' (none)'}", f'"{name}"{shape}', "invalid_payload")
        if name in ("create_room", "list_rooms"):
            continue
        for value in rooms:
            extra = ',"user":"bob","allow":true' if name == "grant_control" else ""
            extra += ',"speed":1.0' if name == "set_speed" else ""
            extra += ',"agent":0' if name == "inspect_agent" else ""
            event(
                "bad payload",
                f"{name} room={value[:12]}",
                f'"{name}",{{"room":{value}{extra}}}',
                "invalid_payload",
            )
        event(
            "bad payload",
            f"{name} unknown field",
            f'"{name}",{{"room":"nowhere","zzz":1}}',
            "invalid_payload",
        )
        ghost = f"ghost-{rng.randrange(10**6)}"
        fields = {"room": ghost}
        fields |= {"user": "bob", "allow": True} if name == "grant_control" else {}
        fields |= {"speed": 1.0} if name == "set_speed" else {}
        fields |= {"agent": 0} if name == "inspect_agent" else {}
        event(
            "no such room",
            f"{name} of a room that is not there",
            f'"{name}",{json.dumps(fields)}',
            "not_found",
        )
    for field_name, values in {
        "agents": ["0", "9", '"4"', "true", "4.0", "-1", "99999999999999999999"],
        "speed": ["0", "0.09", "5.01", "-1", '"max "', "Infinity", "NaN", "1e308", "true"],
        "seed": ["-1", "9223372036854775808", "1.5", '"7"'],
        "policy": ['"x"', "1", "null", '"Learning"'],
        "public": ['"yes"', "1", "null"],
        "name": ['""', json.dumps("x" * 41), json.dumps("bad/name"), json.dumps(" x")],
    }.items():
        for value in values:
            payload = {"name": "fuzz-room", "agents": "3"}  # `agents` a string: never valid
            body = json.dumps(payload)[:-1] + f',"{field_name}":{value}}}'
            if field_name == "agents":
                body = f'{{"name":"fuzz-room","agents":{value},"policy":"nope"}}'
            event(
                "bad payload",
                f"create_room {field_name}={value[:12]}",
                f'"create_room",{body}',
                "invalid_payload",
            )
    for value in ["0", "0.09", "5.01", '"fast"', "NaN", "-Infinity", "null", "[1]"]:
        event("bad payload", f"set_speed speed={value}", f'"set_speed",{{"room":"nowhere","speed":{value}}}', "invalid_payload")  # fmt: skip
    for value in ["8", "-1", '"0"', "1.5", "true", "99999999999999999999999"]:
        event("bad payload", f"inspect_agent agent={value}", f'"inspect_agent",{{"room":"nowhere","agent":{value}}}', "invalid_payload")  # fmt: skip
    for value in ['"true"', "1", "null"]:
        event("bad payload", f"grant_control allow={value}", f'"grant_control",{{"room":"nowhere","user":"bob","allow":{value}}}', "invalid_payload")  # fmt: skip
    for value in ['""', json.dumps("a b"), json.dumps("x" * 41), "5"]:
        event("bad payload", f"grant_control user={value[:12]}", f'"grant_control",{{"room":"nowhere","user":{value},"allow":true}}', "invalid_payload")  # fmt: skip
    event("bad payload", "ack id of 25 digits", '"list_rooms",{"x":1}', "invalid_payload")
    cases[-1].frames = ['42/sim,1234567890123456789012345["list_rooms",{"x":1}]']
    cases[-1].ack_id = 1234567890123456789012345
    return cases


@dataclass
class Fuzzer:
    """Sends every case of `cases` in a shuffled round, round after round, at `rate` cases a second;
    after each, a ``list_rooms`` probe tells a connection that lives from one that is wedged. A
    connection the server closed is opened again for the next case."""

    url: str
    token: str
    cases: list[Case]
    rate: float
    timeout: float
    seed: int
    fates: collections.Counter[tuple[str, str, str]] = field(default_factory=collections.Counter)
    """(kind, case name, fate) -> count."""
    expected: dict[tuple[str, str], str] = field(default_factory=dict)
    connects: int = 0
    connect_failures: collections.Counter[str] = field(default_factory=collections.Counter)

    def run(self, stop: threading.Event) -> None:
        rng = random.Random(self.seed)
        ws: websocket.WebSocket | None = None
        order: list[Case] = []
        while not stop.is_set():
            if not order:
                order = list(self.cases)
                rng.shuffle(order)
            case = order.pop()
            started = time.monotonic()
            if ws is None:
                try:
                    ws, refused = open_socket(self.url, self.token, self.timeout)
                    self.connects += 1
                except Exception as error:
                    self.connect_failures[type(error).__name__] += 1
                    ws = None
                    stop.wait(1.0)
                    continue
                if refused:
                    self.connect_failures[f"refused: {refused}"] += 1
                    ws = None
                    stop.wait(1.0)
                    continue
            fate = self.one(ws, case)
            self.fates[(case.kind, case.name, fate)] += 1
            self.expected[(case.kind, case.name)] = case.expected
            if fate != FATE_LIVES and not fate.startswith("ack "):
                with contextlib.suppress(Exception):
                    ws.close(timeout=1)
                ws = None
            stop.wait(max(0.0, 1.0 / self.rate - (time.monotonic() - started)))
        if ws is not None:
            with contextlib.suppress(Exception):
                ws.close(timeout=1)

    def one(self, ws: websocket.WebSocket, case: Case) -> str:
        try:
            for frame in case.frames:
                if isinstance(frame, bytes):
                    ws.send_binary(frame)
                else:
                    ws.send(frame)
            ws.send('42/sim,9["list_rooms",{}]')
            wanted = {9} | ({case.ack_id} if case.ack_id is not None else set())
            got = wait_acks(ws, wanted, self.timeout)
            if case.ack_id is not None and case.ack_id not in got and 9 in got:
                got |= wait_acks(ws, {case.ack_id}, 0.3)  # acks may come in either order
        except Closed:
            return FATE_CLOSED
        except websocket.WebSocketProtocolException as error:
            return f"{FATE_CLIENT_ERROR} ({error})"
        except CLOSED:
            return FATE_CLOSED
        if case.ack_id is not None and case.ack_id in got:
            return f"ack {ack_outcome(got[case.ack_id])}"
        if 9 in got:
            return FATE_LIVES
        return FATE_NO_ANSWER
