"""What members receive: full snapshots then deltas that replay to the room's state, over
websocket and long-polling, folded to the update rate, in JSON or msgpack (server.realtime.transport,
fastsend, server.engine.updates), from a real `simrooms serve`."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from pathlib import Path

import msgpack
import pytest
import requests

from env.delta import AGENTS, STATS
from tests.support.server import (
    NS,
    Client,
    Server,
    make_room,
    replay,
    wait_synced,
)

pytestmark = pytest.mark.integration


def test_reconnecting_client_gets_a_full_snapshot_then_clean_deltas(
    server: Server, connect: Callable[..., Client]
) -> None:
    alice = connect("alice")
    name = make_room(alice, speed=5.0)
    alice.ok("start_game", {"room": name})
    token = server.token("bob")
    first = Client(server.url, token=token)
    first.ok("join_room", {"room": name})
    first.wait_for(lambda: len(first.received("state_update", name)) >= 5)
    first.close()
    again = Client(server.url, token=token)
    try:
        joined = again.ok("join_room", {"room": name})
        again.wait_for(lambda: len(again.received("state_update", name)) >= 10)
        alice.ok("stop_game", {"room": name})
        final = alice.ok("get_state", {"room": name})["state"]
        wait_synced(again, name, final)
        updates = again.received("state_update", name)
        assert updates[0]["full"] is True and all(not u["full"] for u in updates[1:])
        assert {k: v for k, v in updates[0].items() if k not in ("ts", "full")}["tick"] >= joined["state"][
            "tick"
        ]
        states = list(replay(updates))
        assert states[-1] == final
        keys = {key for update in updates[1:] for key in update}
        assert {AGENTS, STATS} <= keys and not keys & {"agents", "stats", "cells", "gone", "log", "log_len"}
        assert all(isinstance(u["ts"], int) and abs(u["ts"] / 1000 - time.time()) < 60 for u in updates)
    finally:
        again.close()


def direct_messages(server: Server) -> float:
    text = requests.get(server.url + "/metrics").text
    found = re.search(r"^simrooms_messages_direct (\S+)$", text, re.M)
    assert found, "the metric simrooms_messages_direct is missing"
    return float(found.group(1))


def test_websocket_and_polling_members_get_the_same_updates(
    server: Server, connect: Callable[..., Client]
) -> None:
    """Websocket members take each update as one prebuilt frame written to their socket; a
    long-polling member takes it through its connection's queue; both replay to the room's state."""
    alice = connect("alice")
    name = make_room(alice, speed=5.0)
    token = server.token("bob")
    members = [Client(server.url, token=token), Client(server.url, token=token, transports=("polling",))]
    try:
        before = direct_messages(server)
        for member in members:
            member.ok("join_room", {"room": name})
        alice.ok("start_game", {"room": name})
        for member in members:
            member.wait_for(lambda m=member: len(m.received("state_update", name)) >= 20, what="20 updates")
        alice.ok("stop_game", {"room": name})
        final = alice.ok("get_state", {"room": name})["state"]
        for member in members:
            wait_synced(member, name, final)
        assert members[1].sio.transport() == "polling"
        assert direct_messages(server) - before >= 15, "the websocket member's updates went through the queue"
    finally:
        for member in members:
            member.close()


def test_updates_fold_to_at_most_20_a_second(connect: Callable[..., Client]) -> None:
    alice, bob = connect("alice"), connect("bob")
    name = make_room(alice, speed="max", policy="random")
    bob.ok("join_room", {"room": name})
    alice.ok("start_game", {"room": name})
    time.sleep(2.0)
    stop_tick = alice.ok("stop_game", {"room": name})["tick"]
    bob.wait_for(lambda: any(u["tick"] == stop_tick for u in bob.received("state_update", name)))
    updates = bob.received("state_update", name)
    assert stop_tick > 60, "turbo steps faster than speed 5"
    stamps = [u["ts"] for u in updates]
    window = [t for t in stamps if stamps[0] + 200 <= t <= stamps[0] + 1200]
    assert len(window) <= 22, len(window)
    states = list(replay(updates))
    assert states[-1]["tick"] == stop_tick


def test_msgpack_serializer_carries_the_same_protocol(tmp_path: Path) -> None:
    """With --serializer msgpack, msgpack clients get acks, full snapshots and deltas that
    replay to the room's state, and each state_update packet is smaller than its JSON form."""

    srv = Server(tmp_path / "msgpack", {"SIMROOMS_SERIALIZER": "msgpack"})
    try:
        owner = Client(srv.url, token=srv.token("alice"), serializer="msgpack")
        watcher = Client(srv.url, token=srv.token("bob"), serializer="msgpack")
        owner.ok("create_room", {"name": "m", "policy": "heuristic", "seed": 4, "speed": 5.0})
        assert watcher.ok("join_room", {"room": "m"})["state"]["width"] == 20
        assert owner.error("set_speed", {"room": "m", "speed": "4"}) == "invalid_payload"
        owner.ok("start_game", {"room": "m"})
        watcher.wait_for(lambda: len(watcher.received("state_update", "m")) >= 10)
        owner.ok("stop_game", {"room": "m"})
        wait_synced(watcher, "m", owner.ok("get_state", {"room": "m"})["state"])
        deltas = [u for u in watcher.received("state_update", "m") if not u["full"]]
        packed = [len(msgpack.packb({"type": 2, "data": ["state_update", u], "nsp": NS})) for u in deltas]
        text = [len(json.dumps(["state_update", u], separators=(",", ":"))) for u in deltas]
        assert sum(packed) < sum(text)
        owner.close()
        watcher.close()
    finally:
        assert srv.stop() == 0
