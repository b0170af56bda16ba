"""simrooms.Client against a real server: a method per client event, round trips, errors as
ProtocolError subclasses, updates, wait_for, episodes and reconnecting after a restart."""

from __future__ import annotations

import inspect
import sys
import types
from pathlib import Path

import pytest

import simrooms
from simrooms.events import CLIENT_EVENTS
from simrooms.session import as_frame_or_list, unwrap
from tests.support.server import PASSWORD, Server, room_name

pytestmark = pytest.mark.integration


def test_every_client_event_is_a_method_with_the_payloads_keywords() -> None:
    for event, spec in CLIENT_EVENTS.items():
        for cls in (simrooms.Client, simrooms.AsyncClient):
            method = getattr(cls, event)
            params = inspect.signature(method).parameters
            assert list(params)[1:] == list(spec.model.model_fields), (cls, event)
            assert all(p.kind is inspect.Parameter.KEYWORD_ONLY for p in list(params.values())[1:])
            assert spec.model.__name__ in (method.__doc__ or "")
    assert inspect.iscoroutinefunction(simrooms.AsyncClient.create_room)
    assert set(simrooms.errors.ERRORS) == set(simrooms.protocol.ERROR_CODES)


def test_round_trips(server: Server, token: str) -> None:
    with simrooms.Client(server.url, token=token) as client:
        name = room_name("client")
        made = client.create_room(name=name, policy="heuristic", seed=1, speed=1.0)
        assert set(made) == {"room"} and made["room"]["name"] == name
        assert name in [room["name"] for room in client.list_rooms()["rooms"]]
        joined = client.join_room(room=name)
        assert joined["role"] == "owner" and joined["state"]["tick"] == 0
        assert client.step_game(room=name) == {"tick": 1}
        assert client.get_state(room=name)["state"]["tick"] == 1
        assert client.set_speed(room=name, speed="max") == {"speed": "max"}
        assert client.reset_game(room=name)["tick"] == 1
        assert client.get_state(room=name)["state"]["episode"] == 2
        # The answers are the acks of the server's own models, less their ok.
        for event, fields in (
            ("list_rooms", {}),
            ("get_state", {"room": name}),
            ("metrics_history", {"room": name}),
            ("inspect_agent", {"room": name, "agent": 0}),
            ("grant_control", {"room": name, "user": "bob", "allow": True}),
        ):
            CLIENT_EVENTS[event].ack.model_validate({"ok": True, **client.call(event, **fields)})
        assert client.leave_room(room=name) == {}
        assert client.delete_room(room=name) == {}
        with pytest.raises(simrooms.NotFound) as caught:
            client.get_state(room=name)
        assert caught.value.code == "not_found" and name in caught.value.message


def test_errors_are_subclasses_of_protocol_error(server: Server, token: str) -> None:
    with simrooms.Client(server.url, token=token) as alice:
        with pytest.raises(simrooms.InvalidPayload) as local:
            alice.create_room(name=" bad", agents="4")
        assert local.value.code == "invalid_payload"
        assert local.value.message.startswith("create_room: field 'name' has ' bad'")
        with pytest.raises(simrooms.InvalidPayload, match="unknown field 'colour'"):
            alice.join_room(room="x", colour="red")
        name = room_name("errs")
        alice.create_room(name=name, policy="heuristic", seed=1)
        with pytest.raises(simrooms.Conflict):
            alice.create_room(name=name.upper(), policy="heuristic")
        # The server answers the same code for a payload sent past the local check.
        answer = alice.sio.call("create_room", {"name": name, "agents": "4"}, namespace="/sim")
        with pytest.raises(simrooms.InvalidPayload) as remote:
            unwrap("create_room", answer)
        assert remote.value.message == "create_room: field 'agents' has '4': input should be a valid integer."
        with pytest.raises(simrooms.InvalidPayload) as same:
            alice.create_room(name=name, agents="4")
        assert same.value.message == remote.value.message
        alice.start_game(room=name)
        with pytest.raises(simrooms.InvalidState):
            alice.step_game(room=name)
        with simrooms.Client(server.url, username="bob", password=PASSWORD) as bob:
            with pytest.raises(simrooms.Forbidden) as forbidden:
                bob.stop_game(room=name)
            assert forbidden.value.code == "forbidden" and forbidden.value.message
        alice.delete_room(room=name)
    with pytest.raises(simrooms.Unauthorized):
        simrooms.Client(server.url, token="not-a-token")
    with pytest.raises(simrooms.Unauthorized):
        simrooms.Client(server.url, username="alice", password="wrong password")


