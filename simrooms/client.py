"""``simrooms.Client``: a blocking client of a simrooms server over Socket.IO (python-socketio).

    with simrooms.Client("http://127.0.0.1:5000", username="alice", password="...") as client:
        client.create_room(name="Factory 1", policy="heuristic", seed=1)
        client.start_game(room="Factory 1")
        state = client.wait_for("Factory 1", episode=2)

Each client event X of the protocol (docs/protocol.md) is a method ``client.X(**payload)``,
built from simrooms.events: the payload is checked with the event's model before it is sent
(InvalidPayload) and the ack comes back as a dict without ``ok``; an error ack raises the
ProtocolError subclass of its code. A dropped connection is reconnected and the rooms joined
before are joined again, their ``updates`` going on from a fresh full state.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Generator
from types import TracebackType
from typing import TYPE_CHECKING, Any

import socketio

from simrooms.errors import NotFound, ProtocolError
from simrooms.protocol import NAMESPACE
from simrooms.session import (
    END,
    JOINS,
    States,
    add_event_methods,
    as_frame_or_list,
    fetch_episodes,
    payload,
    refusal,
    sign_in,
    unwrap,
)

Predicate = Callable[[dict[str, Any]], bool]


def reached(state: dict[str, Any], predicate: Predicate | None, episode: int | None) -> bool:
    """Whether `state` is what wait_for waits for: at episode `episode` or later, and `predicate`."""
    if episode is not None and int(state["episode"]) < episode:
        return False
    return predicate is None or bool(predicate(state))


class Client:
    """A connection to a simrooms server's namespace ``/sim``, signed in with `token` (from
    ``POST /api/token``) or with `username` and `password` (which get one).

    `reconnect`: reconnect by itself after a dropped connection (and join the rooms again).
    `timeout`: seconds to wait for the connection and for each ack. A refused connection raises
    the ProtocolError subclass of its code (Unauthorized for a bad token)."""

    if TYPE_CHECKING:  # the event methods are made from simrooms.events below

        def __getattr__(self, event: str) -> Callable[..., dict[str, Any]]: ...

    def __init__(
        self,
        url: str,
        token: str | None = None,
        username: str | None = None,
        password: str | None = None,
        *,
        reconnect: bool = True,
        timeout: float = 30.0,
    ) -> None:
        self.url = url.rstrip("/")
        self.timeout = timeout
        self.reconnect = reconnect
        if token is None:
            if username is None or password is None:
                raise ValueError("Client needs a token, or a username and a password.")
            token = sign_in(self.url, username, password, timeout)
        self.token = token
        self.closed = False
        self.lock = threading.Lock()
        self.rooms = States()
        self.feeds: dict[str, list[queue.Queue[Any]]] = {}
        self.connected = threading.Event()
        self.refused: Any = None
        self.ever_connected = False
        self.sio = socketio.Client(reconnection=reconnect, reconnection_delay=0.5, reconnection_delay_max=3)
        for event, handler in (
            ("connect", self.on_connect),
            ("disconnect", self.on_disconnect),
            ("connect_error", self.on_connect_error),
            ("state_update", self.on_state_update),
            ("room_deleted", self.on_room_gone),
            ("membership_ended", self.on_room_gone),
        ):
            self.sio.on(event, handler, namespace=NAMESPACE)
        self.open()

    # ------------------------------------------------------------------ the connection

    def open(self) -> None:
        self.refused = None
        try:
            self.sio.connect(
                self.url, namespaces=[NAMESPACE], auth={"token": self.token}, wait_timeout=self.timeout
            )
        except socketio.exceptions.ConnectionError as error:
            refused = refusal(self.refused)
            if refused is not None:
                raise refused from None
            raise ConnectionError(f"could not connect to {self.url}: {error}") from error

    def on_connect(self) -> None:
        rejoin = self.ever_connected
        self.ever_connected = True
        self.connected.set()
        if rejoin:
            with self.lock:
                rooms = sorted(self.rooms.joined)
            for room in rooms:
                self.sio.emit(JOINS, {"room": room}, namespace=NAMESPACE, callback=self.rejoined(room))

    def rejoined(self, room: str) -> Callable[..., None]:
        def answer(ack: Any = None) -> None:
            if not (isinstance(ack, dict) and ack.get("ok")):
                self.end(room)

        return answer

    def on_disconnect(self, reason: Any = None) -> None:
        self.connected.clear()
        with self.lock:
            self.rooms.forget_states()
        if self.reconnect and not self.closed and reason == self.sio.reason.SERVER_DISCONNECT:
            # python-socketio reconnects after a dropped transport, not after the server said goodbye.
            threading.Thread(target=self.reconnect_loop, daemon=True).start()

    def reconnect_loop(self) -> None:
        delay = 0.5
        while not self.closed and not self.sio.connected:
            time.sleep(delay)
            try:
                self.sio.connect(
                    self.url, namespaces=[NAMESPACE], auth={"token": self.token}, wait_timeout=self.timeout
                )
            except Exception:  # keep trying until the server is back or the client closes
                delay = min(delay * 2, 3.0)

    def on_connect_error(self, data: Any = None) -> None:
        self.refused = data

    def on_state_update(self, data: Any) -> None:
        with self.lock:
            changed = self.rooms.update(data)
            if changed is None:
                return
            key, state = changed
            for feed in self.feeds.get(key, ()):
                feed.put(state)

    def on_room_gone(self, data: Any) -> None:
        if isinstance(data, dict) and isinstance(data.get("room"), str):
            self.end(data["room"])

    def end(self, room: str) -> None:
        """The room's updates end: it was left or deleted, or may no longer be seen."""
        key = room.lower()
        with self.lock:
            self.rooms.joined.discard(key)
            self.rooms.states.pop(key, None)
            for feed in self.feeds.get(key, ()):
                feed.put(END)

    def close(self) -> None:
        """Disconnect; every ``updates`` generator ends."""
        self.closed = True
        self.sio.disconnect()
        with self.lock:
            for feeds in self.feeds.values():
                for feed in feeds:
                    feed.put(END)

    def __enter__(self) -> Client:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()

    # ------------------------------------------------------------------ events

    def call(self, event: str, **fields: Any) -> dict[str, Any]:
        """Send client event `event` with `fields` as its payload; its ack without ``ok``."""
        body = payload(event, fields)
        if self.closed:
            raise ConnectionError("The client is closed.")
        if not self.connected.wait(self.timeout):
            raise ConnectionError(f"Not connected to {self.url} (waited {self.timeout} s).")
        joining = event == JOINS
        if joining:
            with self.lock:
                self.rooms.joined.add(body["room"].lower())
        try:
            ack = self.sio.call(event, body, namespace=NAMESPACE, timeout=self.timeout)
        except socketio.exceptions.TimeoutError:
            raise TimeoutError(f"{event}: no ack within {self.timeout} s.") from None
        try:
            answer = unwrap(event, ack)
        except ProtocolError:
            if joining:
                self.end(body["room"])
            raise
        if joining:
            key = body["room"].lower()
            with self.lock:
                self.rooms.states.setdefault(key, answer["state"])
        elif event == "leave_room":
            self.end(body["room"])
        return answer

    def updates(self, room: str, *, timeout: float | None = None) -> Generator[dict[str, Any], None, None]:
        """The room's states as they come, each a whole Snapshot (dict) with the deltas applied:
        first its state now (joining the room if this client has not), then one per
        ``state_update``. After a reconnect it goes on from the fresh full state. Ends when the
        room is left or deleted or the client closes; TimeoutError after `timeout` s without one."""
        key = room.lower()
        feed: queue.Queue[Any] = queue.Queue()
        with self.lock:
            self.feeds.setdefault(key, []).append(feed)
            joined = key in self.rooms.joined
            current = self.rooms.states.get(key)
        try:
            if not joined:
                self.join_room(room=room)
            elif current is not None:
                yield current
            while True:
                try:
                    item = feed.get(timeout=timeout)
                except queue.Empty:
                    raise TimeoutError(f"No update of room {room!r} within {timeout} s.") from None
                if item is END:
                    return
                yield item
        finally:
            with self.lock:
                self.feeds[key].remove(feed)

    def wait_for(
        self,
        room: str,
        predicate: Predicate | None = None,
        *,
        episode: int | None = None,
        timeout: float = 120.0,
    ) -> dict[str, Any]:
        """The room's first state (from ``updates``) for which `predicate(state)` holds and whose
        episode is `episode` or later; TimeoutError after `timeout` s."""
        deadline = time.monotonic() + timeout
        states = self.updates(room, timeout=timeout)
        try:
            for state in states:
                if reached(state, predicate, episode):
                    return state
                if time.monotonic() > deadline:
                    break
        finally:
            states.close()
        if time.monotonic() <= deadline:
            raise NotFound(f"The updates of room {room!r} ended (left, deleted or closed).")
        raise TimeoutError(f"Room {room!r} did not reach what wait_for waits for within {timeout} s.")

    def episodes(self, room: str, *, as_frame: bool | None = None) -> Any:
        """The room's finished episodes, oldest first (``GET /api/rooms/ROOM/episodes``): a list
        of dicts, or a pandas DataFrame with `as_frame` true, or by default when pandas is
        installed (`as_frame=False` always gives the list)."""
        return as_frame_or_list(fetch_episodes(self.url, self.token, room, self.timeout), as_frame)


def event_method(event: str) -> Callable[..., dict[str, Any]]:
    def method(self: Client, **fields: Any) -> dict[str, Any]:
        return self.call(event, **fields)

    return method


add_event_methods(Client, event_method)
