"""Schema migrations with Alembic, packaged with the code (server/storage/migrations).

No alembic.ini is needed: ``alembic_config`` builds the Config in code. ``upgrade`` brings a
database to the head revision; a database that ``Base.metadata.create_all`` made before
migrations existed (a users table, no alembic_version) is stamped at the first revision first.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection, Engine

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
FIRST_REVISION = "0001"
"""The users table as create_all made it before migrations."""
UPGRADE_LOCK = 0x53494D52
"""PostgreSQL advisory lock key held while upgrading: servers starting together migrate once."""


def alembic_config(connection: Connection | None = None) -> Config:
    """Alembic's Config for simrooms' migrations, on `connection` when given."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def head() -> str:
    """The newest revision."""
    found = ScriptDirectory.from_config(alembic_config()).get_current_head()
    if found is None:
        raise RuntimeError(f"There are no migrations in {MIGRATIONS}.")
    return found


def current(engine: Engine) -> str | None:
    """The database's revision (None: not under migrations yet)."""
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Migrate the database to `revision`, stamping a database made by create_all first."""
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": UPGRADE_LOCK})
        config = alembic_config(connection)
        tables = set(inspect(connection).get_table_names())
        if "users" in tables and "alembic_version" not in tables:
            command.stamp(config, FIRST_REVISION)
        command.upgrade(config, revision)
