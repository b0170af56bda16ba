"""The events of namespace ``/sim`` that manage a room as a whole: ``restart_training`` and
``rename_room``, and the server event ``room_renamed`` (the rest of the protocol is
simrooms.protocol)."""

from __future__ import annotations

from pydantic import Field

from simrooms.protocol import RoomName, RoomRequest, ServerModel


class RestartTraining(RoomRequest):
    """Start the room's learning over: the episode ends as with ``reset_game`` (``game_ended``
    with reason ``reset``) and the policy starts again from fresh weights, drawn from the room's
    seed and how many restarts it had, with a fresh optimiser and an empty rollout. Tick and
    episode numbers go on; replays, seeks, forks and restarts of the server reproduce it.
    Controllers only; a room that does not learn answers invalid_state."""


class RenameRoom(RoomRequest):
    """Give the room another name. It keeps everything else: tick, state, running, history,
    grants, checkpoints, episodes and its sweep. Its members stay members (they get
    ``room_renamed``); the old name answers not_found from then on. A name another room has
    (ignoring case) is a conflict; a change of case of its own name is not. Owner and admins only."""

    name: RoomName = Field(description="The room's new name, with create_room's rules.")


class RoomRenamed(ServerModel):
    """The room was renamed; its members stay members under the new name, which every later event
    of the room carries."""

    room: str = Field(description="The room's old name.")
    name: str = Field(description="Its new name.")
