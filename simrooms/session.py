"""What simrooms.Client and simrooms.AsyncClient share: signing in, a payload checked with the
event's own model before it is sent, an ack turned into its fields or an exception, the room
states that ``state_update`` events make, and the client methods built from the event registry."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import quote

import requests
from pydantic import BaseModel, ValidationError

from env.delta import apply
from simrooms.errors import InvalidPayload, ProtocolError, Unauthorized, describe, error_for
from simrooms.events import CLIENT_EVENTS

END = object()
"""What a room's feed gets when its updates end (left, deleted, membership ended, client closed)."""

JOINS = "join_room"


def sign_in(url: str, username: str, password: str, timeout: float) -> str:
    """A bearer token of `POST /api/token`; Unauthorized for a wrong name or password."""
    answer = requests.post(
        url + "/api/token", json={"username": username, "password": password}, timeout=timeout
    )
    if answer.status_code != 200:
        raise Unauthorized(f"POST /api/token answered {answer.status_code}: {http_message(answer)}")
    return str(answer.json()["token"])


def http_message(answer: requests.Response) -> str:
    try:
        return str(answer.json().get("error", answer.text))
    except ValueError:
        return answer.text


def fetch_episodes(url: str, token: str, room: str, timeout: float) -> list[dict[str, Any]]:
    """The room's finished episodes, oldest first, from `GET /api/rooms/ROOM/episodes`."""
    answer = requests.get(
        f"{url}/api/rooms/{quote(room, safe='')}/episodes",
        headers={"Authorization": f"Bearer {token}"},
        timeout=timeout,
    )
    if answer.status_code != 200:
        code = {401: "unauthorized", 403: "forbidden", 404: "not_found"}.get(answer.status_code, "internal")
        raise error_for(code, http_message(answer))
    return list(answer.json()["episodes"])


def as_frame_or_list(rows: list[dict[str, Any]], as_frame: bool | None) -> Any:
    """`rows` as a pandas DataFrame when `as_frame` is true, or None and pandas is importable."""
    if as_frame is False:
        return rows
    try:
        import pandas  # type: ignore[import-not-found, import-untyped, unused-ignore]
    except ImportError:
        if as_frame:
            raise
        return rows
    return pandas.DataFrame(rows)


def payload(event: str, fields: dict[str, Any]) -> dict[str, Any]:
    """`fields` checked with the event's model, as JSON to send; InvalidPayload (the sentence the
    server would answer) when they do not fit."""
    spec = CLIENT_EVENTS.get(event)
    if spec is None:
        raise ValueError(f"{event!r} is not a client event of the protocol")
    try:
        model = spec.model.model_validate(
            {
                k: v.model_dump(exclude_unset=True) if isinstance(v, BaseModel) else v
                for k, v in fields.items()
            }
        )
    except ValidationError as error:
        raise InvalidPayload(describe(error, event)) from None
    return model.model_dump(mode="json", by_alias=True, exclude_unset=True)


def unwrap(event: str, ack: Any) -> dict[str, Any]:
    """The ack's fields without ``ok``, or its error as a ProtocolError subclass."""
    if not isinstance(ack, dict) or "ok" not in ack:
        raise ProtocolError(f"{event}: the server answered {ack!r}, not an ack.", "internal")
    if ack["ok"] is not True:
        error = ack.get("error") or {}
        raise error_for(str(error.get("code", "internal")), str(error.get("message", "")))
    return {k: v for k, v in ack.items() if k != "ok"}


def refusal(data: Any) -> ProtocolError | None:
    """The exception of a refused connect's data (``{"code", "message"}``, maybe wrapped)."""
    if isinstance(data, dict) and isinstance(data.get("data"), dict):
        data = data["data"]
    if isinstance(data, dict) and "code" in data:
        return error_for(str(data["code"]), str(data.get("message", data["code"])))
    if isinstance(data, str) and data:
        return error_for(data, data)
    return None


