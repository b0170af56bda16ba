"""simrooms' public Python API.

Room configs (`RoomConfig` with its `WorldSettings` and `LearnerSettings`) are the bounded,
documented definition of what a room may be configured with: the models behind `create_room`,
`create_sweep` and `simrooms simulate --config` (simrooms.config).
"""

from __future__ import annotations

from simrooms.config import LearnerSettings, RoomConfig, WorldSettings, describe_error, read_room_config

__all__ = ["LearnerSettings", "RoomConfig", "WorldSettings", "describe_error", "read_room_config"]
