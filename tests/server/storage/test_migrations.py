"""Migrations (server.storage.migrate): from nothing, from revision 1, from a create_all database."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from sqlalchemy import MetaData, create_engine, insert, inspect, select, text

from server.storage import migrate
from server.storage.database import Storage
from server.storage.models import Base, UserRow
from tests.support.server import simrooms

TABLES = {
    "users",
    "tokens",
    "rooms",
    "grants",
    "episodes",
    "controls",
    "checkpoints",
    "sweeps",
    "alembic_version",
}
HEAD = "0003"


def tables(url: str) -> set[str]:
    engine = create_engine(url)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_an_empty_database_migrates_to_head(db_url: str) -> None:
    storage = Storage(db_url)
    assert storage.revision() is None
    storage.upgrade()
    assert storage.revision() == migrate.head() == HEAD
    assert tables(db_url) == TABLES
    storage.upgrade()  # again: nothing to do
    assert storage.revision() == HEAD
    storage.dispose()


def test_a_database_at_revision_1_keeps_its_users(db_url: str) -> None:
    storage = Storage(db_url)
    storage.upgrade("0001")
    assert tables(db_url) == {"users", "alembic_version"}
    kept = storage.create_user("Dora", "hash", is_admin=True)
    storage.upgrade()
    assert storage.revision() == HEAD
    assert storage.user_by_name("dora") == kept
    room = storage.create_room("r", kept.id, 4, "learning", "7", {}, True, 1.0)
    assert room.owner == "Dora"
    storage.dispose()


def test_a_database_at_revision_2_keeps_its_rooms_and_their_past(db_url: str) -> None:
    storage = Storage(db_url)
    storage.upgrade("0002")
    owner = storage.create_user("Ed", "hash")
    with storage.engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO rooms (key, name, owner_id, agents, policy, seed, config, public, speed, running,"
                " created_at, server) VALUES ('r', 'R', :owner, 4, 'learning', '7', '{}', true, '1.0', true,"
                " :now, 'default')"
            ),
            {"owner": owner.id, "now": dt.datetime.now(dt.UTC)},
        )
        connection.execute(
            text(
                "INSERT INTO controls (room_id, seq, tick, kind, at) SELECT id, 1, 5, 'reset', :now FROM rooms"
            ),
            {"now": dt.datetime.now(dt.UTC)},
        )
    storage.upgrade()
    assert storage.revision() == HEAD
    room = storage.room_by_key("r")
    assert room is not None and (room.name, room.running, room.sweep_id) == ("R", True, None)
    assert [(c.seq, c.tick, c.kind) for c in storage.controls(room.id)] == [(1, 5, "reset")]
    storage.dispose()


def test_a_database_made_by_create_all_is_stamped_and_upgraded(db_url: str) -> None:
    """Before migrations, the server made the users table with Base.metadata.create_all."""
    engine = create_engine(db_url)
    before = MetaData()
    users = Base.metadata.tables["users"].to_metadata(before)
    before.create_all(engine)
    with engine.begin() as connection:
        connection.execute(
            insert(users).values(
                name="Old",
                name_key="old",
                password_hash="h",
                is_admin=False,
                session_version=3,
                created_at=dt.datetime.now(dt.UTC),
            )
        )
    engine.dispose()
    assert tables(db_url) == {"users"}
    storage = Storage(db_url)
    storage.upgrade()
    assert storage.revision() == HEAD
    assert tables(db_url) == TABLES
    old = storage.user_by_name("old")
    assert old is not None and old.session_version == 3
    storage.dispose()


def test_the_head_revision_makes_the_tables_the_models_describe(db_url: str) -> None:
    storage = Storage(db_url)
    storage.upgrade()
    found = inspect(storage.engine)
    for table in Base.metadata.sorted_tables:
        assert {c["name"] for c in found.get_columns(table.name)} == set(table.columns.keys()), table.name
    indexes = {i["name"]: i for i in found.get_indexes("rooms")}
    assert indexes["uq_rooms_live_key"]["unique"]
    with storage.engine.connect() as connection:
        assert connection.execute(select(UserRow.id)).all() == []
    storage.dispose()


def test_db_upgrade_command(db_url: str, tmp_path: Path) -> None:
    first = simrooms("db", "upgrade", "--data-dir", str(tmp_path / "data"), "--database-url", db_url)
    assert first.returncode == 0, first.stderr
    assert f"to {HEAD}" in first.stdout
    again = simrooms("db", "upgrade", "--database-url", db_url)
    assert again.returncode == 0 and f"newest revision, {HEAD}" in again.stdout
    assert tables(db_url) == TABLES


def test_db_upgrade_command_on_the_data_dir(tmp_path: Path) -> None:
    done = simrooms("db", "upgrade", "--data-dir", str(tmp_path))
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "simrooms.db").exists()
    refused = simrooms("db", "upgrade", "--database-url", "postgresql+psycopg://nobody@127.0.0.1:1/none")
    assert refused.returncode == 1
    assert len(refused.stderr.strip().splitlines()) == 1 and "could not be migrated" in refused.stderr
