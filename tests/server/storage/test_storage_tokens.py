"""Bearer tokens kept as hashes (server.storage.tokens, server.http.auth), on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import hashlib
import time

from server.http.auth import TOKEN_TOUCH_INTERVAL, Auth
from server.storage.database import Storage, User


def test_issue_check_and_revoke(storage: Storage, alice: User, bob: User) -> None:
    auth = Auth(storage, token_lifetime=3600)
    token, expires_at = auth.issue_token(alice)
    assert len(token) >= 43 and expires_at.endswith("Z")
    [stored] = storage.tokens_of(alice.id)
    assert stored.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in repr(stored)
    assert abs((stored.expires_at - stored.created_at).total_seconds() - 3600) < 2
    assert stored.last_used_at is None and stored.revoked_at is None

    checked = auth.check_token(token)
    assert checked is not None and checked.user == alice and checked.token_id == stored.id
    assert auth.user_from_token(token) == alice
    for wrong in (token + "x", "", None, 42, "x" * 10_000, token.upper()):
        assert auth.check_token(wrong) is None

    other, _ = auth.issue_token(alice)
    assert len(storage.tokens_of(alice.id)) == 2 and storage.tokens_of(bob.id) == []
    assert storage.revoke_token(stored.id, bob.id) is False, "bob may not revoke alice's token"
    revoked = auth.revoke_token(token)
    assert revoked is not None and revoked.token_id == stored.id
    assert auth.check_token(token) is None and auth.revoke_token(token) is None
    assert auth.user_from_token(other) == alice, "the other token goes on"
    states = {t.id: t.state(dt.datetime.now(dt.UTC)) for t in storage.tokens_of(alice.id)}
    assert sorted(states.values()) == ["active", "revoked"]
    assert storage.revoke_token(stored.id, alice.id) is True  # again: still revoked, once
    assert storage.revoke_token(99999) is False


def test_last_use_is_written_at_most_once_a_minute(storage: Storage, alice: User) -> None:
    auth = Auth(storage, token_lifetime=3600)
    token, _ = auth.issue_token(alice)
    assert auth.check_token(token) is not None
    [first] = storage.tokens_of(alice.id)
    assert first.last_used_at is not None
    assert auth.check_token(token) is not None
    assert storage.tokens_of(alice.id)[0].last_used_at == first.last_used_at
    storage.touch_token(first.id, first.last_used_at - TOKEN_TOUCH_INTERVAL)
    assert auth.check_token(token) is not None
    [again] = storage.tokens_of(alice.id)
    assert again.last_used_at is not None and again.last_used_at > first.last_used_at


def test_tokens_expire(storage: Storage, alice: User) -> None:
    auth = Auth(storage, token_lifetime=1)
    token, _ = auth.issue_token(alice)
    assert auth.check_token(token) is not None
    time.sleep(2.2)  # a lifetime of 1 s, rounded up to the second: 1 to 2 s
    assert auth.check_token(token) is None
    assert storage.tokens_of(alice.id)[0].state(dt.datetime.now(dt.UTC)) == "expired"
