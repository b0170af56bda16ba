"""What a client sends that the protocol cannot decode closes that connection, with one log line,
and the server goes on serving everyone else (server.realtime.guard, server.realtime.sockets)."""

from __future__ import annotations

import json
import time
from collections.abc import Callable

import pytest
import requests
import websocket

from tests.support.server import Client, Server


def signed_in_socket(server: Server, user: str = "carol") -> websocket.WebSocket:
    """A raw Engine.IO websocket connected to /sim with a token."""
    ws = websocket.create_connection(
        f"ws://127.0.0.1:{server.port}/socket.io/?EIO=4&transport=websocket", timeout=10
    )
    assert ws.recv().startswith("0")  # Engine.IO open
    ws.send("40/sim," + json.dumps({"token": server.token(user)}))
    assert ws.recv().startswith("40/sim,")
    return ws


def ack_of(ws: websocket.WebSocket, ack_id: int) -> dict[str, object]:
    prefix = f"43/sim,{ack_id}"
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        message = ws.recv()
        if message.startswith(prefix):
            answer: dict[str, object] = json.loads(message[len(prefix) :])[0]
            return answer
    raise AssertionError(f"no ack {ack_id} within 10 s")


def closed_within(ws: websocket.WebSocket, seconds: float = 10.0) -> bool:
    """Whether the server closes `ws` within `seconds` (answering its pings meanwhile)."""
    deadline = time.monotonic() + seconds
    try:
        while time.monotonic() < deadline:
            message = ws.recv()
            if message == "" or message.startswith("1"):  # closed, or Engine.IO close
                return True
            if message == "2":
                ws.send("3")
    except (websocket.WebSocketConnectionClosedException, ConnectionError):
        return True
    return False


def log_lines_about(server: Server, text: str) -> int:
    return sum(text in line for line in server.log().splitlines())


@pytest.mark.parametrize("name", ["connect", "disconnect"])
def test_events_named_like_lifecycle_events_get_invalid_payload(server: Server, name: str) -> None:
    ws = signed_in_socket(server)
    try:
        ws.send(f'42/sim,5["{name}",{{}}]')
        answer = ack_of(ws, 5)
        assert answer["ok"] is False and answer["error"]["code"] == "invalid_payload"  # type: ignore[index]
        assert name in answer["error"]["message"]  # type: ignore[index]
        ws.send('42/sim,6["list_rooms",{}]')
        assert ack_of(ws, 6)["ok"] is True, "the connection lives on"
    finally:
        ws.close()


@pytest.mark.parametrize(
    "garbage",
    [
        '42/sim,7["list_rooms",{"n":1' + "0" * 100 + "}]",  # JSON that python-socketio cannot decode
        '42/sim,["get_state",{"room":',
        "42/sim,[[[[[[[[[[",
        "49",  # a Socket.IO packet type that does not exist
    ],
)
def test_an_undecodable_packet_closes_that_connection_with_one_log_line(
    server: Server, connect: Callable[..., Client], garbage: str
) -> None:
    before = log_lines_about(server, "cannot decode")
    tracebacks = log_lines_about(server, "Traceback")
    ws = signed_in_socket(server)
    try:
        for _ in range(50):
            try:
                ws.send(garbage)
            except (websocket.WebSocketConnectionClosedException, ConnectionError, BrokenPipeError):
                break
        assert closed_within(ws)
    finally:
        ws.close()
    time.sleep(0.5)
    assert log_lines_about(server, "cannot decode") - before == 1, "one line, however much garbage came"
    assert log_lines_about(server, "Traceback") == tracebacks
    assert connect("alice").ok("list_rooms", {})["ok"]


def test_a_binary_packet_whose_attachments_never_come_closes_the_connection(server: Server) -> None:
    ws = signed_in_socket(server)
    try:
        ws.send('451-/sim,["list_rooms",{"_placeholder":true,"num":0}]')  # announces one attachment
        ws.send('42/sim,8["list_rooms",{}]')  # text where the attachment should be
        assert closed_within(ws)
    finally:
        ws.close()


def test_a_binary_payload_is_answered_invalid_payload(server: Server) -> None:
    ws = signed_in_socket(server)
    try:
        ws.send('451-/sim,9["get_state",{"_placeholder":true,"num":0}]')
        ws.send_binary(b"\x00\x01")
        answer = ack_of(ws, 9)
        assert answer["ok"] is False and answer["error"]["code"] == "invalid_payload"  # type: ignore[index]
    finally:
        ws.close()


def test_more_than_one_attachment_closes_the_connection(server: Server) -> None:
    ws = signed_in_socket(server)
    try:
        ws.send('455-/sim,["list_rooms",{}]')
        assert closed_within(ws)
    finally:
        ws.close()


def test_an_oversized_polling_post_is_refused_at_once_and_its_session_closed(server: Server) -> None:
    base = f"http://127.0.0.1:{server.port}/socket.io/?EIO=4&transport=polling"

    def session() -> str:
        opened = requests.get(base, timeout=5)
        return str(json.loads(opened.text[1:])["sid"])

    started = time.monotonic()
    for _ in range(100):  # each of these held a green thread forever before
        sid = session()
        answer = requests.post(f"{base}&sid={sid}", data="4" + "x" * 70_000, timeout=5)
        assert answer.status_code == 413 and "at most" in answer.text
    assert time.monotonic() - started < 30
    assert requests.get(f"{base}&sid={sid}", timeout=5).status_code == 400, "the session is closed"
    assert requests.get(f"http://127.0.0.1:{server.port}/healthz", timeout=5).status_code == 200


@pytest.mark.parametrize("garbage", ["x", ""])
def test_a_message_engineio_cannot_decode_closes_the_connection_without_noise(
    server: Server, garbage: str
) -> None:
    """One log line, and nothing from eventlet: the connection closes in the order eventlet
    expects (it printed "socket shutdown error: [Errno 9] Bad file descriptor" on stderr)."""
    before = log_lines_about(server, "cannot decode")
    ws = signed_in_socket(server)
    try:
        ws.send(garbage)
        assert closed_within(ws)
    finally:
        ws.close()
    time.sleep(1.0)
    assert log_lines_about(server, "cannot decode") - before == 1
    assert log_lines_about(server, "socket shutdown error") == 0, server.log()[-2000:]
