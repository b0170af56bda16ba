"""The sweep events of namespace ``/sim``: ``create_sweep`` and ``delete_sweep``, their payloads
and acks (the rest of the protocol is simrooms.protocol)."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, StrictBool, StrictFloat, StrictInt, StringConstraints, model_validator

from agents.policy import PolicyName
from env.config import MAX_AGENTS
from simrooms.config import LEARNING_POLICIES, RoomConfig
from simrooms.protocol import MAX_SEED, ClientModel, OkAck, RoomInfo, RoomName, ServerModel, Speed


class SweepRoom(ClientModel):
    """What each room of a sweep is: create_room's fields but its name, seed and fork."""

    agents: Annotated[
        int, Field(ge=1, le=MAX_AGENTS, description=f"Agents in each room, 1-{MAX_AGENTS}.")
    ] = 4
    policy: PolicyName = "learning"
    speed: Speed = 1.0
    public: bool = True
    config: RoomConfig | None = None

    @model_validator(mode="after")
    def _learner_only_for_learning(self) -> SweepRoom:
        if self.config is not None:
            self.config.check_policy(self.policy)
        return self


GridValue = StrictBool | StrictInt | StrictFloat | Annotated[str, StringConstraints(max_length=40)]
MAX_SWEEP_ROOMS = 64
"""Rooms one sweep makes at most: seeds times grid points."""


class CreateSweep(ClientModel):
    """Make and start one room per seed and grid point, each with those values in its config.
    Its rooms count against the sender's room limits; they are named after the sweep."""

    name: RoomName
    room: SweepRoom = Field(default_factory=SweepRoom)
    seeds: Annotated[
        list[Annotated[int, Field(ge=0, le=MAX_SEED)]],
        Field(min_length=1, max_length=32, description="The seeds each grid point runs with, 1 to 32."),
    ]
    grid: dict[
        Annotated[str, StringConstraints(pattern=r"^(world|learner)\.[a-z_]+$")],
        Annotated[list[GridValue], Field(min_length=1, max_length=MAX_SWEEP_ROOMS)],
    ] = Field(
        default_factory=dict,
        description='Config fields by dotted name ("world.max_ticks", "learner.learning_rate") and the '
        f"values each takes; the rooms are every combination, times the seeds: {MAX_SWEEP_ROOMS} at most.",
    )

    @model_validator(mode="after")
    def _bounded(self) -> CreateSweep:
        if len(set(self.seeds)) != len(self.seeds):
            raise ValueError(f"seeds {self.seeds} name a seed twice")
        rooms = len(self.seeds)
        for values in self.grid.values():
            rooms *= len(values)
        if rooms > MAX_SWEEP_ROOMS:
            raise ValueError(
                f"{len(self.seeds)} seeds over the grid's points make {rooms} rooms; a sweep makes at most {MAX_SWEEP_ROOMS}"
            )
        learner = [field for field in self.grid if field.startswith("learner.")]
        if learner and self.room.policy not in LEARNING_POLICIES:
            raise ValueError(
                f"grid field {learner[0]!r} is a learner's, and {self.room.policy} rooms do not learn"
            )
        return self


class DeleteSweep(ClientModel):
    """Delete a sweep and every room it made. Owner and admins only."""

    name: RoomName


class SweepInfo(ServerModel):
    name: str
    rooms: list[RoomInfo] = Field(description="One room per seed and grid point, all started.")


class SweepAck(OkAck):
    sweep: SweepInfo
