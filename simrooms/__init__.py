"""simrooms' public Python API.

`Client` (blocking) and `AsyncClient` (asyncio) talk to a simrooms server: one method per client
event of the protocol (simrooms.protocol, simrooms.events), `updates`, `wait_for`, `episodes`;
an error ack raises a `ProtocolError` subclass (simrooms.errors).

Room configs (`RoomConfig` with its `WorldSettings` and `LearnerSettings`) are the bounded,
documented definition of what a room may be configured with: the models behind `create_room`,
`create_sweep` and `simrooms simulate --config` (simrooms.config).

`parallel_env(num_agents=4, **world_fields)` is the production world as a PettingZoo
``ParallelEnv`` with Gymnasium spaces, for training agents with other libraries (simrooms.parallel).
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
from simrooms.parallel import ProductionParallelEnv, parallel_env

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
    "ProductionParallelEnv",
    "ProtocolError",
    "RateLimited",
    "RoomConfig",
    "Unauthorized",
    "WorldSettings",
    "describe_error",
    "parallel_env",
    "read_room_config",
]
