"""``request_control`` (server.realtime.control_requests): an observer asks, the owner's and admins'
joined connections hear it, every member sees it in the room events, and each refusal has its
code; with real python-socketio clients (and simrooms.Client) of a real `simrooms serve`."""

from __future__ import annotations

from collections.abc import Callable

import pytest

import simrooms
from simrooms.protocol_sharing import CONTROL_REQUEST_SECONDS, ControlRequested
from tests.support.server import Client, Server, make_room

pytestmark = pytest.mark.integration


def message(client: Client, event: str, payload: dict[str, object], code: str) -> str:
    ack = client.call(event, payload)
    assert ack["ok"] is False and ack["error"]["code"] == code, ack
    return str(ack["error"]["message"])


def test_the_owner_and_admins_in_the_room_hear_a_request(connect: Callable[..., Client]) -> None:
    alice, bob, carol, root = connect("alice"), connect("bob"), connect("carol"), connect("root")
    elsewhere = connect("alice")  # the owner's connection that has not joined the room
    name = make_room(alice)
    for client in (alice, carol, root):
        client.ok("join_room", {"room": name})
    assert bob.ok("request_control", {"room": name}) == {"ok": True}
    for granter in (alice, root):
        got = granter.wait_for(lambda g=granter: g.received("control_requested", name), what="request")
        assert len(got) == 1
        request = ControlRequested.model_validate(got[0])
        assert (request.room, request.user) == (name, "bob") and request.ts > 0
    for member in (alice, carol, root):
        member.wait_for(
            lambda m=member: any(
                e["kind"] == "control_requested"
                and e["user"] == "bob"
                and e["detail"] is None
                and e["tick"] == 0
                for e in m.received("room_event", name)
            ),
            what="the control_requested room event",
        )
    assert carol.received("control_requested") == []
    assert elsewhere.received("control_requested") == [] and bob.received("control_requested") == []


def test_a_granted_request_gives_control(connect: Callable[..., Client]) -> None:
    alice, bob = connect("alice"), connect("bob")
    name = make_room(alice)
    alice.ok("join_room", {"room": name})
    assert bob.error("step_game", {"room": name}) == "forbidden"
    bob.ok("request_control", {"room": name})
    asked = alice.wait_for(lambda: alice.received("control_requested", name), what="request")[0]
    alice.ok("grant_control", {"room": name, "user": asked["user"], "allow": True})
    assert bob.ok("step_game", {"room": name})["tick"] == 1
    assert "already control" in message(bob, "request_control", {"room": name}, "invalid_state")


def test_refusals(connect: Callable[..., Client]) -> None:
    alice, bob, root = connect("alice"), connect("bob"), connect("root")
    private = make_room(alice, public=False)
    alice.ok("join_room", {"room": private})
    assert f"{private!r}" in message(bob, "request_control", {"room": private}, "not_found")
    assert bob.error("request_control", {"room": "no-such-room"}) == "not_found"
    assert bob.error("request_control", {"room": private, "extra": 1}) == "invalid_payload"

    name = make_room(alice)
    text = message(bob, "request_control", {"room": name}, "invalid_state")
    assert text == f"Nobody who can grant control of room {name!r} is in it now; ask its owner 'alice'."
    carol = connect("carol")
    carol.ok("join_room", {"room": name})  # an observer cannot grant
    assert bob.error("request_control", {"room": name}) == "invalid_state"

    alice.ok("join_room", {"room": name})
    for user, role in ((alice, "owner"), (root, "admin")):
        text = message(user, "request_control", {"room": name}, "invalid_state")
        assert name in text and role in text and "already control" in text
    bob.ok("request_control", {"room": name})
    text = message(bob, "request_control", {"room": name}, "rate_limited")
    assert "'bob'" in text and f"{name!r}" in text and "ask again in" in text
    wait = int(text.split("ask again in ")[1].split(" s")[0])
    assert 0 < wait <= CONTROL_REQUEST_SECONDS
    # The limit is per user and room: another user, or another room, may ask.
    carol.ok("request_control", {"room": name})
    other = make_room(alice)
    alice.ok("join_room", {"room": other})
    bob.ok("request_control", {"room": other})
    assert len(alice.received("control_requested", name)) <= 2


def test_simrooms_client_requests_control(server: Server, connect: Callable[..., Client]) -> None:
    alice = connect("alice")
    name = make_room(alice)
    alice.ok("join_room", {"room": name})
    with simrooms.Client(server.url, token=server.token("bob")) as bob:
        joined = bob.join_room(room=name)
        assert [e["kind"] for e in joined["events"]] == ["joined", "joined"]
        assert bob.request_control(room=name) == {}
        alice.wait_for(lambda: alice.received("control_requested", name), what="request")
        with pytest.raises(simrooms.RateLimited):
            bob.request_control(room=name)
        with pytest.raises(simrooms.InvalidPayload):
            bob.request_control(room="")
