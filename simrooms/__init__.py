"""simrooms' public Python API.

Room configs (`RoomConfig` with its `WorldSettings` and `LearnerSettings`) are the bounded,
documented definition of what a room may be configured with: the models behind `create_room`,
`create_sweep` and `simrooms simulate --config` (simrooms.config).

`parallel_env(num_agents=4, **world_fields)` is the production world as a PettingZoo
``ParallelEnv`` with Gymnasium spaces, for training agents with other libraries (simrooms.parallel).
"""

from __future__ import annotations

from simrooms.config import LearnerSettings, RoomConfig, WorldSettings, describe_error, read_room_config
from simrooms.parallel import ProductionParallelEnv, parallel_env

__all__ = [
    "LearnerSettings",
    "ProductionParallelEnv",
    "RoomConfig",
    "WorldSettings",
    "describe_error",
    "parallel_env",
    "read_room_config",
]