def test_updates_are_the_states_get_state_gives(server: Server, token: str) -> None:
    with simrooms.Client(server.url, token=token) as client:
        name = room_name("upd")
        client.create_room(name=name, policy="heuristic", seed=3)
        states = client.updates(name, timeout=30)
        first = next(states)
        assert first == client.get_state(room=name)["state"]
        for _ in range(12):
            tick = client.step_game(room=name)["tick"]
            state = next(states)
            assert state["tick"] == tick
            assert state == client.get_state(room=name)["state"]
        states.close()
        client.delete_room(room=name)


def test_updates_go_on_under_a_room_s_new_name(server: Server, token: str) -> None:
    with simrooms.Client(server.url, token=token) as client:
        name = room_name("renamed")
        client.create_room(name=name, policy="heuristic", seed=3)
        states = client.updates(name, timeout=30)
        assert next(states)["tick"] == 0
        client.step_game(room=name)
        assert next(states)["tick"] == 1
        new = f"{name} now"
        client.rename_room(room=name, name=new)
        tick = client.step_game(room=new)["tick"]
        state = next(states)
        assert (state["room"], state["tick"]) == (new, tick)
        assert state == client.get_state(room=new)["state"]
        states.close()
        client.delete_room(room=new)


def test_wait_for_an_episode_and_the_episodes(server: Server, token: str) -> None:
    with simrooms.Client(server.url, token=token) as client:
        name = room_name("wait")
        client.create_room(
            name=name, policy="heuristic", seed=1, speed="max", config={"world": {"max_ticks": 50}}
        )
        client.start_game(room=name)
        state = client.wait_for(name, episode=2, timeout=60)
        assert state["episode"] >= 2
        later = client.wait_for(name, lambda s: s["tick"] >= state["tick"] + 60, timeout=60)
        assert later["episode"] >= 3
        client.stop_game(room=name)
        rows = client.episodes(name, as_frame=False)
        assert isinstance(rows, list) and len(rows) >= 2
        assert [row["episode"] for row in rows[:2]] == [1, 2]
        assert all(row["ticks"] == 50 for row in rows)
        with pytest.raises(simrooms.NotFound):
            client.episodes("no such room")
        client.delete_room(room=name)


def test_it_reconnects_and_rejoins_after_a_restart(tmp_path: Path) -> None:
    own = Server(tmp_path / "serve")
    try:
        with simrooms.Client(own.url, username="alice", password=PASSWORD, timeout=60) as client:
            name = room_name("again")
            client.create_room(name=name, policy="heuristic", seed=1)
            states = client.updates(name, timeout=60)
            assert next(states)["tick"] == 0
            client.step_game(room=name)
            assert next(states)["tick"] == 1
            own.stop()
            own.start()
            fresh = next(states)  # the full state of the join made again after reconnecting
            assert fresh == client.get_state(room=name)["state"]
            tick = client.step_game(room=name)["tick"]
            after = next(states)
            assert after["tick"] == tick == fresh["tick"] + 1
            assert after == client.get_state(room=name)["state"]
            states.close()
    finally:
        own.stop()


def test_updates_end_when_the_room_goes_or_the_client_closes(server: Server, token: str) -> None:
    client = simrooms.Client(server.url, token=token)
    name = room_name("ends")
    client.create_room(name=name, policy="heuristic", seed=1)
    states = client.updates(name, timeout=30)
    assert next(states)["tick"] == 0
    client.delete_room(room=name)
    assert list(states) == []
    other = room_name("ends")
    client.create_room(name=other, policy="heuristic", seed=1)
    again = client.updates(other, timeout=30)
    assert next(again)["room"] == other
    client.close()
    assert list(again) == []
    with pytest.raises(ConnectionError):
        client.list_rooms()


def test_episodes_as_a_frame_when_pandas_is_there(monkeypatch: pytest.MonkeyPatch) -> None:
    rows = [{"episode": 1, "products": 3}]
    assert as_frame_or_list(rows, False) is rows
    frames = types.ModuleType("pandas")
    frames.DataFrame = lambda given: ("frame", given)  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "pandas", frames)
    assert as_frame_or_list(rows, None) == ("frame", rows)
    assert as_frame_or_list(rows, True) == ("frame", rows)
    monkeypatch.setitem(sys.modules, "pandas", None)  # not installed
    assert as_frame_or_list(rows, None) is rows
    with pytest.raises(ImportError):
        as_frame_or_list(rows, True)
