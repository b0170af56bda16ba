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
    drop_feed,
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
    the ProtocolError subclass of its code (Unauthorized for a bad token).

    ``sio`` is the python-socketio client underneath (``sio.on(event, handler, namespace="/sim")``
    to receive server events such as ``metrics`` or ``game_ended``)."""

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
        self._lock = threading.Lock()
        self._rooms = States()
        self._feeds: dict[str, list[queue.Queue[Any]]] = {}
        self._connected = threading.Event()
        self._refused: Any = None
        self._ever_connected = False
        self.sio = socketio.Client(reconnection=reconnect, reconnection_delay=0.5, reconnection_delay_max=3)
        for event, handler in (
            ("connect", self._on_connect),
            ("disconnect", self._on_disconnect),
            ("connect_error", self._on_connect_error),
            ("state_update", self._on_state_update),
            ("room_deleted", self._on_room_gone),
            ("membership_ended", self._on_room_gone),
            ("room_renamed", self._on_room_renamed),
        ):
            self.sio.on(event, handler, namespace=NAMESPACE)
        self._open()

    # ------------------------------------------------------------------ the connection

    def _open(self) -> None:
        self._refused = None
        try:
            self.sio.connect(
                self.url, namespaces=[NAMESPACE], auth={"token": self.token}, wait_timeout=self.timeout
            )
        except socketio.exceptions.ConnectionError as error:
            refused = refusal(self._refused)
            if refused is not None:
                raise refused from None
            raise ConnectionError(f"could not connect to {self.url}: {error}") from error

    def _on_connect(self) -> None:
        rejoin = self._ever_connected
        self._ever_connected = True
        self._connected.set()
        if rejoin:
            with self._lock:
                rooms = sorted(self._rooms.joined)
            for room in rooms:
                self.sio.emit(JOINS, {"room": room}, namespace=NAMESPACE, callback=self._rejoined(room))

    def _rejoined(self, room: str) -> Callable[..., None]:
        def answer(ack: Any = None) -> None:
            if not (isinstance(ack, dict) and ack.get("ok")):
                self._end(room)

        return answer

    def _on_disconnect(self, reason: Any = None) -> None:
        self._connected.clear()
        with self._lock:
            self._rooms.forget_states()
        if self.reconnect and not self.closed and reason == self.sio.reason.SERVER_DISCONNECT:
            # python-socketio reconnects after a dropped transport, not after the server said goodbye.
            threading.Thread(target=self._reconnect_loop, daemon=True).start()

    def _reconnect_loop(self) -> None:
        delay = 0.5
        while not self.closed and not self.sio.connected:
            time.sleep(delay)
            try:
                self.sio.connect(
                    self.url, namespaces=[NAMESPACE], auth={"token": self.token}, wait_timeout=self.timeout
                )
            except Exception:  # keep trying until the server is back or the client closes
                delay = min(delay * 2, 3.0)

    def _on_connect_error(self, data: Any = None) -> None:
        self._refused = data

    def _on_state_update(self, data: Any) -> None:
        with self._lock:
            changed = self._rooms.update(data)
            if changed is None:
                return
            key, state = changed
            for feed in self._feeds.get(key, ()):
                feed.put(state)

    def _on_room_renamed(self, data: Any) -> None:
        with self._lock:
            self._rooms.rename(data, self._feeds)

    def _on_room_gone(self, data: Any) -> None:
        if isinstance(data, dict) and isinstance(data.get("room"), str):
            self._end(data["room"])

    def _end(self, room: str) -> None:
        """The room's updates end: it was left or deleted, or may no longer be seen."""
        key = room.lower()
        with self._lock:
            self._rooms.joined.discard(key)
            self._rooms.states.pop(key, None)
            for feed in self._feeds.get(key, ()):
                feed.put(END)

    def close(self) -> None:
        """Disconnect; every ``updates`` generator ends."""
        self.closed = True
        self.sio.disconnect()
        with self._lock:
            for feeds in self._feeds.values():
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
        if not self._connected.wait(self.timeout):
            raise ConnectionError(f"Not connected to {self.url} (waited {self.timeout} s).")
        joining = event == JOINS
        if joining:
            with self._lock:
                self._rooms.joined.add(body["room"].lower())
        try:
            ack = self.sio.call(event, body, namespace=NAMESPACE, timeout=self.timeout)
        except socketio.exceptions.TimeoutError:
            raise TimeoutError(f"{event}: no ack within {self.timeout} s.") from None
        try:
            answer = unwrap(event, ack)
        except ProtocolError:
            if joining:
                self._end(body["room"])
            raise
        if joining:
            key = body["room"].lower()
            with self._lock:
                self._rooms.states.setdefault(key, answer["state"])
        elif event == "leave_room":
            self._end(body["room"])
        return answer

    def updates(self, room: str, *, timeout: float | None = None) -> Generator[dict[str, Any], None, None]:
        """The room's states as they come, each a whole Snapshot (dict) with the deltas applied:
        first its state now (joining the room if this client has not), then one per
        ``state_update``. After a reconnect it goes on from the fresh full state. Ends when the
        room is left or deleted or the client closes; TimeoutError after `timeout` s without one."""
        key = room.lower()
        feed: queue.Queue[Any] = queue.Queue()
        with self._lock:
            self._feeds.setdefault(key, []).append(feed)
            joined = key in self._rooms.joined
            current = self._rooms.states.get(key)
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
            with self._lock:
                drop_feed(self._feeds, feed)

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
