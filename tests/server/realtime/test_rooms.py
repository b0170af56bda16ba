"""A real `simrooms serve` (eventlet) on 127.0.0.1 driven by real python-socketio clients."""

from __future__ import annotations

import itertools
import json
import re
import signal
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import requests
import socketio
import websocket

from env.delta import AGENTS, STATS, apply
from tests.support.server import NS, PASSWORD, Client, Server, login_session, replay, wait_synced, world

pytestmark = pytest.mark.integration
_names = itertools.count()


def room_name(prefix: str = "room") -> str:
    return f"{prefix}-{next(_names)}-{int(time.time() * 1000) % 100000}"


def make_room(client: Client, prefix: str = "room", **fields: object) -> str:
    name = room_name(prefix)
    payload = {"name": name, "policy": "heuristic", "seed": 1, **fields}
    client.ok("create_room", payload)
    return name


# ------------------------------------------------------------------ HTTP and login


def test_http_routes(server: Server) -> None:
    assert requests.get(server.url + "/healthz").json() == {"status": "ok"}
    form = requests.get(server.url + "/login")
    assert form.status_code == 200
    assert 'name="username"' in form.text and 'name="password"' in form.text
    assert requests.get(server.url + "/api/rooms").status_code == 401
    assert (
        requests.get(server.url + "/api/rooms", headers={"Authorization": "Bearer nonsense"}).status_code
        == 401
    )
    bad = requests.post(server.url + "/api/token", json={"username": "alice", "password": "wrong password"})
    assert bad.status_code == 401
    answer = requests.post(server.url + "/api/token", json={"username": "alice", "password": PASSWORD}).json()
    assert set(answer) == {"token", "expires_at"}
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(Z|[+-]\d\d:\d\d)", answer["expires_at"])
    rooms = requests.get(server.url + "/api/rooms", headers={"Authorization": f"Bearer {answer['token']}"})
    assert rooms.status_code == 200 and isinstance(rooms.json()["rooms"], list)
    metrics = requests.get(server.url + "/metrics")
    assert metrics.status_code == 200 and "text/plain" in metrics.headers["Content-Type"]
    for name in ("simrooms_connections", "simrooms_ticks_total", "simrooms_event_loop_lag_seconds_bucket"):
        assert name in metrics.text
    schema = requests.get(server.url + "/api/schema").json()
    assert "create_room" in schema["client_events"] and "state_update" in schema["server_events"]


def test_login_refuses_cross_site_posts_and_wrong_tokens(server: Server) -> None:
    credentials = {"username": "alice", "password": PASSWORD}
    for headers, extra in (
        ({"Origin": "http://evil.example"}, {}),
        ({"Sec-Fetch-Site": "cross-site"}, {}),
        ({}, {"csrf_token": "not-the-session-token"}),
    ):
        session = requests.Session()
        session.get(server.url + "/login")
        answer = session.post(
            server.url + "/login", data={**credentials, **extra}, headers=headers, allow_redirects=False
        )
        assert answer.status_code == 400, headers
        assert session.get(server.url + "/api/rooms").status_code == 401


def test_a_program_logs_in_with_username_and_password_alone(server: Server) -> None:
    session = requests.Session()
    answer = session.post(
        server.url + "/login", data={"username": "alice", "password": PASSWORD}, allow_redirects=False
    )
    assert answer.status_code in (302, 303) and answer.headers["Location"].endswith("/")
    assert session.get(server.url + "/api/rooms").status_code == 200


def test_cookie_login_connects_and_logout_disconnects(server: Server) -> None:
    session = login_session(server.url, "alice")
    assert session.get(server.url + "/api/rooms").status_code == 200
    cookies = session.cookies.get_dict()
    client = Client(server.url, cookies=cookies)
    try:
        name = make_room(client)
        assert client.ok("join_room", {"room": name})["role"] == "owner"
        form = session.get(server.url + "/logout")
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
        assert csrf
        out = session.post(server.url + "/logout", data={"csrf_token": csrf.group(1)}, allow_redirects=False)
        assert out.status_code in (302, 303)
        assert client.disconnected.wait(10), "logout must disconnect the user's sockets"
        # The old cookie no longer signs anybody in.
        assert requests.get(server.url + "/api/rooms", cookies=cookies).status_code == 401
        with pytest.raises(socketio.exceptions.ConnectionError):
            Client(server.url, cookies=cookies)
    finally:
        client.close()


