"""A room's finished episodes as programs read them, in one place for every way out.

``GET /api/rooms/<name>/episodes`` (JSON, CSV), ``simrooms export`` (CSV, JSONL, TensorBoard) and
live tracking (server.tracking) all give the same rows: an episode's own columns
(EPISODE_COLUMNS), then its training figures, and the room's config by dotted name
(``world.max_ticks``), so that a file exported offline and one downloaded from a running server
read alike.
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Iterable, Mapping
from typing import Any

from server.storage.database import Storage
from server.storage.records import EpisodeRecord, RoomRecord

EPISODE_COLUMNS = ("episode", "end_tick", "reason", "products_created", "total_reward", "efficiency")
"""The fields every episode has, first in its row; the training figures follow."""


def episode_row(episode: EpisodeRecord) -> dict[str, Any]:
    """An episode as the API gives it: its own fields, then its training figures."""
    row: dict[str, Any] = {column: getattr(episode, column) for column in EPISODE_COLUMNS}
    row.update({key: value for key, value in episode.metrics.items() if key not in row})
    if episode.ended_at is not None:
        row["ended_at"] = episode.ended_at.isoformat().replace("+00:00", "Z")
    return row


def room_episodes(storage: Storage, room_id: int) -> list[dict[str, Any]]:
    """Every finished episode of the room's life as rows, oldest first: for a fork, its origin's
    up to the fork (and so on up the chain), then its own."""
    chain = storage.fork_chain(room_id)
    # Each room's own episodes end at the tick the next room down the chain was forked at.
    limits = [None, *(record.fork_tick for record in chain[:-1])]
    found: list[dict[str, Any]] = []
    for record, limit in zip(reversed(chain), reversed(limits), strict=True):
        found.extend(episode_row(episode) for episode in storage.episodes(record.id, up_to_tick=limit))
    return found


def config_columns(config: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """A room's whole config (RoomConfig.whole) by dotted name: ``{"world.max_ticks": 500, ...}``."""
    return {f"{part}.{field}": value for part, fields in config.items() for field, value in fields.items()}


def with_config(
    rows: Iterable[Mapping[str, Any]], config: Mapping[str, Mapping[str, Any]]
) -> list[dict[str, Any]]:
    """Each row with the room's config as dotted columns after its own."""
    settings = config_columns(config)
    return [{**row, **settings} for row in rows]


def as_csv(rows: list[dict[str, Any]]) -> str:
    """The rows as CSV: the episode's own columns first, then every other column any row has
    (training figures, then the room's config by dotted name); a list value (a wall's length
    range) as JSON."""
    columns = list(EPISODE_COLUMNS)
    for row in rows:
        columns.extend(key for key in row if key not in columns)
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows(
        {key: json.dumps(value) if isinstance(value, list | tuple) else value for key, value in row.items()}
        for row in rows
    )
    return out.getvalue()


def as_jsonl(rows: list[dict[str, Any]]) -> str:
    """The rows as JSON Lines: one object per episode, one episode per line."""
    return "".join(json.dumps(row, allow_nan=False, separators=(",", ":")) + "\n" for row in rows)


def figures(row: Mapping[str, Any]) -> dict[str, float]:
    """An episode row's figures to plot: every finite number in it but the episode's own number
    (it is the step they are plotted at); the reason and the time it ended are not figures."""
    return {
        key: float(value)
        for key, value in row.items()
        if key != "episode"
        and isinstance(value, int | float)
        and not isinstance(value, bool)
        and math.isfinite(value)
    }


def hyperparameters(
    config: Mapping[str, Mapping[str, Any]], room: RoomRecord | None = None
) -> dict[str, Any]:
    """A room's config as hyper-parameters for TensorBoard and MLflow: dotted names, each a
    number, a bool or a string (a list as its JSON); with the room, also its agents, policy and
    seed, which decide a run as much as its config."""
    found: dict[str, Any] = {}
    if room is not None:
        found.update({"agents": room.agents, "policy": room.policy, "seed": room.seed})
    for name, value in config_columns(config).items():
        found[name] = json.dumps(value) if isinstance(value, list | tuple) else value
    return found
