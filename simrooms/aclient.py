"""``simrooms.AsyncClient``: simrooms.Client for asyncio, on python-socketio's AsyncClient.

    async with simrooms.AsyncClient(url, username="alice", password="...") as client:
        await client.create_room(name="Factory 1", policy="heuristic")
        async for state in client.updates("Factory 1"):
            ...

The same methods as Client, each a coroutine; ``await client.connect()`` opens a client made
without ``async with``, ``await client.close()`` closes it.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Callable, Coroutine
from types import TracebackType
from typing import TYPE_CHECKING, Any

import socketio

from simrooms.client import Predicate, reached
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


class AsyncClient:
    """A connection to a simrooms server's namespace ``/sim`` for asyncio; the arguments are
    Client's. Connects in ``async with`` or ``await client.connect()``."""

    if TYPE_CHECKING:  # the event methods are made from simrooms.events below

        def __getattr__(self, event: str) -> Callable[..., Coroutine[Any, Any, dict[str, Any]]]: ...

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
        if token is None and (username is None or password is None):
            raise ValueError("AsyncClient needs a token, or a username and a password.")
        self.url = url.rstrip("/")
        self.token = token
        self.username = username
        self.password = password
        self.timeout = timeout
        self.reconnect = reconnect
        self.closed = False
        self._rooms = States()
        self._feeds: dict[str, list[asyncio.Queue[Any]]] = {}
        self._connected = asyncio.Event()
        self._refused: Any = None
        self._ever_connected = False
        self._retrying: asyncio.Task[None] | None = None
        self.sio = socketio.AsyncClient(
            reconnection=reconnect, reconnection_delay=0.5, reconnection_delay_max=3
        )
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

    # ------------------------------------------------------------------ the connection

    async def connect(self) -> AsyncClient:
        """Sign in if need be and connect; the refusal's ProtocolError subclass if refused."""
        if self.token is None:
            assert self.username is not None and self.password is not None
            self.token = await asyncio.to_thread(
                sign_in, self.url, self.username, self.password, self.timeout
            )
        self._refused = None
        try:
            await self.sio.connect(
                self.url, namespaces=[NAMESPACE], auth={"token": self.token}, wait_timeout=self.timeout
            )
        except socketio.exceptions.ConnectionError as error:
            refused = refusal(self._refused)
            if refused is not None:
                raise refused from None
            raise ConnectionError(f"could not connect to {self.url}: {error}") from error
        return self

    async def _on_connect(self) -> None:
        rejoin = self._ever_connected
        self._ever_connected = True
        self._connected.set()
        if rejoin:
            for room in sorted(self._rooms.joined):
                await self.sio.emit(JOINS, {"room": room}, namespace=NAMESPACE, callback=self._rejoined(room))

    def _rejoined(self, room: str) -> Callable[..., None]:
        def answer(ack: Any = None) -> None:
            if not (isinstance(ack, dict) and ack.get("ok")):
                self._end(room)

        return answer

    async def _on_disconnect(self, reason: Any = None) -> None:
        self._connected.clear()
        self._rooms.forget_states()
        if self.reconnect and not self.closed and reason == self.sio.reason.SERVER_DISCONNECT:
            # python-socketio reconnects after a dropped transport, not after the server said goodbye.
            self._retrying = asyncio.get_running_loop().create_task(self._reconnect_loop())

    async def _reconnect_loop(self) -> None:
        delay = 0.5
        while not self.closed and not self.sio.connected:
            await asyncio.sleep(delay)
            try:
                await self.sio.connect(
                    self.url, namespaces=[NAMESPACE], auth={"token": self.token}, wait_timeout=self.timeout
                )
            except Exception:  # keep trying until the server is back or the client closes
                delay = min(delay * 2, 3.0)

    async def _on_connect_error(self, data: Any = None) -> None:
        self._refused = data

    async def _on_state_update(self, data: Any) -> None:
        changed = self._rooms.update(data)
        if changed is not None:
            key, state = changed
            for feed in self._feeds.get(key, ()):
                feed.put_nowait(state)

    async def _on_room_renamed(self, data: Any) -> None:
        self._rooms.rename(data, self._feeds)

    async def _on_room_gone(self, data: Any) -> None:
        if isinstance(data, dict) and isinstance(data.get("room"), str):
            self._end(data["room"])

    def _end(self, room: str) -> None:
        key = room.lower()
        self._rooms.joined.discard(key)
        self._rooms.states.pop(key, None)
        for feed in self._feeds.get(key, ()):
            feed.put_nowait(END)

    async def close(self) -> None:
        """Disconnect; every ``updates`` iterator ends."""
        self.closed = True
        if self._retrying is not None:
            self._retrying.cancel()
        await self.sio.disconnect()
        for feeds in self._feeds.values():
            for feed in feeds:
                feed.put_nowait(END)

    async def __aenter__(self) -> AsyncClient:
        return await self.connect()

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        await self.close()

    # ------------------------------------------------------------------ events

    async def call(self, event: str, **fields: Any) -> dict[str, Any]:
        """Send client event `event` with `fields` as its payload; its ack without ``ok``."""
        body = payload(event, fields)
        if self.closed:
            raise ConnectionError("The client is closed.")
        try:
            await asyncio.wait_for(self._connected.wait(), self.timeout)
        except TimeoutError:
            raise ConnectionError(f"Not connected to {self.url} (waited {self.timeout} s).") from None
        joining = event == JOINS
        if joining:
            self._rooms.joined.add(body["room"].lower())
        try:
            ack = await self.sio.call(event, body, namespace=NAMESPACE, timeout=self.timeout)
        except socketio.exceptions.TimeoutError:
            raise TimeoutError(f"{event}: no ack within {self.timeout} s.") from None
        try:
            answer = unwrap(event, ack)
        except ProtocolError:
            if joining:
                self._end(body["room"])
            raise
        if joining:
            self._rooms.states.setdefault(body["room"].lower(), answer["state"])
        elif event == "leave_room":
            self._end(body["room"])
        return answer

    async def updates(
        self, room: str, *, timeout: float | None = None
    ) -> AsyncGenerator[dict[str, Any], None]:
        """Client.updates for ``async for``."""
        key = room.lower()
        feed: asyncio.Queue[Any] = asyncio.Queue()
        self._feeds.setdefault(key, []).append(feed)
        joined = key in self._rooms.joined
        current = self._rooms.states.get(key)
        try:
            if not joined:
                await self.call(JOINS, room=room)
            elif current is not None:
                yield current
            while True:
                try:
                    item = await asyncio.wait_for(feed.get(), timeout)
                except TimeoutError:
                    raise TimeoutError(f"No update of room {room!r} within {timeout} s.") from None
                if item is END:
                    return
                yield item
        finally:
            drop_feed(self._feeds, feed)

    async def wait_for(
        self,
        room: str,
        predicate: Predicate | None = None,
        *,
        episode: int | None = None,
        timeout: float = 120.0,
    ) -> dict[str, Any]:
        """Client.wait_for, awaited."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        states = self.updates(room, timeout=timeout)
        try:
            async for state in states:
                if reached(state, predicate, episode):
                    return state
                if loop.time() > deadline:
                    break
        finally:
            await states.aclose()
        if loop.time() <= deadline:
            raise NotFound(f"The updates of room {room!r} ended (left, deleted or closed).")
        raise TimeoutError(f"Room {room!r} did not reach what wait_for waits for within {timeout} s.")

    async def episodes(self, room: str, *, as_frame: bool | None = None) -> Any:
        """Client.episodes, awaited."""
        assert self.token is not None, "connect first"
        rows = await asyncio.to_thread(fetch_episodes, self.url, self.token, room, self.timeout)
        return as_frame_or_list(rows, as_frame)


def event_method(event: str) -> Callable[..., Coroutine[Any, Any, dict[str, Any]]]:
    async def method(self: AsyncClient, **fields: Any) -> dict[str, Any]:
        return await self.call(event, **fields)

    return method


add_event_methods(AsyncClient, event_method)
