"""``simrooms db upgrade``: migrate the database to the newest schema (the server also does at start)."""

from __future__ import annotations

import argparse
import sys


def register_db(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    upgrade = actions.add_parser(
        "upgrade",
        help="Migrate the database to the newest schema.",
        description="Migrate the database to the newest schema (simrooms serve does this at start too).",
    )
    upgrade.add_argument("--data-dir", default=None, help="SIMROOMS_DATA_DIR, default ./instance")
    upgrade.add_argument("--database-url", default=None, help="SIMROOMS_DATABASE_URL")
    upgrade.set_defaults(run=run_db_upgrade)


def run_db_upgrade(args: argparse.Namespace) -> int:
    from sqlalchemy.exc import SQLAlchemyError

    from server.settings import Settings
    from server.storage.database import Storage

    given = {"data_dir": args.data_dir, "database_url": args.database_url}
    settings = Settings(**{name: value for name, value in given.items() if value is not None})
    if settings.database_url is None:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    url = settings.resolved_database_url()
    storage = Storage(url)
    try:
        before = storage.revision()
        storage.upgrade()
        after = storage.revision()
    except SQLAlchemyError as error:
        reason = str(error).splitlines()[0]
        print(f"simrooms db upgrade: error: the database could not be migrated: {reason}", file=sys.stderr)
        return 1
    finally:
        storage.dispose()
    if before == after:
        print(f"The database is at the newest revision, {after}.")
    else:
        print(f"Migrated the database from revision {before or 'none'} to {after}.")
    return 0