def test_connect_without_credentials_is_refused_with_unauthorized(server: Server) -> None:
    for kwargs in ({}, {"token": "forged.token.value"}):
        sio = socketio.Client(reconnection=False)
        errors: list[object] = []
        sio.on("connect_error", errors.append, namespace=NS)
        with pytest.raises(socketio.exceptions.ConnectionError):
            sio.connect(
                server.url, namespaces=[NS], auth=kwargs or None, transports=["websocket"], wait_timeout=10
            )
        assert errors and errors[0]["message"] == "unauthorized"
        assert errors[0]["data"]["code"] == "unauthorized" and errors[0]["data"]["message"]


# ------------------------------------------------------------------ rooms and roles


def test_owner_controls_and_observer_sees_the_same_ticks(connect: Callable[..., Client]) -> None:
    alice, bob = connect("alice"), connect("bob")
    name = make_room(alice, speed=2.0)
    assert alice.ok("join_room", {"room": name})["role"] == "owner"
    joined = bob.ok("join_room", {"room": name})
    assert joined["role"] == "observer" and joined["state"]["tick"] == 0
    bob.wait_for(lambda: any(len(p["users"]) == 2 for p in bob.received("presence", name)), what="presence")
    assert alice.ok("start_game", {"room": name})["tick"] == 0
    time.sleep(1.5)
    stopped = alice.ok("stop_game", {"room": name})["tick"]
    assert stopped >= 20
    final = alice.ok("get_state", {"room": name})["state"]
    for client in (alice, bob):
        client.wait_for(lambda c=client: c.received("game_stopped", name), what="game_stopped")
        wait_synced(client, name, final)
    a_states = list(replay(alice.received("state_update", name)))
    b_states = list(replay(bob.received("state_update", name)))
    assert a_states[-1] == b_states[-1] == final
    a_ticks = [s["tick"] for s in a_states]
    b_ticks = [s["tick"] for s in b_states]
    assert a_ticks[-1] == b_ticks[-1] == stopped
    assert a_ticks == sorted(a_ticks) and b_ticks == sorted(b_ticks)
    assert bob.received("game_started", name)[0]["tick"] == 0


def test_observer_is_forbidden_until_granted(connect: Callable[..., Client]) -> None:
    alice, bob = connect("alice"), connect("bob")
    name = make_room(alice)
    for event in ("start_game", "stop_game", "step_game", "reset_game"):
        assert bob.error(event, {"room": name}) == "forbidden"
    assert bob.error("set_speed", {"room": name, "speed": 2.0}) == "forbidden"
    assert bob.error("grant_control", {"room": name, "user": "bob", "allow": True}) == "forbidden"
    assert bob.error("delete_room", {"room": name}) == "forbidden"
    alice.ok("grant_control", {"room": name, "user": "bob", "allow": True})
    assert bob.ok("step_game", {"room": name})["tick"] == 1
    assert bob.ok("set_speed", {"room": name, "speed": 0.5})["speed"] == 0.5
    assert bob.ok("join_room", {"room": name})["role"] == "controller"
    # Controllers may not grant or delete; taking control back works.
    assert bob.error("delete_room", {"room": name}) == "forbidden"
    alice.ok("grant_control", {"room": name, "user": "bob", "allow": False})
    assert bob.error("step_game", {"room": name}) == "forbidden"