class States:
    """The state of each joined room, kept by applying its ``state_update`` events in order.

    Rooms are keyed by their name in lower case (names are unique ignoring case)."""

    def __init__(self) -> None:
        self.joined: set[str] = set()
        self.states: dict[str, dict[str, Any]] = {}

    def update(self, data: Any) -> tuple[str, dict[str, Any]] | None:
        """The room and its new state after one ``state_update``, or None when it is not for a
        joined room or is a delta without the state it applies to (after a reconnect, before the
        full one)."""
        if not isinstance(data, dict) or not isinstance(data.get("room"), str):
            return None
        key = data["room"].lower()
        if key not in self.joined:
            return None
        body = {k: v for k, v in data.items() if k not in ("ts", "full")}
        if data.get("full"):
            state = body
        else:
            previous = self.states.get(key)
            if previous is None:
                return None
            state = apply(previous, body)
        self.states[key] = state
        return key, state

    def rename(self, data: Any, feeds: dict[str, list[Any]]) -> None:
        """A room was renamed (``room_renamed``): a joined one's state, membership and `feeds` (a
        client's ``updates`` queues, by room) go on under its new name."""
        if not (
            isinstance(data, dict) and isinstance(data.get("room"), str) and isinstance(data.get("name"), str)
        ):
            return
        old, new = data["room"].lower(), data["name"].lower()
        if old not in self.joined:
            return
        self.joined.discard(old)
        self.joined.add(new)
        state = self.states.pop(old, None)
        if state is not None:
            self.states[new] = {**state, "room": data["name"]}
        moved = feeds.pop(old, [])
        feeds.setdefault(new, []).extend(moved)

    def forget_states(self) -> None:
        """The connection dropped: deltas no longer apply until each room's full update."""
        self.states.clear()


def drop_feed(feeds: dict[str, list[Any]], feed: Any) -> None:
    """Forget an ``updates`` queue, under whatever name its room has now."""
    for queues in feeds.values():
        if any(queued is feed for queued in queues):
            queues.remove(feed)


def signature(event: str, *, asynchronous: bool = False) -> inspect.Signature:
    """Keyword-only parameters for the fields of the event's payload model."""
    model = CLIENT_EVENTS[event].model
    params = [inspect.Parameter("self", inspect.Parameter.POSITIONAL_OR_KEYWORD)]
    for name, field in model.model_fields.items():
        default = (
            inspect.Parameter.empty if field.is_required() else field.get_default(call_default_factory=True)
        )
        params.append(
            inspect.Parameter(
                name, inspect.Parameter.KEYWORD_ONLY, default=default, annotation=field.annotation
            )
        )
    return inspect.Signature(params, return_annotation=dict[str, Any])


def method_doc(event: str) -> str:
    spec = CLIENT_EVENTS[event]
    text = " ".join((spec.model.__doc__ or "").split())
    fields = [name for name in spec.ack.model_fields if name != "ok"]
    answer = f"a dict of {', '.join(fields)}" if fields else "an empty dict"
    example = {k: v for k, v in spec.example.items()}
    return (
        f"``{event}``: {text}\n\nSends ``{event}`` with the keyword arguments as its payload, checked "
        f"first with simrooms.protocol's ``{spec.model.__name__}`` (InvalidPayload when they do not "
        f"fit), and returns the ack without ``ok``: {answer} (``{spec.ack.__name__}``). An error ack "
        f"raises the ProtocolError subclass of its code.\n\nExample payload: ``{example}``"
    )


def add_event_methods(
    cls: type, make: Callable[[str], Callable[..., Any]], events: Iterable[str] = CLIENT_EVENTS
) -> None:
    """Give `cls` one method per client event, named after it, made by `make(event)`."""
    for event in events:
        if hasattr(cls, event):
            raise TypeError(f"{cls.__name__}.{event} exists: a client event may not take its name")
        method = make(event)
        method.__name__ = event
        method.__qualname__ = f"{cls.__name__}.{event}"
        method.__doc__ = method_doc(event)
        method.__signature__ = signature(event)  # type: ignore[attr-defined]
        setattr(cls, event, method)
