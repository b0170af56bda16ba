"""Generate docs/protocol.md and the ``GET /api/schema`` document from simrooms.protocol's models.

``python -m server.realtime.protocol_docs`` rewrites docs/protocol.md; ``--check`` exits 1 when it is stale.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from env.generated import write_or_check
from simrooms.events import CLIENT_EVENTS, SERVER_EVENTS
from simrooms.protocol import (
    ERROR_CODES,
    NAMESPACE,
    AgentState,
    ErrorAck,
    ErrorBody,
    LogEntry,
    PresenceUser,
    RoomInfo,
    Snapshot,
    Stats,
)

DOC_PATH = Path(__file__).resolve().parents[2] / "docs" / "protocol.md"


def _schema(model: type[BaseModel]) -> dict[str, Any]:
    return model.model_json_schema(by_alias=True)


def schema() -> dict[str, Any]:
    """The whole protocol as JSON Schemas, with an example of every event."""
    return {
        "namespace": NAMESPACE,
        "error_codes": list(ERROR_CODES),
        "client_events": {
            name: {
                "payload": _schema(e.model),
                "ack": _schema(e.ack),
                "error_ack": _schema(ErrorAck),
                "example": e.example,
                "example_ack": e.example_ack,
            }
            for name, e in CLIENT_EVENTS.items()
        },
        "server_events": {
            name: {"payload": [_schema(m) for m in e.models], "example": e.example}
            for name, e in SERVER_EVENTS.items()
        },
    }


def _type_of(prop: dict[str, Any], defs: dict[str, Any]) -> str:
    if "$ref" in prop:
        return str(prop["$ref"]).rsplit("/", 1)[-1]
    if "anyOf" in prop:
        return " or ".join(_type_of(option, defs) for option in prop["anyOf"])
    if "const" in prop:
        return json.dumps(prop["const"])
    if "enum" in prop:
        return " / ".join(json.dumps(v) for v in prop["enum"])
    kind = prop.get("type", "any")
    if kind == "array":
        return f"list of {_type_of(prop.get('items', {}), defs)}"
    if kind == "object" and "additionalProperties" in prop and isinstance(prop["additionalProperties"], dict):
        return f"object of {_type_of(prop['additionalProperties'], defs)}"
    return str(kind)


def _bounds(prop: dict[str, Any]) -> str:
    parts = []
    for option in prop.get("anyOf", [prop]):
        if "minimum" in option or "maximum" in option:
            parts.append(f"{option.get('minimum', '')}..{option.get('maximum', '')}")
        if "pattern" in option:
            parts.append(f"`{option['pattern']}`")
        if "minLength" in option or "maxLength" in option:
            parts.append(f"length {option.get('minLength', 0)}-{option.get('maxLength', '')}")
    return ", ".join(parts)


def _fields_table(model: type[BaseModel]) -> list[str]:
    schema_ = _schema(model)
    props: dict[str, Any] = schema_.get("properties", {})
    if not props:
        return ["No fields: send `{}`.", ""]
    required = set(schema_.get("required", []))
    defs = schema_.get("$defs", {})
    lines = ["| field | type | required / default | bounds | notes |", "| --- | --- | --- | --- | --- |"]
    for name, prop in props.items():
        need = "required" if name in required else f"default `{json.dumps(prop.get('default'))}`"
        note = (prop.get("description") or "").replace("\n", " ").replace("|", "\\|")
        bounds = _bounds(prop).replace("|", "\\|")
        lines.append(f"| `{name}` | {_type_of(prop, defs)} | {need} | {bounds} | {note} |")
    lines.append("")
    return lines


def _doc(model: type[BaseModel]) -> str:
    text = (model.__doc__ or "").strip()
    return " ".join(text.split())


def _example(value: Any) -> list[str]:
    return ["```json", json.dumps(value, indent=None, separators=(", ", ": ")), "```", ""]


INTRO = """# The simrooms Socket.IO protocol

Generated from `simrooms/protocol.py`, `protocol_sweeps.py`, `protocol_sharing.py`, `protocol_manage.py` and `events.py` by `python -m server.realtime.protocol_docs`; do not edit by hand
(a test fails when this file is stale). `GET /api/schema` serves the same models as JSON Schema.
From Python, `simrooms.Client` and `simrooms.AsyncClient` speak it: each client event below is a
method taking its payload as keywords, checked with these same models before it is sent (README, "From code").

## Connecting