def test_private_rooms_are_invisible_to_outsiders(connect: Callable[..., Client]) -> None:
    alice, bob, root = connect("alice"), connect("bob"), connect("root")
    name = make_room(alice, public=False)
    assert name not in [r["name"] for r in bob.ok("list_rooms", {})["rooms"]]
    for event in ("join_room", "get_state", "start_game", "delete_room"):
        assert bob.error(event, {"room": name}) == "not_found"
    assert name in [r["name"] for r in root.ok("list_rooms", {})["rooms"]]
    assert root.ok("join_room", {"room": name})["role"] == "admin"
    root.ok("step_game", {"room": name})
    alice.ok("grant_control", {"room": name, "user": "bob", "allow": True})
    bob.wait_for(lambda: any(name in [r["name"] for r in m["rooms"]] for m in bob.received("room_list")))
    assert bob.ok("join_room", {"room": name})["role"] == "controller"
    root.ok("delete_room", {"room": name})
    assert alice.error("get_state", {"room": name}) == "not_found"
    bob.wait_for(lambda: bob.received("room_deleted", name), what="room_deleted")


def test_every_error_code_from_real_input(connect: Callable[..., Client], server: Server) -> None:
    alice, bob = connect("alice"), connect("bob")
    name = make_room(alice, prefix="boom")  # the fault hook: its reset raises, its step too after 3 ticks
    codes = {
        alice.error("create_room", {"name": "x", "agents": "4"}),
        alice.error("create_room", {"name": name.upper()}),
        bob.error("start_game", {"room": name}),
        alice.error("join_room", {"room": "no such room"}),
    }
    assert codes == {"invalid_payload", "conflict", "forbidden", "not_found"}
    running = make_room(alice)
    alice.ok("start_game", {"room": running})
    assert alice.error("step_game", {"room": running}) == "invalid_state"
    assert alice.error("reset_game", {"room": name}) == "internal"
    # unauthorized: a connection without credentials is refused with that code (see above);
    # rate_limited and limit_reached: see the limited server below.


@pytest.fixture(scope="module")
def limited(tmp_path_factory: pytest.TempPathFactory) -> Server:
    srv = Server(
        tmp_path_factory.mktemp("limited"),
        {
            "SIMROOMS_MAX_ROOMS_PER_USER": "2",
            "SIMROOMS_MAX_ROOMS": "3",
            "SIMROOMS_MAX_MEMBERS_PER_ROOM": "1",
            "SIMROOMS_RATE_LIMIT_PER_SECOND": "2",
            "SIMROOMS_RATE_LIMIT_BURST": "10",
        },
    )
    yield srv  # type: ignore[misc]
    srv.stop()


def test_limits_and_rate_limiting(limited: Server) -> None:
    alice = Client(limited.url, token=limited.token("alice"))
    bob = Client(limited.url, token=limited.token("bob"))
    carol = Client(limited.url, token=limited.token("carol"))
    try:
        alice.ok("create_room", {"name": "a1", "policy": "random"})
        alice.ok("create_room", {"name": "a2", "policy": "random"})
        assert alice.error("create_room", {"name": "a3", "policy": "random"}) == "limit_reached"
        bob.ok("create_room", {"name": "b1", "policy": "random"})
        assert (
            carol.error("create_room", {"name": "c1", "policy": "random"}) == "limit_reached"
        )  # server full
        alice.ok("join_room", {"room": "a1"})
        assert bob.error("join_room", {"room": "a1"}) == "limit_reached"
        time.sleep(2.0)
        acks = [carol.call("list_rooms", {}) for _ in range(20)]
        limited_acks = [a for a in acks if not a["ok"]]
        assert limited_acks and all(a["error"]["code"] == "rate_limited" for a in limited_acks)
        assert carol.sio.connected
        time.sleep(1.0)
        assert carol.call("list_rooms", {})["ok"], "the connection is kept and recovers"
    finally:
        for client in (alice, bob, carol):
            client.close()


