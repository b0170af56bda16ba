"""Sending encoded events to Socket.IO rooms and connections, encoded once.

The engine encodes every event body once per room (``["event", payload]`` as JSON). With a single
process, ``Transport`` wraps that body in one Engine.IO packet and hands the same packet to each
member's connection, the way python-socketio's own ``emit(..., to=room)`` does, minus its walk of
the payload looking for binary parts and its own JSON encoding; under eventlet it goes further and
writes one prebuilt WebSocket frame to each websocket member's socket (see server.realtime.fastsend). With
the msgpack serializer the packet is the msgpack form of the same event, made once per room too.
With a message queue (several processes) it goes through ``socketio.emit`` so the other
processes see it too.
"""

from __future__ import annotations

import json
from typing import Any

import msgpack
from engineio import packet as eio_packet
from flask_socketio import SocketIO

from server.realtime import fastsend
from simrooms.protocol import NAMESPACE

_EVENT_PREFIX = "2" + NAMESPACE + ","
"""A Socket.IO EVENT packet (type 2) for the namespace, before its JSON data."""


_EVENT = 2
"""Socket.IO's EVENT packet type."""


class Transport:
    def __init__(
        self, socketio: SocketIO, use_queue: bool, msgpack: bool = False, direct_frames: bool = False
    ) -> None:
        """`direct_frames` (eventlet only) writes each room's update frame straight to its
        websocket members' sockets; the others get it through their connection's queue."""
        self.socketio = socketio
        self.use_queue = use_queue
        self.msgpack = msgpack
        self.direct_frames = direct_frames
        self.direct_sends = 0
        """Messages written straight to a socket (the rest went through a connection's queue)."""
        if direct_frames:
            fastsend.install()

    def packet(self, body: str) -> eio_packet.Packet:
        """The Engine.IO packet carrying the encoded event `body`, in the server's wire format."""
        if self.msgpack:
            encoded = msgpack.packb({"type": _EVENT, "data": json.loads(body), "nsp": NAMESPACE})
            return eio_packet.Packet(eio_packet.MESSAGE, encoded)
        return eio_packet.Packet(eio_packet.MESSAGE, _EVENT_PREFIX + body)

    @property
    def server(self) -> Any:
        return self.socketio.server

    def send_room(self, room: str, body: str) -> int:
        """Send the encoded event `body` to every member of Socket.IO room `room`."""
        if self.use_queue:
            event, payload = json.loads(body)
            self.socketio.emit(event, payload, to=room, namespace=NAMESPACE)
            return 1
        server = self.server
        packet = self.packet(body)
        frame = fastsend.frame(packet) if self.direct_frames else b""
        sockets = server.eio.sockets
        sent = 0
        for _sid, eio_sid in list(server.manager.get_participants(NAMESPACE, room)):
            sent += 1
            socket = sockets.get(eio_sid)
            if frame and socket is not None and fastsend.send(socket, frame):
                self.direct_sends += 1
            else:
                server._send_eio_packet(eio_sid, packet)
        return sent

    def send_sid(self, sid: str, body: str) -> int:
        if self.use_queue:
            event, payload = json.loads(body)
            self.socketio.emit(event, payload, to=sid, namespace=NAMESPACE)
            return 1
        server = self.server
        eio_sid = server.manager.eio_sid_from_sid(sid, NAMESPACE)
        if eio_sid is None:
            return 0
        server._send_eio_packet(eio_sid, self.packet(body))
        return 1

    def participants(self, room: str) -> list[str]:
        """The connections of this process in Socket.IO room `room`."""
        return [sid for sid, _ in list(self.server.manager.get_participants(NAMESPACE, room))]

    def enter_room(self, sid: str, room: str) -> None:
        self.server.enter_room(sid, room, namespace=NAMESPACE)

    def leave_room(self, sid: str, room: str) -> None:
        self.server.leave_room(sid, room, namespace=NAMESPACE)

    def disconnect(self, sid: str) -> None:
        self.server.disconnect(sid, namespace=NAMESPACE)