Namespace `/sim`. Connect with the session cookie of `POST /login`, or with
`auth={"token": TOKEN}` where TOKEN comes from `POST /api/token` (JSON `{"username", "password"}`
answered by `{"token", "expires_at"}`). Anything else is refused with the connect error message
`unauthorized` and data `{"code": "unauthorized", "message": ...}`. Where connections are
limited (a server listening beyond loopback, or `limit_connections`), a signed-in user who already
holds as many connections as one user may (`max_connections_per_user`) is refused with
`limit_reached`, one who connects too often (`connects_per_user_per_second`) with `rate_limited`,
each with the same form of data. A packet that cannot be decoded, or a connection that does not
read what it is sent, closes that connection (see docs/security.md).

## Acks and errors

Every client event takes one JSON object and is answered by an ack: `{"ok": true, ...}` or
`{"ok": false, "error": {"code": CODE, "message": str}}`. The message is one sentence naming the
bad value. Payloads are validated strictly: no coercion (`"4"` is not an int, `true` is not a
number), unknown fields are refused, and an event sent with no payload, `null`, a list or binary
data gets `invalid_payload`. Unknown event names get no ack.

| code | when |
| --- | --- |
| `invalid_payload` | the payload is not one JSON object of the event's fields, or a value is out of range |
| `unauthorized` | the connection is not signed in |
| `forbidden` | the user may see the room but not do this (controls need control, granting and deleting need ownership or admin) |
| `not_found` | no such room or user, or a private room the user may not see |
| `conflict` | a room name is taken (names ignore case), by a room the user may see or not |
| `rate_limited` | the connection sent too many events, or (`create_room`, `rename_room`, `grant_control`) the user was told too often that a name is taken or unknown (`name_probes_per_user_per_second`), or (`request_control`) asked for control of the room less than 30 s ago; it stays connected |
| `limit_reached` | a server, per-user or per-room limit is full |
| `invalid_state` | the room is not in a state for this (`step_game` on a running room; `restart_training` of a room that does not learn; `request_control` from a user who controls the room already, or when nobody who may grant control has joined it) |
| `internal` | the server failed; the error is logged |

Roles: the room's `owner`, `controller`s it granted control, `admin`s (every room) and
`observer`s. Controls (`start_game`, `stop_game`, `step_game`, `reset_game`, `set_speed`,
`restart_training`) belong to owner, controllers and admins; `grant_control`, `delete_room` and
`rename_room` to owner and admins. A private
room is invisible (`not_found`, absent from lists) to everyone else. Controls, `get_state`,
`grant_control` and `delete_room` do not need a join; `create_room` does not join. Anyone who may
see a room may `request_control` of it.

## Updates

A member receives `state_update` events, at most 20 a second per room whatever the speed (several
ticks fold into one delta at high speeds). On `join_room` the joining connection gets a full one
(`full: true`, the Snapshot's fields at the top level) before any delta built on it; after that,
each delta (`full: false`) applies to the state the previous `state_update` gave. Apply them in
order. A client that reconnects joins again and gets a full one. `ts` is the server's time in
epoch milliseconds when the update was made.

A delta update carries the delta's fields (below) at its top level, beside `room`, `tick`,
`episode`, `ts` and `full`: the update without `ts` and `full` is the delta to apply (its `room`,
`tick` and `episode` are the new state's).

"""


def _delta_section() -> list[str]:
    from env import delta

    doc = (delta.__doc__ or "").strip()
    return [
        "## Deltas",
        "",
        "The fields of a `state_update` with `full: false`, as `env/delta.py` makes them",
        "(`apply(prev, diff(prev, next)) == next`):",
        "",
        *doc.replace("``", "`").splitlines(),
        "",
    ]


def markdown() -> str:
    lines = [INTRO]
    lines += _delta_section()
    lines += ["## Client events", ""]
    for name, e in CLIENT_EVENTS.items():
        lines += [f"### `{name}`", "", _doc(e.model), ""]
        lines += _fields_table(e.model)
        lines += ["Example:", "", *_example(e.example)]
        lines += ["Ack:", "", *_example(e.example_ack)]
    lines += ["## Server events", ""]
    for name, s in SERVER_EVENTS.items():
        lines += [f"### `{name}`", ""]
        for model in s.models:
            if len(s.models) > 1:
                lines += [f"#### {model.__name__}", ""]
            lines += [_doc(model), ""]
            lines += _fields_table(model)
        lines += ["Example:", "", *_example(s.example)]
    lines += ["## Shared shapes", ""]
    for model in (RoomInfo, Snapshot, AgentState, Stats, LogEntry, PresenceUser, ErrorBody):
        lines += (
            [f"### {model.__name__}", "", _doc(model), ""] if _doc(model) else [f"### {model.__name__}", ""]
        )
        lines += _fields_table(model)
    return "\n".join(lines).rstrip() + "\n"


def main(argv: list[str] | None = None) -> int:
    return write_or_check(__doc__, DOC_PATH, markdown, "python -m server.realtime.protocol_docs", argv)


if __name__ == "__main__":
    sys.exit(main())
