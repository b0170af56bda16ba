"""Sweeps as stored: a name, an owner and what create_sweep was given; their rooms point to them."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.exc import IntegrityError

from server.storage.connection import Database
from server.storage.models import SweepRow, UserRow, as_utc, utcnow
from server.storage.records import SweepNameTaken, SweepRecord


def _sweep_query() -> Select[SweepRow, str]:
    return select(SweepRow, UserRow.name).join(UserRow, UserRow.id == SweepRow.owner_id)


def _record(row: SweepRow, owner: str) -> SweepRecord:
    return SweepRecord(
        id=row.id,
        key=row.key,
        name=row.name,
        owner_id=row.owner_id,
        owner=owner,
        spec=dict(row.spec),
        created_at=as_utc(row.created_at),
    )


class SweepStore(Database):
    def create_sweep(self, name: str, owner_id: int, spec: dict[str, Any]) -> SweepRecord:
        """A new sweep; SweepNameTaken when a live sweep has that name (ignoring case)."""
        row = SweepRow(key=name.lower(), name=name, owner_id=owner_id, spec=spec, created_at=utcnow())
        with self.session() as session:
            session.add(row)
            try:
                session.commit()
            except IntegrityError as exc:
                raise SweepNameTaken(name) from exc
            found = session.execute(_sweep_query().where(SweepRow.id == row.id)).one()
            return _record(*found)

    def sweep_by_key(self, key: str) -> SweepRecord | None:
        """The live sweep of that name (ignoring case)."""
        query = _sweep_query().where(SweepRow.key == key.lower(), SweepRow.deleted_at.is_(None))
        with self.session() as session:
            found = session.execute(query).first()
            return _record(*found) if found else None

    def live_sweeps(self) -> list[SweepRecord]:
        """Every sweep not deleted, oldest first."""
        query = _sweep_query().where(SweepRow.deleted_at.is_(None)).order_by(SweepRow.id)
        with self.session() as session:
            return [_record(*found) for found in session.execute(query).all()]

    def delete_sweep(self, sweep_id: int) -> None:
        """Soft delete: the name is free again; its rooms are deleted one by one by the caller."""
        with self.session() as session:
            row = session.get(SweepRow, sweep_id)
            if row is not None and row.deleted_at is None:
                row.deleted_at = utcnow()
                session.commit()
