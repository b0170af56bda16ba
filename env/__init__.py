"""The production world of simrooms: a grid where agents carry resources to factories.

``ProductionEnv`` is one room behind an API shaped like PettingZoo's parallel API; ``BatchedWorld``
steps many rooms in one vectorised call; ``diff`` and ``apply`` turn snapshots into compact
deltas and back (the reference implementation; ``env.wire`` holds the wire form's names, codes
and scales). The checks of ``env.conformance`` test any of these against the contract.
"""

from __future__ import annotations

from env.config import ACTION_NAMES, CELL_NAMES, MAX_AGENTS, NUM_ACTIONS, WorldConfig
from env.core import BatchedWorld, StepResult, observation_size
from env.delta import apply, diff
from env.layout import Layout, lay_out
from env.parallel import ProductionEnv

__all__ = [
    "ACTION_NAMES",
    "CELL_NAMES",
    "MAX_AGENTS",
    "NUM_ACTIONS",
    "BatchedWorld",
    "Layout",
    "ProductionEnv",
    "StepResult",
    "WorldConfig",
    "apply",
    "diff",
    "lay_out",
    "observation_size",
]
