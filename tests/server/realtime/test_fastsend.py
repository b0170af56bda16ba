"""server.realtime.fastsend over a real socket pair and eventlet's real websocket: frames written directly
and frames sent through the connection's queue arrive whole and in order, even when the reader
lags and the socket takes only part of a frame."""

from __future__ import annotations

import socket
import struct

import eventlet
import eventlet.queue
import pytest
from engineio import packet as eio_packet
from eventlet.green import socket as green_socket
from eventlet.websocket import RFC6455WebSocket

from server.realtime import fastsend


class Connection:
    """The parts of an engineio Socket that fastsend reads, with a writer like engineio's own:
    a green thread that sends each queued packet with the websocket's `send`."""

    def __init__(self, ws: RFC6455WebSocket) -> None:
        self.closed = False
        self.upgrading = False
        self.queue: eventlet.queue.Queue = eventlet.queue.Queue()
        setattr(self, fastsend.WS_ATTRIBUTE, ws)
        self.writer = eventlet.spawn(self._write, ws)

    def _write(self, ws: RFC6455WebSocket) -> None:
        while (pkt := self.queue.get()) is not None:
            ws.send(pkt.encode())


def read_frames(sock: green_socket.socket, count: int) -> list[str]:
    """`count` unmasked text frames from `sock`, as their payloads."""
    buffer = b""
    frames: list[str] = []
    while len(frames) < count:
        while True:
            if len(buffer) >= 2:
                opcode, length = buffer[0], buffer[1] & 0x7F
                start = 2
                if length == 126:
                    (length,), start = struct.unpack("!H", buffer[2:4]), 4
                elif length == 127:
                    (length,), start = struct.unpack("!Q", buffer[2:10]), 10
                if len(buffer) >= start + length:
                    assert opcode == 0x81, (
                        f"frame {len(frames)} starts with {opcode:#x}: a frame was cut into"
                    )
                    frames.append(buffer[start : start + length].decode())
                    buffer = buffer[start + length :]
                    break
            chunk = sock.recv(65536)
            assert chunk, "the server side closed"
            buffer += chunk
    return frames


@pytest.mark.parametrize("size", [50, 3000, 70000])
def test_direct_and_queued_frames_arrive_whole_and_in_order_when_the_reader_lags(size: int) -> None:
    server_side, client_side = green_socket.socketpair()
    server_side.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
    client_side.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    ws = RFC6455WebSocket(server_side, {}, version=13)
    connection = Connection(ws)
    messages = 60
    direct = 0
    for n in range(messages):
        pkt = eio_packet.Packet(
            eio_packet.MESSAGE, f'2/sim,["state_update",{{"n":{n},"pad":"{"x" * size}"}}]'
        )
        if fastsend.send(connection, fastsend.frame(pkt)):  # type: ignore[arg-type]
            direct += 1
        else:
            connection.queue.put(pkt)
        if n % 7 == 0:
            connection.queue.put(eio_packet.Packet(eio_packet.PING))  # what engineio itself sends
        eventlet.sleep(0)
    client_side.settimeout(10)
    frames = read_frames(client_side, messages + (messages + 6) // 7)
    numbers = [int(f.split('"n":')[1].split(",")[0]) for f in frames if f.startswith("42/sim,")]
    assert numbers == list(range(messages))
    assert direct >= 1, "no frame went out directly"
    if size == 70000:
        assert direct < messages, "a lagging reader must make some frames wait in the queue"
    connection.queue.put(None)
    connection.writer.wait()
    client_side.close()


def test_frame_lengths_follow_rfc6455() -> None:
    for length, header in ((125, 2), (126, 4), (65535, 4), (65536, 10)):
        data = fastsend.frame(eio_packet.Packet(eio_packet.MESSAGE, "x" * (length - 1)))
        assert len(data) == header + length and data[0] == 0x81
    binary = fastsend.frame(eio_packet.Packet(eio_packet.MESSAGE, b"\x01\x02"))
    assert binary == b"\x82\x02\x01\x02"
