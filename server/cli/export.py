"""``simrooms export ROOM --format csv|jsonl|tensorboard --out PATH``: a stored room's episodes,
read straight from the database, whether a server runs on it or not.

A server writes its episodes as they end (SQLite in WAL mode lets a reader in beside it), so an
export needs no server, no token and no network: only the data dir or the database URL. Rows are
those of ``GET /api/rooms/<name>/episodes`` (server.episodes): the episode's columns, its
training figures, and the room's config by dotted name; a fork's episodes include its origin's
up to the fork. TensorBoard gets the same figures as scalars and the config as hyper-parameters.
"""

from __future__ import annotations

import argparse
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

FORMATS = ("csv", "jsonl", "tensorboard")


def register_export(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("room", metavar="ROOM", help="The stored room's name (case is ignored).")
    parser.add_argument("--format", choices=FORMATS, default="csv", help="What to write (default csv).")
    parser.add_argument(
        "--out",
        required=True,
        metavar="PATH",
        help="The file to write (csv, jsonl; - for standard output) or the run's directory (tensorboard).",
    )
    parser.add_argument("--data-dir", default=None, help="SIMROOMS_DATA_DIR, default ./instance")
    parser.add_argument("--database-url", default=None, help="SIMROOMS_DATABASE_URL")
    parser.set_defaults(run=run_export)


def run_export(args: argparse.Namespace) -> int:
    from sqlalchemy.exc import SQLAlchemyError

    from server.settings import Settings
    from server.storage.database import Storage

    given = {"data_dir": args.data_dir, "database_url": args.database_url}
    settings = Settings(**{name: value for name, value in given.items() if value is not None})
    if settings.database_url is None:
        database = settings.data_dir / "simrooms.db"
        if not database.is_file():
            # Opening it would make an empty database where the user expected their runs.
            return _fail(
                f"there is no database at {str(database)!r}: is {str(settings.data_dir)!r} the data dir?"
            )
    storage = Storage(settings.resolved_database_url())
    try:
        return _export(storage, args.room, args.format, args.out)
    except SQLAlchemyError as error:
        return _fail(f"the database could not be read: {str(error).splitlines()[0]}")
    except OSError as error:
        return _fail(f"{args.out!r} could not be written: {error}")
    finally:
        storage.dispose()


def _export(storage: Any, name: str, form: str, out: str) -> int:
    from server.episodes import as_csv, as_jsonl, hyperparameters, room_episodes, with_config
    from simrooms.config import RoomConfig

    record = storage.room_by_key(name)
    if record is None:
        return _fail(f"no stored room is named {name!r} (names ignore case; deleted rooms are gone).")
    config = RoomConfig.from_stored(record.config).whole()
    rows = room_episodes(storage, record.id)
    if form == "tensorboard":
        from server.tracking.tensorboard import TensorBoardRun

        run = TensorBoardRun(Path(out))
        try:
            run.hyperparameters(hyperparameters(config, record), _figure_names(rows), finished=True)
            for row in rows:
                run.episode(row, wall_time=_timestamp(row.get("ended_at")))
        finally:
            run.close()
    else:
        text = as_csv(with_config(rows, config)) if form == "csv" else as_jsonl(with_config(rows, config))
        if out == "-":
            sys.stdout.write(text)
            return 0
        Path(out).write_text(text, encoding="utf-8")
    print(f"Wrote {len(rows)} episodes of room {record.name!r} to {out} ({form}).", file=sys.stderr)
    return 0


def _figure_names(rows: list[dict[str, Any]]) -> list[str]:
    from server.episodes import figures

    names: list[str] = []
    for row in rows:
        names.extend(name for name in figures(row) if name not in names)
    return names


def _timestamp(text: object) -> float | None:
    """When an episode was stored (its row's ``ended_at``), as TensorBoard's wall time."""
    if not isinstance(text, str):
        return None
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def _fail(message: str) -> int:
    print(f"simrooms export: error: {message}", file=sys.stderr)
    return 1
