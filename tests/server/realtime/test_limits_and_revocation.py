"""Limits that hold when requests race, and rights that end memberships (server.realtime.rooms)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import requests
import socketio

from tests.support.server import Client, Clients, Server, make_room, refusal, room_name

LIMIT = 5


@pytest.fixture(scope="module")
def limited(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    server = Server(
        tmp_path_factory.mktemp("limited-rooms"),
        {"SIMROOMS_MAX_ROOMS_PER_USER": str(LIMIT), "SIMROOMS_RATE_LIMIT_BURST": "500"},
    )
    yield server
    server.stop()


def test_creates_sent_at_once_do_not_pass_the_per_user_room_limit(limited: Server, tmp_path: Path) -> None:
    clients = Clients(limited)
    senders = [clients("bob") for _ in range(4)]
    acks: list[dict[str, object]] = []
    lock = threading.Lock()
    barrier = threading.Barrier(len(senders))

    def create(client: Client, index: int) -> None:
        barrier.wait()
        for k in range(5):  # 4 connections x 5 creates, sent together
            ack = client.call("create_room", {"name": room_name(f"race{index}{k}"), "policy": "random"})
            with lock:
                acks.append(ack)

    threads = [threading.Thread(target=create, args=(c, i)) for i, c in enumerate(senders)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    try:
        made = [ack for ack in acks if ack["ok"]]
        refused = [ack for ack in acks if not ack["ok"]]
        assert len(made) == LIMIT, f"{len(made)} rooms made with a limit of {LIMIT}"
        assert {ack["error"]["code"] for ack in refused} == {"limit_reached"}  # type: ignore[index]
        owned = [room for room in senders[0].ok("list_rooms", {})["rooms"] if room["owner"] == "bob"]
        assert len(owned) == LIMIT
    finally:
        for room in senders[0].ok("list_rooms", {})["rooms"]:
            if room["owner"] == "bob":
                senders[0].ok("delete_room", {"room": room["name"]})
        clients.close()


def test_revoking_control_of_a_private_room_ends_the_membership_at_once(
    connect: Callable[..., Client],
) -> None:
    owner, bob = connect("alice"), connect("bob")
    name = make_room(owner, "private", public=False)
    try:
        owner.ok("grant_control", {"room": name, "user": "bob", "allow": True})
        bob.ok("join_room", {"room": name})
        owner.ok("start_game", {"room": name})
        bob.wait_for(lambda: bob.received("state_update", name), what="bob's first update")
        owner.ok("grant_control", {"room": name, "user": "bob", "allow": False})
        ended = bob.wait_for(lambda: bob.received("membership_ended", name), what="membership_ended")
        assert "revoked" in ended[0]["reason"]
        time.sleep(0.3)  # updates already on their way when the membership ended
        seen = len(bob.received("state_update", name))
        time.sleep(1.5)
        assert len(bob.received("state_update", name)) == seen, "no update after the membership ended"
        assert bob.error("get_state", {"room": name}) == "not_found"
        assert owner.ok("join_room", {"room": name})["state"]["room"] == name, "the owner stays"
    finally:
        owner.ok("delete_room", {"room": name})


def test_revoking_control_of_a_public_room_keeps_the_member_watching(connect: Callable[..., Client]) -> None:
    owner, bob = connect("alice"), connect("bob")
    name = make_room(owner, "public")
    try:
        owner.ok("grant_control", {"room": name, "user": "bob", "allow": True})
        bob.ok("join_room", {"room": name})
        owner.ok("grant_control", {"room": name, "user": "bob", "allow": False})
        owner.ok("step_game", {"room": name})
        bob.wait_for(
            lambda: len(bob.received("state_update", name)) >= 2, what="an update after the revocation"
        )
        assert bob.received("membership_ended", name) == []
    finally:
        owner.ok("delete_room", {"room": name})


@pytest.fixture(scope="module")
def capped(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    server = Server(
        tmp_path_factory.mktemp("capped-connections"),
        {
            "SIMROOMS_MAX_CONNECTIONS_PER_USER": "3",
            "SIMROOMS_CONNECTS_PER_USER_PER_SECOND": "2",
            "SIMROOMS_CONNECTS_PER_USER_BURST": "6",
            "SIMROOMS_LIMIT_CONNECTIONS": "1",  # a loopback server limits nothing unless told
            "SIMROOMS_SESSIONS_PER_ADDRESS_PER_SECOND": "2",
            "SIMROOMS_SESSIONS_PER_ADDRESS_BURST": "40",
        },
    )
    yield server
    server.stop()


def test_a_user_holds_a_bounded_number_of_connections_and_opens_them_at_a_bounded_rate(
    capped: Server,
) -> None:
    token = capped.token("bob")
    held = [Client(capped.url, token=token) for _ in range(3)]
    try:
        refused = refusal(capped, token)
        assert refused["code"] == "limit_reached" and "3 connections" in refused["message"]
        other = Client(capped.url, token=capped.token("alice"))  # another user is not held back
        other.close()
    finally:
        for client in held:
            client.close()
    time.sleep(0.5)
    churned = 0
    for _ in range(10):  # connect and disconnect at once, as fast as possible
        try:
            Client(capped.url, token=token).close()
            churned += 1
        except socketio.exceptions.ConnectionError:
            break
    assert churned < 10, "a user cannot churn connections without limit"
    assert refusal(capped, token)["code"] == "rate_limited"


def test_an_address_opens_engine_io_sessions_at_a_bounded_rate(capped: Server) -> None:
    """Handshakes beyond the address's rate are refused before any session exists (401)."""
    handshake = f"{capped.url}/socket.io/?EIO=4&transport=polling"
    codes = [requests.get(handshake, timeout=10).status_code for _ in range(60)]
    assert 200 in codes and codes[-1] == 401, codes
    refused = next(
        float(line.split()[1])
        for line in requests.get(capped.url + "/metrics", timeout=10).text.splitlines()
        if line.startswith("simrooms_sessions_refused ")
    )
    assert refused == codes.count(401)


