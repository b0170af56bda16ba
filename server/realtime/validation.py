"""Parsing client payloads: the validated model of an event, or a ProtocolError naming the bad value
(simrooms.errors.describe, the sentence the client raises too)."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from simrooms.errors import describe
from simrooms.events import CLIENT_EVENTS
from simrooms.protocol import ClientModel, ErrorCode


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