def test_invalid_payloads_get_invalid_payload_and_the_connection_lives(
    connect: Callable[..., Client],
) -> None:
    alice = connect("alice")
    name = make_room(alice)
    bad: list[object] = [
        None,
        [1, 2],
        "text",
        b"\x00\x01binary",
        {"room": name, "extra": 1},
        {"room": 5},
        {"room": ""},
        {"room": " padded"},
    ]
    for payload in bad:
        assert alice.error("get_state", payload) == "invalid_payload", payload
    assert alice.call("start_game")["error"]["code"] == "invalid_payload"  # no payload at all
    for payload in (
        {"name": "x", "speed": "4"},
        {"name": "x", "speed": 5.5},
        {"name": "x", "speed": True},
        {"name": "x", "agents": 9},
        {"name": "x", "agents": 4.0},
        {"name": "x", "seed": "7"},
        {"name": "x", "seed": -1},
        {"name": "x", "policy": "genius"},
        {"name": "x" * 41},
        {"name": "bad/name"},
    ):
        ack = alice.call("create_room", payload)
        assert ack["error"]["code"] == "invalid_payload", payload
    with pytest.raises(socketio.exceptions.TimeoutError):
        alice.call("no_such_event", {}, timeout=1)
    assert alice.sio.connected
    assert alice.ok("get_state", {"room": name})["state"]["room"] == name


def test_garbage_packets_do_not_stop_the_server(server: Server, connect: Callable[..., Client]) -> None:
    token = server.token("carol")
    ws = websocket.create_connection(
        f"ws://127.0.0.1:{server.port}/socket.io/?EIO=4&transport=websocket", timeout=10
    )
    try:
        assert ws.recv().startswith("0")  # engine.io open
        ws.send("40/sim," + json.dumps({"token": token}))
        assert ws.recv().startswith("40/sim,")
        for garbage in (
            '42/sim,["get_state",{"room":',
            "42/sim,{}",
            "4",
            "42/sim,[[[[[[[[[[",
            '42/sim,["get_state"' + ",[" * 3000,
        ):
            ws.send(garbage)
        ws.send('42/sim,["connect",{}]')
        ws.send('42/sim,["disconnect",{}]')
        ws.send('42/sim,7["list_rooms",{}]')
        deadline = time.monotonic() + 10
        answer = ""
        while time.monotonic() < deadline and not answer.startswith("43/sim,7"):
            answer = ws.recv()
        assert json.loads(answer[len("43/sim,7") :])[0]["ok"], "the connection survives garbage"
    except (websocket.WebSocketConnectionClosedException, ConnectionError):
        pass  # dropping this connection is allowed; serving the others is what counts
    finally:
        ws.close()
    other = connect("alice")
    assert other.ok("list_rooms", {})["ok"]


# ------------------------------------------------------------------ the engine


def test_ten_rooms_stay_independent(connect: Callable[..., Client]) -> None:
    alice = connect("alice")
    seeds = [11, 11, 12, 13, 14, 15, 16, 17, 11, 12]
    names = [
        make_room(alice, seed=seed, speed=5.0, policy="random" if i % 2 else "heuristic")
        for i, seed in enumerate(seeds)
    ]
    policies = ["random" if i % 2 else "heuristic" for i in range(len(seeds))]
    for name in names:
        alice.ok("start_game", {"room": name})
    time.sleep(1.0)
    ticks = [alice.ok("stop_game", {"room": name})["tick"] for name in names]
    target = max(ticks) + 3
    for name, tick in zip(names, ticks, strict=True):
        for _ in range(target - tick):
            alice.ok("step_game", {"room": name})
    states = [world(alice.ok("get_state", {"room": name})["state"]) for name in names]
    assert all(s["tick"] == target for s in states)
    for i, j in itertools.combinations(range(len(names)), 2):
        same = seeds[i] == seeds[j] and policies[i] == policies[j]
        assert (states[i] == states[j]) == same, (i, j, seeds[i], seeds[j])


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


def test_a_turbo_room_leaves_other_rooms_their_pace(connect: Callable[..., Client]) -> None:
    """Turbo shares the engine: a learning room at "max" runs far faster than speed 5 while a
    learning room at speed 1.0 beside it keeps its 10 ticks a second."""
    alice = connect("alice")
    fast = make_room(alice, "fast", speed="max", policy="learning")
    steady = make_room(alice, "steady", speed=1.0, policy="learning")
    alice.ok("start_game", {"room": steady})
    alice.ok("start_game", {"room": fast})
    began = time.monotonic()
    steady_start = alice.ok("get_state", {"room": steady})["state"]["tick"]
    fast_start = alice.ok("get_state", {"room": fast})["state"]["tick"]
    time.sleep(4.0)
    steady_ticks = alice.ok("get_state", {"room": steady})["state"]["tick"] - steady_start
    fast_ticks = alice.ok("get_state", {"room": fast})["state"]["tick"] - fast_start
    seconds = time.monotonic() - began
    alice.ok("stop_game", {"room": fast})
    alice.ok("stop_game", {"room": steady})
    assert steady_ticks >= 0.9 * 10 * seconds - 2, (steady_ticks, seconds)
    assert fast_ticks > 5 * 10 * seconds, (fast_ticks, seconds)


