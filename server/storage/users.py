"""Users: accounts, their session versions."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from server.storage.connection import Database
from server.storage.models import UserRow
from server.storage.records import NameTaken, User


def user_of(row: UserRow) -> User:
    return User(row.id, row.name, row.is_admin, row.password_hash, row.session_version)


class UserStore(Database):
    def create_user(self, name: str, password_hash: str, is_admin: bool = False) -> User:
        """A new user; NameTaken when one of that name (ignoring case) exists."""
        row = UserRow(name=name, name_key=name.lower(), password_hash=password_hash, is_admin=is_admin)
        with self.session() as session:
            session.add(row)
            try:
                session.commit()
            except IntegrityError as exc:
                raise NameTaken(name) from exc
            return user_of(row)

    def user_by_name(self, name: str) -> User | None:
        with self.session() as session:
            row = session.scalars(select(UserRow).where(UserRow.name_key == name.lower())).first()
            return user_of(row) if row else None

    def user_by_id(self, user_id: int) -> User | None:
        with self.session() as session:
            row = session.get(UserRow, user_id)
            return user_of(row) if row else None

    def bump_session_version(self, user_id: int) -> None:
        with self.session() as session:
            row = session.get(UserRow, user_id)
            if row is not None:
                row.session_version += 1
                session.commit()
