"""The errors of the protocol as Python exceptions: ``ProtocolError`` and one subclass per error
code (simrooms.protocol.ERROR_CODES), and ``describe``, the one sentence naming a payload's first
bad value that the server answers and the client raises alike."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from simrooms.protocol import ERROR_CODES


class ProtocolError(Exception):
    """An error ack, a refused connection or a payload refused before sending: ``.code`` is one of
    the protocol's error codes, ``.message`` the sentence that explains it."""

    code: str = "internal"

    def __init__(self, message: str, code: str | None = None) -> None:
        super().__init__(message)
        self.code = code or type(self).code
        self.message = message

    def __repr__(self) -> str:
        return f"{type(self).__name__}(code={self.code!r}, message={self.message!r})"


class InvalidPayload(ProtocolError):
    """``invalid_payload``: the payload is not the event's fields, or a value is out of range."""

    code = "invalid_payload"


class Unauthorized(ProtocolError):
    """``unauthorized``: not signed in (a bad or expired token, a wrong password)."""

    code = "unauthorized"


class Forbidden(ProtocolError):
    """``forbidden``: the user may see the room but not do this."""

    code = "forbidden"


class NotFound(ProtocolError):
    """``not_found``: no such room or user, or a private room the user may not see."""

    code = "not_found"


class Conflict(ProtocolError):
    """``conflict``: the name is taken."""

    code = "conflict"


class RateLimited(ProtocolError):
    """``rate_limited``: too many events or connects; the connection stays."""

    code = "rate_limited"


class LimitReached(ProtocolError):
    """``limit_reached``: a server, per-user or per-room limit is full."""

    code = "limit_reached"


class InvalidState(ProtocolError):
    """``invalid_state``: the room is not in a state for this (``step_game`` while running)."""

    code = "invalid_state"


class Internal(ProtocolError):
    """``internal``: the server failed."""

    code = "internal"


ERRORS: dict[str, type[ProtocolError]] = {
    cls.code: cls
    for cls in (
        InvalidPayload,
        Unauthorized,
        Forbidden,
        NotFound,
        Conflict,
        RateLimited,
        LimitReached,
        InvalidState,
        Internal,
    )
}
assert set(ERRORS) == set(ERROR_CODES), "one ProtocolError subclass per error code"


def error_for(code: str, message: str) -> ProtocolError:
    """The exception of an error `code` (ProtocolError itself for a code this client does not know)."""
    cls = ERRORS.get(code)
    return cls(message) if cls is not None else ProtocolError(message, code)


def short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


RULES = {
    "name": "1-40 ASCII letters, digits, spaces, '-' or '_', with no space at either end",
    "room": "a room name: 1-40 ASCII letters, digits, spaces, '-' or '_', with no space at either end",
    "user": "a user name: 1-40 ASCII letters, digits, '.', '-' or '_'",
    "speed": 'a number from 0.1 to 5.0 or the string "max"',
}
"""What a value of these fields should be, in the messages of ``describe``."""


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
    value = short(first["input"])
    rule = RULES.get(parts[-1])
    if rule is not None and first["type"] in (
        "string_pattern_mismatch",
        "float_type",
        "literal_error",
        "string_type",
    ):
        return f"{event}: field {field!r} has {value}; it should be {rule}."
    message = first["msg"].rstrip(".")
    return f"{event}: field {field!r} has {value}: {message[0].lower()}{message[1:]}."