def _agent_steps(server: Server) -> float:
    text = requests.get(server.url + "/metrics").text
    return float(re.search(r"^simrooms_agent_steps_total (\S+)$", text, re.M).group(1))  # type: ignore[union-attr]


def test_a_learning_room_in_turbo_trains_in_several_worlds(
    server: Server, connect: Callable[..., Client]
) -> None:
    """In turbo a learning room steps 16 copies of its world a tick (the default turbo_worlds)
    while its members see one; at an ordinary speed it trains in its own world again."""
    alice = connect("alice")
    admin = {"Authorization": f"Bearer {server.token('root')}"}
    name = make_room(alice, speed="max", policy="learning", agents=2)

    def worlds() -> int:
        rooms = requests.get(server.url + "/api/admin/rooms", headers=admin).json()["rooms"]
        return int(next(room["worlds"] for room in rooms if room["name"] == name))

    assert worlds() == 16
    steps_before = _agent_steps(server)
    alice.ok("start_game", {"room": name})
    time.sleep(1.5)
    ticks = alice.ok("stop_game", {"room": name})["tick"]
    assert ticks > 20
    # The engine hands its figures over every half second.
    alice.wait_for(lambda: _agent_steps(server) - steps_before >= 16 * 2 * ticks, timeout=5)
    state = alice.ok("get_state", {"room": name})["state"]
    assert len(state["agents"]) == 2 and len(state["grid"]) == 20 and state["tick"] == ticks
    assert alice.ok("set_speed", {"room": name, "speed": 1.0})["speed"] == 1.0
    assert worlds() == 1
    assert alice.ok("get_state", {"room": name})["state"] == state | {"speed": 1.0}
    assert alice.ok("step_game", {"room": name})["tick"] == ticks + 1


def test_reset_sends_game_ended_and_metrics(connect: Callable[..., Client]) -> None:
    alice = connect("alice")
    name = make_room(alice)
    alice.ok("join_room", {"room": name})
    for _ in range(3):
        alice.ok("step_game", {"room": name})
    assert alice.ok("reset_game", {"room": name})["tick"] == 3
    ended = alice.wait_for(lambda: alice.received("game_ended", name))[0]
    assert ended["reason"] == "reset" and ended["episode"] == 1 and ended["tick"] == 3
    assert set(ended["stats"]) == {"products_created", "efficiency", "total_reward"}
    metrics = alice.wait_for(lambda: alice.received("metrics", name))[0]
    assert metrics["episode"] == 1 and "return" in metrics
    state = alice.ok("get_state", {"room": name})["state"]
    assert state["episode"] == 2 and state["tick"] == 3


def test_a_failing_room_stops_with_room_error_and_others_go_on(connect: Callable[..., Client]) -> None:
    alice = connect("alice")
    boom = make_room(alice, prefix="boom", speed=5.0)
    fine = make_room(alice, speed=5.0)
    for name in (boom, fine):
        alice.ok("join_room", {"room": name})
        alice.ok("start_game", {"room": name})
    error = alice.wait_for(lambda: alice.received("room_error", boom), what="room_error")[0]
    assert error["room"] == boom and "injected fault" in error["message"]
    before = alice.ok("get_state", {"room": fine})["state"]["tick"]
    time.sleep(0.5)
    after = alice.ok("get_state", {"room": fine})["state"]
    assert after["tick"] > before and after["running"]
    assert alice.ok("get_state", {"room": boom})["state"]["running"] is False
    alice.wait_for(
        lambda: any(
            any(r["name"] == boom and not r["running"] for r in m["rooms"])
            for m in alice.received("room_list")
        )
    )


