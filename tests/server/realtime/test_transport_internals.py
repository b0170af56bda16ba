"""The python-socketio and python-engineio internals that server.realtime.transport and fastsend
use. pyproject.toml pins both libraries' minor versions; this fails the day a new version moves
one of these, before the fast send path breaks in production."""

from __future__ import annotations

import inspect

import engineio.socket
import socketio


def test_engineio_socket_has_the_websocket_handler_fastsend_wraps() -> None:
    handler = engineio.socket.Socket._websocket_handler
    assert list(inspect.signature(handler).parameters) == ["self", "ws"]


def test_engineio_server_keeps_its_sockets_by_sid() -> None:
    server = socketio.Server()
    assert isinstance(server.eio.sockets, dict)


def test_socketio_server_sends_raw_engineio_packets() -> None:
    params = list(inspect.signature(socketio.Server._send_eio_packet).parameters)
    assert params == ["self", "eio_sid", "eio_pkt"]


def test_socketio_manager_lists_participants_and_maps_sids() -> None:
    manager = socketio.Server().manager
    assert list(inspect.signature(manager.get_participants).parameters) == ["namespace", "room"]
    assert list(inspect.signature(manager.eio_sid_from_sid).parameters) == ["sid", "namespace"]


def test_socketio_server_handles_engineio_messages_and_holds_binary_packets() -> None:
    """server.realtime.guard wraps the handler and reads the binary packets awaiting attachments."""
    server = socketio.Server()
    assert list(inspect.signature(server._handle_eio_message).parameters) == ["eio_sid", "data"]
    assert server.eio.handlers["message"] == server._handle_eio_message
    assert server.eio.handlers["connect"] == server._handle_eio_connect
    assert list(inspect.signature(server._handle_event).parameters) == ["eio_sid", "namespace", "id", "data"]
    assert isinstance(server._binary_packet, dict)
    assert socketio.packet.Packet(encoded_packet='51-/sim,["x",{}]').attachment_count == 1


def test_engineio_sockets_send_through_one_queue() -> None:
    """server.realtime.backlog bounds that queue by wrapping Socket.send."""
    send = engineio.socket.Socket.send
    send = getattr(send, "__wrapped__", send)  # the original, if an app of this process wrapped it
    assert list(inspect.signature(send).parameters) == ["self", "pkt"]
    source = inspect.getsource(send)
    assert "self.queue.put(pkt)" in source


def test_engineio_sockets_ping_from_a_task_and_close_with_these_arguments() -> None:
    """server.realtime.pings wraps both."""
    send_ping = engineio.socket.Socket._send_ping
    close = engineio.socket.Socket.close
    send_ping = getattr(send_ping, "__wrapped__", send_ping)
    close = getattr(close, "__wrapped__", close)
    assert list(inspect.signature(send_ping).parameters) == ["self"]
    assert list(inspect.signature(close).parameters) == ["self", "wait", "abort", "reason"]
    assert "self.server.sleep(self.server.ping_interval)" in inspect.getsource(send_ping)
    assert "start_background_task(self._send_ping)" in inspect.getsource(engineio.socket.Socket.schedule_ping)
