"""simrooms.AsyncClient against a real server: a round trip and its updates."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine
from pathlib import Path
from typing import Any

import pytest

import simrooms
from tests.support.server import PASSWORD, Server, room_name

pytestmark = pytest.mark.integration


async def round_trip(server: Server, token: str) -> None:
    async with simrooms.AsyncClient(server.url, token=token) as client:
        name = room_name("async")
        made = await client.create_room(name=name, policy="heuristic", seed=2)
        assert made["room"]["name"] == name
        seen = []
        async for state in client.updates(name, timeout=30):
            seen.append(state)
            assert state == (await client.get_state(room=name))["state"]
            if len(seen) == 5:
                break
            assert (await client.step_game(room=name))["tick"] == state["tick"] + 1
        assert [s["tick"] for s in seen] == [0, 1, 2, 3, 4]
        with pytest.raises(simrooms.InvalidPayload):
            await client.set_speed(room=name, speed=9)
        await client.set_speed(room=name, speed="max")
        await client.start_game(room=name)
        state = await client.wait_for(name, lambda s: s["tick"] >= 40, timeout=60)
        assert state["tick"] >= 40
        await client.stop_game(room=name)
        assert await client.episodes(name, as_frame=False) == []
        await client.delete_room(room=name)
        with pytest.raises(simrooms.NotFound):
            await client.join_room(room=name)
    async with simrooms.AsyncClient(server.url, username="bob", password=PASSWORD) as bob:
        assert "rooms" in await bob.list_rooms()
    with pytest.raises(simrooms.Unauthorized):
        await simrooms.AsyncClient(server.url, token="not-a-token").connect()


def run_apart(coroutine: Coroutine[Any, Any, None]) -> None:
    """Run `coroutine` in an event loop of its own on a thread of its own: this thread may hold a
    running loop already (Playwright's sync API, when the browser tests ran first)."""
    failures: list[BaseException] = []

    def run() -> None:
        try:
            asyncio.run(coroutine)
        except BaseException as error:  # handed to the test's thread
            failures.append(error)

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    if failures:
        raise failures[0]


def test_async_round_trip_and_updates(server: Server, token: str) -> None:
    run_apart(round_trip(server, token))


async def rejoin_after_restart(own: Server) -> None:
    async with simrooms.AsyncClient(own.url, username="alice", password=PASSWORD, timeout=60) as client:
        name = room_name("async-again")
        await client.create_room(name=name, policy="heuristic", seed=1)
        states = client.updates(name, timeout=60)
        assert (await anext(states))["tick"] == 0
        await asyncio.to_thread(own.stop)
        await asyncio.to_thread(own.start)
        fresh = await anext(states)
        assert fresh == (await client.get_state(room=name))["state"]
        await client.step_game(room=name)
        assert (await anext(states))["tick"] == fresh["tick"] + 1
        await states.aclose()


def test_async_client_reconnects_and_rejoins(tmp_path: Path) -> None:
    own = Server(tmp_path / "serve")
    try:
        run_apart(rejoin_after_restart(own))
    finally:
        own.stop()


async def outlive_a_revoked_token(server: Server) -> None:
    async with simrooms.AsyncClient(server.url, username="alice", password=PASSWORD, timeout=60) as client:
        name = room_name("arenew")
        await client.create_room(name=name, policy="heuristic", seed=1)
        states = client.updates(name, timeout=60)
        assert (await anext(states))["tick"] == 0
        first = client.credentials.token()
        assert (await asyncio.to_thread(server.revoke, first)).status_code == 200
        fresh = await anext(states)  # the full state of the join made again after signing in again
        assert fresh == (await client.get_state(room=name))["state"]
        assert client.credentials.token() != first
        await states.aclose()
        await client.delete_room(room=name)


def test_async_client_with_a_password_outlives_its_token(server: Server) -> None:
    run_apart(outlive_a_revoked_token(server))


async def follow_a_rename(server: Server, token: str) -> None:
    async with simrooms.AsyncClient(server.url, token=token) as client:
        name = room_name("arename")
        await client.create_room(name=name, policy="heuristic", seed=3)
        states = client.updates(name, timeout=30)
        assert (await anext(states))["tick"] == 0
        new = f"{name} now"
        await client.rename_room(room=name, name=new)
        tick = (await client.step_game(room=new))["tick"]
        state = await anext(states)
        assert (state["room"], state["tick"]) == (new, tick)
        assert state == (await client.get_state(room=new))["state"]
        await states.aclose()
        await client.delete_room(room=new)


def test_async_updates_go_on_under_a_room_s_new_name(server: Server, token: str) -> None:
    run_apart(follow_a_rename(server, token))