PROBES = 3


@pytest.fixture(scope="module")
def probed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    server = Server(
        tmp_path_factory.mktemp("name-probes"),
        {
            "SIMROOMS_NAME_PROBES_PER_USER_BURST": str(PROBES),
            "SIMROOMS_NAME_PROBES_PER_USER_PER_SECOND": "0.001",
        },
    )
    yield server
    server.stop()


def test_a_taken_room_name_answers_alike_for_a_private_room_and_a_public_one(probed: Server) -> None:
    clients = Clients(probed)
    try:
        alice, carol = clients("alice"), clients("carol")
        hidden = make_room(alice, "hidden", public=False)
        shown = make_room(alice, "shown")
        answers = []
        for name in (hidden, shown):
            ack = carol.call("create_room", {"name": name.upper(), "policy": "random"})
            assert ack["ok"] is False
            answers.append((ack["error"]["code"], ack["error"]["message"].replace(name.upper(), "NAME")))
        assert answers[0] == answers[1] and answers[0][0] == "conflict"
    finally:
        clients.close()


def test_name_probes_are_bounded_per_user_and_say_nothing_once_spent(probed: Server) -> None:
    """Each `conflict` of create_room and each `not_found` user of grant_control spends one of
    the user's probes; with none left, both events answer rate_limited whatever the name, so the
    answer no longer tells a taken name from a free one. Other users keep theirs."""
    clients = Clients(probed)
    try:
        alice, bob, root = clients("alice"), clients("bob"), clients("root")
        taken = make_room(alice, "taken", public=False)
        mine = make_room(bob, "mine", public=False)
        assert bob.error("grant_control", {"room": mine, "user": "nobody-here", "allow": True}) == "not_found"
        for _ in range(PROBES - 1):
            assert bob.error("create_room", {"name": taken, "policy": "random"}) == "conflict"
        free = room_name("free")
        assert bob.error("create_room", {"name": taken, "policy": "random"}) == "rate_limited"
        assert bob.error("create_room", {"name": free, "policy": "random"}) == "rate_limited"
        assert bob.error("grant_control", {"room": mine, "user": "carol", "allow": True}) == "rate_limited"
        assert (
            bob.error("grant_control", {"room": mine, "user": "nobody-here", "allow": True}) == "rate_limited"
        )
        assert root.error("create_room", {"name": taken, "policy": "random"}) == "conflict", "per user"
        assert alice.ok("grant_control", {"room": taken, "user": "carol", "allow": True})["ok"]
    finally:
        clients.close()