def test_learning_room_runs(connect: Callable[..., Client]) -> None:
    alice = connect("alice")
    name = make_room(alice, policy="learning", agents=2, speed=5.0)
    alice.ok("join_room", {"room": name})
    alice.ok("start_game", {"room": name})
    alice.wait_for(lambda: any(u["tick"] >= 20 for u in alice.received("state_update", name)), timeout=30)
    alice.ok("stop_game", {"room": name})


def test_sigterm_stops_cleanly(tmp_path: Path) -> None:
    srv = Server(tmp_path / "s")
    client = Client(srv.url, token=srv.token("alice"))
    client.ok("create_room", {"name": "r", "policy": "random"})
    client.ok("start_game", {"room": "r"})
    assert srv.stop(signal.SIGTERM) == 0
    assert srv.stop() == 0
    client.close()
    assert (tmp_path / "s" / "secret_key").exists()


def test_delta_example_in_docs_applies() -> None:
    from server.realtime.events import SERVER_EVENTS

    example = SERVER_EVENTS["state_update"].example
    from server.realtime.events import example_snapshot
    from server.realtime.protocol import Snapshot, StateUpdateDelta

    StateUpdateDelta.model_validate(example)
    before = example_snapshot()
    state = apply(before, {k: v for k, v in example.items() if k not in ("ts", "full")})
    Snapshot.model_validate(state)
    assert (
        state["tick"] == 121
        and state["grid"][4][7] == 0
        and state["log"][-1] == {"tick": 121, "agent": 0, "action": "pick"}
    )
    assert state["stats"] == {"products_created": 2, "efficiency": 1.72, "total_reward": 2.62}
    assert state["agents"][0] == {
        "id": 0,
        "x": 7,
        "y": 4,
        "energy": 80,
        "carrying": 2,
        "reward": 1.22,
        "action": "pick",
    }


def test_threading_mode_serves_too(tmp_path: Path) -> None:
    srv = Server(tmp_path / "threading", mode="threading")
    try:
        owner = Client(srv.url, token=srv.token("alice"))
        watcher = Client(srv.url, token=srv.token("bob"))
        owner.ok("create_room", {"name": "t", "policy": "heuristic", "seed": 2, "speed": 5.0})
        watcher.ok("join_room", {"room": "t"})
        owner.ok("start_game", {"room": "t"})
        watcher.wait_for(lambda: len(watcher.received("state_update", "t")) >= 5)
        owner.ok("stop_game", {"room": "t"})
        wait_synced(watcher, "t", owner.ok("get_state", {"room": "t"})["state"])
        owner.close()
        watcher.close()
    finally:
        assert srv.stop() == 0


def test_msgpack_serializer_carries_the_same_protocol(tmp_path: Path) -> None:
    """With --serializer msgpack, msgpack clients get acks, full snapshots and deltas that
    replay to the room's state, and each state_update packet is smaller than its JSON form."""
    import json

    import msgpack

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


def test_the_event_loop_answers_while_the_engine_is_busy(tmp_path: Path) -> None:
    """The first learning room compiles MLX on the engine thread for a second or more; the
    handler waiting for it must not block the event loop: /healthz answers meanwhile."""
    import threading

    srv = Server(tmp_path / "busy")
    try:
        client = Client(srv.url, token=srv.token("alice"))
        result: dict[str, object] = {}

        def create() -> None:
            started = time.monotonic()
            result["ack"] = client.call("create_room", {"name": "learner", "policy": "learning"}, timeout=120)
            result["seconds"] = time.monotonic() - started

        worker = threading.Thread(target=create)
        worker.start()
        slowest = 0.0
        while worker.is_alive():
            started = time.monotonic()
            assert requests.get(srv.url + "/healthz", timeout=10).status_code == 200
            slowest = max(slowest, time.monotonic() - started)
            time.sleep(0.05)
        worker.join()
        assert result["ack"]["ok"]  # type: ignore[index]
        assert slowest < 0.5, (
            f"/healthz took {slowest:.3f} s while create_room took {result['seconds']:.3f} s"
        )
        client.close()
    finally:
        srv.stop()
