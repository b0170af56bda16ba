"""Alembic's environment for simrooms' migrations (server.storage.migrate builds the Config in code).

``migrate.upgrade`` hands its connection over in ``config.attributes["connection"]``; run by the
``alembic`` command instead (to write a revision), the URL is ``-x url=...`` or sqlalchemy.url.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine
from sqlalchemy.engine import Connection

from server.storage.models import Base


def run(connection: Connection) -> None:
    # render_as_batch: on SQLite, ALTERs become batch operations (copy, change, swap the table).
    context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


given = context.config.attributes.get("connection")
if given is not None:
    run(given)
else:
    url = context.get_x_argument(as_dictionary=True).get("url") or context.config.get_main_option(
        "sqlalchemy.url"
    )
    if not url:
        raise SystemExit("Give the database as -x url=URL (or sqlalchemy.url in the alembic config).")
    with create_engine(url).connect() as connection:
        run(connection)
        connection.commit()
