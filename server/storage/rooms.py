"""Rooms as stored: what a server needs to bring them back, their grants, soft deletion."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Select, delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from server.storage.connection import Database
from server.storage.models import GrantRow, RoomRow, UserRow, as_utc, utcnow
from server.storage.records import RoomNameTaken, RoomRecord

ROOM_FIELDS_UPDATED = frozenset({"running", "speed", "public", "name", "server"})
"""What update_room changes."""


def _room_query() -> Select[RoomRow, str]:
    return select(RoomRow, UserRow.name).join(UserRow, UserRow.id == RoomRow.owner_id)


def _records(session: Session, found: Sequence[Any]) -> list[RoomRecord]:
    """Records of (RoomRow, owner name) pairs, with their grants (one query for all)."""
    ids = [row.id for row, _ in found]
    grants: dict[int, set[int]] = {room_id: set() for room_id in ids}
    if ids:
        for room_id, user_id in session.execute(
            select(GrantRow.room_id, GrantRow.user_id).where(GrantRow.room_id.in_(ids))
        ):
            grants[room_id].add(user_id)
    return [
        RoomRecord(
            id=row.id,
            key=row.key,
            name=row.name,
            owner_id=row.owner_id,
            owner=owner,
            agents=row.agents,
            policy=row.policy,
            seed=row.seed,
            config=dict(row.config),
            public=row.public,
            speed=row.speed,
            running=row.running,
            created_at=as_utc(row.created_at),
            forked_from=row.forked_from,
            fork_tick=row.fork_tick,
            grants=frozenset(grants[row.id]),
            server=row.server,
            deleted_at=as_utc(row.deleted_at) if row.deleted_at else None,
            sweep_id=row.sweep_id,
            sweep_point=dict(row.sweep_point) if row.sweep_point is not None else None,
        )
        for row, owner in found
    ]


def _check_speed(speed: object) -> float | str:
    if speed == "max":
        return "max"
    if isinstance(speed, int | float) and not isinstance(speed, bool):
        return float(speed)
    raise ValueError(f"A room's speed is a number or 'max', not {speed!r}.")


class RoomStore(Database):
    def create_room(
        self,
        name: str,
        owner_id: int,
        agents: int,
        policy: str,
        seed: str,
        config: dict[str, Any],
        public: bool,
        speed: float | str,
        running: bool = False,
        forked_from: int | None = None,
        fork_tick: int | None = None,
        server: str = "default",
        sweep_id: int | None = None,
        sweep_point: dict[str, Any] | None = None,
    ) -> RoomRecord:
        """A new room; RoomNameTaken when a live room has that name (ignoring case)."""
        if not isinstance(seed, str):
            raise TypeError(f"A room's seed is stored as a string, not {type(seed).__name__} {seed!r}.")
        row = RoomRow(
            key=name.lower(),
            name=name,
            owner_id=owner_id,
            agents=agents,
            policy=policy,
            seed=seed,
            config=config,
            public=public,
            speed=_check_speed(speed),
            running=running,
            created_at=utcnow(),
            forked_from=forked_from,
            fork_tick=fork_tick,
            server=server,
            sweep_id=sweep_id,
            sweep_point=sweep_point,
        )
        with self.session() as session:
            session.add(row)
            try:
                session.commit()
            except IntegrityError as exc:
                raise RoomNameTaken(name) from exc
            return _records(session, session.execute(_room_query().where(RoomRow.id == row.id)).all())[0]

    def update_room(self, room_id: int, **fields: Any) -> None:
        """Change the room's `running`, `speed`, `public`, `name` (and its key) or `server`."""
        unknown = set(fields) - ROOM_FIELDS_UPDATED
        if unknown:
            raise ValueError(
                f"update_room changes {sorted(ROOM_FIELDS_UPDATED)}, not {sorted(unknown)} (room {room_id})."
            )
        if "speed" in fields:
            fields["speed"] = _check_speed(fields["speed"])
        if "name" in fields:
            fields["key"] = fields["name"].lower()
        with self.session() as session:
            row = session.get(RoomRow, room_id)
            if row is None:
                raise LookupError(f"There is no room with id {room_id}.")
            name = fields.get("name", row.name)
            for field, value in fields.items():
                setattr(row, field, value)
            try:
                session.commit()
            except IntegrityError as exc:
                raise RoomNameTaken(name) from exc

    def delete_room(self, room_id: int) -> None:
        """Soft delete: the room stays (forks read its past) but frees its name."""
        with self.session() as session:
            row = session.get(RoomRow, room_id)
            if row is not None and row.deleted_at is None:
                row.deleted_at = utcnow()
                row.running = False
                session.commit()

    def live_rooms(self, server: str = "default") -> list[RoomRecord]:
        """The rooms `server` holds that are not deleted, oldest first."""
        query = (
            _room_query().where(RoomRow.deleted_at.is_(None), RoomRow.server == server).order_by(RoomRow.id)
        )
        with self.session() as session:
            return _records(session, session.execute(query).all())

    def room_by_key(self, key: str) -> RoomRecord | None:
        """The live room of that name (ignoring case)."""
        query = _room_query().where(RoomRow.key == key.lower(), RoomRow.deleted_at.is_(None))
        with self.session() as session:
            found = _records(session, session.execute(query).all())
            return found[0] if found else None

    def room_by_id(self, room_id: int) -> RoomRecord | None:
        """The room of that id, deleted or not."""
        with self.session() as session:
            found = _records(session, session.execute(_room_query().where(RoomRow.id == room_id)).all())
            return found[0] if found else None

    def fork_chain(self, room_id: int) -> list[RoomRecord]:
        """The room and, for a fork, the room it was forked from, and so on: newest first."""
        chain: list[RoomRecord] = []
        record = self.room_by_id(room_id)
        while record is not None:
            chain.append(record)
            record = self.room_by_id(record.forked_from) if record.forked_from is not None else None
        return chain

    def set_grant(self, room_id: int, user_id: int, allowed: bool) -> None:
        with self.session() as session:
            granted = session.get(GrantRow, (room_id, user_id))
            if allowed and granted is None:
                session.add(GrantRow(room_id=room_id, user_id=user_id))
            elif not allowed and granted is not None:
                session.execute(
                    delete(GrantRow).where(GrantRow.room_id == room_id, GrantRow.user_id == user_id)
                )
            else:
                return
            try:
                session.commit()
            except IntegrityError:  # granted meanwhile by another call
                session.rollback()

    def set_grants(self, room_id: int, user_ids: Iterable[int]) -> None:
        """Make the room's grants exactly `user_ids`."""
        with self.session() as session:
            session.execute(delete(GrantRow).where(GrantRow.room_id == room_id))
            session.add_all(GrantRow(room_id=room_id, user_id=user_id) for user_id in set(user_ids))
            session.commit()
