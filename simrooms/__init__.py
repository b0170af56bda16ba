"""simrooms' public Python API.

`Client` (blocking) and `AsyncClient` (asyncio) talk to a simrooms server: one method per client
event of the protocol (simrooms.protocol, simrooms.events), `updates`, `wait_for`, `episodes`;
an error ack raises a `ProtocolError` subclass (simrooms.errors).

Room configs (`RoomConfig` with its `WorldSettings` and `LearnerSettings`) are the bounded,
documented definition of what a room may be configured with: the models behind `create_room`,
`create_sweep` and `simrooms simulate --config` (simrooms.config).
"""

from __future__ import annotations

from simrooms.aclient import AsyncClient
from simrooms.client import Client
from simrooms.config import LearnerSettings, RoomConfig, WorldSettings, describe_error, read_room_config
from simrooms.errors import (
    Conflict,
    Forbidden,
    Internal,
    InvalidPayload,
    InvalidState,
    LimitReached,
    NotFound,
    ProtocolError,
    RateLimited,
    Unauthorized,
)

__all__ = [
    "AsyncClient",
    "Client",
    "Conflict",
    "Forbidden",
    "Internal",
    "InvalidPayload",
    "InvalidState",
    "LearnerSettings",
    "LimitReached",
    "NotFound",
    "ProtocolError",
    "RateLimited",
    "RoomConfig",
    "Unauthorized",
    "WorldSettings",
    "describe_error",
    "read_room_config",
]
