"""A room's whole state as one value, and its file: safetensors, the facts as JSON in the metadata.

`RoomCheckpoint` is what `agents.fleet.Fleet.checkpoint` takes out of a fleet and `Fleet.restore`
puts into one (agents.room_state says what it holds). It is numpy and JSON only, never MLX, so
the file functions here run on any thread: a server writes checkpoints beside the thread that
steps its rooms.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import safetensors.numpy

FORMAT = "simrooms-room-v1"
"""The format a RoomCheckpoint's facts name; reading refuses any other."""


@dataclass
class RoomCheckpoint:
    """Everything a room's future depends on."""

    facts: dict[str, Any]
    """JSON-safe: the format, the room's kind and configs, seeds, counters, totals, RNG states."""
    arrays: dict[str, np.ndarray]
    """Its worlds, weights, optimiser state and rollout in progress, by name."""


def json_safe(value: Any) -> Any:
    """`value` as reading it back from JSON gives it (tuples become lists...): a checkpoint's
    facts are held so, equal in memory and read from a file. A TypeError names what JSON cannot hold."""
    return json.loads(json.dumps(value))


def write_room_checkpoint(path: str | Path, checkpoint: RoomCheckpoint) -> int:
    """Write `checkpoint` to `path` whole or not at all (a temporary file in the same directory,
    synced, then renamed over `path`); the bytes written."""
    # Not np.ascontiguousarray, which makes 0-d arrays 1-d.
    arrays = {name: _contiguous(np.asarray(value)) for name, value in checkpoint.arrays.items()}
    data = safetensors.numpy.save(arrays, metadata={"format": FORMAT, "facts": json.dumps(checkpoint.facts)})
    target = Path(path)
    handle, temporary = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise
    _sync_directory(target.parent)
    return len(data)


def _sync_directory(directory: Path) -> None:
    """Make a rename in `directory` survive a crash of the machine, where the system allows it."""
    try:
        handle = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        with contextlib.suppress(OSError):  # some refuse to sync a directory; the rename is atomic still
            os.fsync(handle)
    finally:
        os.close(handle)


def _contiguous(array: np.ndarray) -> np.ndarray:
    return array if array.flags.c_contiguous else array.copy(order="C")


def read_room_checkpoint(path: str | Path) -> RoomCheckpoint:
    """The checkpoint `write_room_checkpoint` wrote to `path`; a ValueError naming the path when
    the file is not a room checkpoint of this format."""
    data = Path(path).read_bytes()
    try:
        size = int.from_bytes(data[:8], "little")
        header = json.loads(data[8 : 8 + size])
        metadata = header.get("__metadata__") or {}
        arrays = safetensors.numpy.load(data)
    except Exception as error:
        raise ValueError(f"{str(path)!r} is not a simrooms room checkpoint: {error}") from None
    if metadata.get("format") != FORMAT:
        raise ValueError(
            f"{str(path)!r} is not a simrooms room checkpoint of format {FORMAT!r} "
            f"(its format is {metadata.get('format')!r})."
        )
    try:
        facts = json.loads(metadata["facts"])
    except (KeyError, ValueError) as error:
        raise ValueError(f"{str(path)!r} holds no readable room facts: {error}") from None
    if not isinstance(facts, dict) or facts.get("format") != FORMAT:
        raise ValueError(f"{str(path)!r} holds facts of another format than {FORMAT!r}.")
    return RoomCheckpoint(facts, arrays)
