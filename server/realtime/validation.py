"""Parsing client payloads: the validated model of an event, or a ProtocolError naming the bad value."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from server.realtime.events import CLIENT_EVENTS
from server.realtime.protocol import ClientModel, ErrorCode


class ProtocolError(Exception):
    """A failure answered by an error ack."""

    def __init__(self, code: ErrorCode, message: str) -> None:
        super().__init__(message)
        self.code: ErrorCode = code
        self.message = message

    def ack(self) -> dict[str, Any]:
        return error_ack(self.code, self.message)


def error_ack(code: ErrorCode, message: str) -> dict[str, Any]:
    return {"ok": False, "error": {"code": code, "message": message}}


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


_RULES = {
    "name": "1-40 ASCII letters, digits, spaces, '-' or '_', with no space at either end",
    "room": "a room name: 1-40 ASCII letters, digits, spaces, '-' or '_', with no space at either end",
    "user": "a user name: 1-40 ASCII letters, digits, '.', '-' or '_'",
    "speed": 'a number from 0.1 to 5.0 or the string "max"',
}


def describe(error: ValidationError, event: str) -> str:
    """One sentence naming the first bad value of `error`."""
    first = error.errors(include_url=False)[0]
    parts = [str(part) for part in first["loc"]]
    field = ".".join(parts)
    if not parts:
        message = first["msg"].removeprefix("Value error, ").rstrip(".")
        return f"{event}: {message}."
    if first["type"] == "value_error":
        message = first["msg"].removeprefix("Value error, ").rstrip(".")
        return f"{event}: {field}: {message}."
    if first["type"] == "extra_forbidden":
        return f"{event}: unknown field {field!r}."
    if first["type"] == "missing":
        return f"{event}: field {field!r} is required."
    value = _short(first["input"])
    rule = _RULES.get(parts[-1])
    if rule is not None and first["type"] in (
        "string_pattern_mismatch",
        "float_type",
        "literal_error",
        "string_type",
    ):
        return f"{event}: field {field!r} has {value}; it should be {rule}."
    message = first["msg"].rstrip(".")
    return f"{event}: field {field!r} has {value}: {message[0].lower()}{message[1:]}."


def parse(event: str, args: tuple[Any, ...]) -> ClientModel:
    """The validated payload of client event `event` sent with `args`, or ProtocolError."""
    spec = CLIENT_EVENTS[event]
    if len(args) != 1:
        what = "no payload" if not args else f"{len(args)} arguments"
        raise ProtocolError("invalid_payload", f"{event} takes one JSON object, not {what}.")
    payload = args[0]
    if not isinstance(payload, dict):
        kind = "null" if payload is None else type(payload).__name__
        kind = {"list": "a list", "bytes": "binary data", "str": "a string", "bool": "a boolean"}.get(
            kind, kind
        )
        raise ProtocolError("invalid_payload", f"{event} takes one JSON object, not {kind}.")
    try:
        return spec.model.model_validate(payload)
    except ValidationError as error:
        raise ProtocolError("invalid_payload", describe(error, event)) from None
