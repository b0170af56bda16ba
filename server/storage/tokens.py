"""Bearer tokens: stored as the sha256 of the token, with expiry, last use and revocation."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select, update

from server.storage.connection import Database
from server.storage.models import TokenRow, UserRow, as_utc, utcnow
from server.storage.records import TokenRecord, User
from server.storage.users import user_of


def token_of(row: TokenRow) -> TokenRecord:
    return TokenRecord(
        id=row.id,
        user_id=row.user_id,
        token_hash=row.token_hash,
        created_at=as_utc(row.created_at),
        expires_at=as_utc(row.expires_at),
        last_used_at=as_utc(row.last_used_at) if row.last_used_at else None,
        revoked_at=as_utc(row.revoked_at) if row.revoked_at else None,
    )


class TokenStore(Database):
    def create_token(self, user_id: int, token_hash: str, expires_at: dt.datetime) -> TokenRecord:
        row = TokenRow(user_id=user_id, token_hash=token_hash, created_at=utcnow(), expires_at=expires_at)
        with self.session() as session:
            session.add(row)
            session.commit()
            return token_of(row)

    def token_by_hash(self, token_hash: str) -> tuple[TokenRecord, User] | None:
        """The token of that hash and its user (whatever the token's state), or None."""
        with self.session() as session:
            found = session.execute(
                select(TokenRow, UserRow)
                .join(UserRow, UserRow.id == TokenRow.user_id)
                .where(TokenRow.token_hash == token_hash)
            ).first()
            return (token_of(found[0]), user_of(found[1])) if found else None

    def touch_token(self, token_id: int, at: dt.datetime) -> None:
        """Note that the token was used at `at`."""
        with self.session() as session:
            session.execute(update(TokenRow).where(TokenRow.id == token_id).values(last_used_at=at))
            session.commit()

    def revoke_token(self, token_id: int, user_id: int | None = None) -> bool:
        """Revoke the token (only if it is `user_id`'s, when given). False when there is no such
        token; revoking a revoked token again is True and keeps the first time."""
        with self.session() as session:
            row = session.get(TokenRow, token_id)
            if row is None or (user_id is not None and row.user_id != user_id):
                return False
            if row.revoked_at is None:
                row.revoked_at = utcnow()
                session.commit()
            return True

    def tokens_of(self, user_id: int) -> list[TokenRecord]:
        """The user's tokens, newest first."""
        with self.session() as session:
            rows = session.scalars(
                select(TokenRow).where(TokenRow.user_id == user_id).order_by(TokenRow.id.desc())
            )
            return [token_of(row) for row in rows]
