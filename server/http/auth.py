"""Who is asking: argon2 passwords, Flask-Login sessions, CSRF tokens and bearer tokens.

- Passwords are hashed with argon2id (memory-hard). Hashing runs off the event loop (eventlet's
  tpool) since it takes tens of milliseconds of CPU by design.
- Browser sessions: Flask-Login with the user id and the user's session version as the session's
  user id. Logging out bumps the version, so every copy of an old session cookie stops working.
- Forms carry Flask-WTF's CSRF token (``csrf_token`` field), checked by its CSRFProtect on every
  POST but the two where programs send credentials (``POST /login`` checks its own, see
  ``login_post_trusted``; ``POST /api/token`` takes JSON and sets no cookie).
- Programs: ``POST /api/token`` gives a random bearer token (``secrets.token_urlsafe(32)``), sent
  as ``Authorization: Bearer TOKEN`` or as the Socket.IO ``auth={"token": TOKEN}``. The database
  keeps only its sha256 (server.storage.tokens), its expiry, when it was last used (at most once a
  minute) and whether it was revoked (``POST /api/token/revoke``, the /tokens page).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import Request, g, session
from flask_login import LoginManager, UserMixin  # type: ignore[import-untyped]
from flask_wtf.csrf import CSRFProtect, generate_csrf, validate_csrf  # type: ignore[import-untyped]
from wtforms import ValidationError  # type: ignore[import-untyped]

from server.storage.database import Storage, User
from server.storage.records import TokenRecord
from simrooms.protocol import USER_NAME_PATTERN

T = TypeVar("T")
csrf = CSRFProtect()
CSRF_SESSION_KEY = "csrf_token"
"""Where Flask-WTF keeps the session's token (its WTF_CSRF_FIELD_NAME default, in the session and g)."""
"""Checks the CSRF token of every POST form but those exempted in server.app."""
MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 1024
_hasher = PasswordHasher()
# Verifying against this when the user does not exist takes as long as a real check.
_DUMMY_HASH = _hasher.hash("not a real password, only for timing")
MAX_TOKEN_LENGTH = 256
TOKEN_TOUCH_INTERVAL = dt.timedelta(minutes=1)
"""A token's last use is written at most this often."""


def offload(fn: Callable[..., T], *args: Any) -> T:
    """Run CPU-heavy `fn` on a real thread when the event loop is eventlet's."""
    from server.engine.handoff import eventlet_patched

    if eventlet_patched():
        from eventlet import tpool

        return tpool.execute(fn, *args)  # type: ignore[no-any-return,unused-ignore]
    return fn(*args)


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def check_password(password: str, password_hash: str) -> bool:
    try:
        return bool(_hasher.verify(password_hash, password))
    except (VerificationError, InvalidHashError):
        return False


def valid_user_name(name: str) -> bool:
    return re.fullmatch(USER_NAME_PATTERN, name) is not None


def password_problem(password: str) -> str | None:
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"The password is {len(password)} characters long; it needs at least {MIN_PASSWORD_LENGTH}."
    if len(password) > MAX_PASSWORD_LENGTH:
        return f"The password is longer than {MAX_PASSWORD_LENGTH} characters."
    return None


def bearer_token(request: Request) -> str | None:
    """The token of the request's ``Authorization: Bearer TOKEN`` header, if it has one."""
    header = request.headers.get("Authorization", "")
    if header[:7].lower() != "bearer ":
        return None
    return header[7:].strip()


class SessionUser(UserMixin):  # type: ignore[misc,unused-ignore]
    """The Flask-Login face of a User: its id carries the session version."""

    def __init__(self, user: User) -> None:
        self.user = user

    def get_id(self) -> str:
        return f"{self.user.id}:{self.user.session_version}"


def token_hash(token: str) -> str:
    """What the database keeps of a bearer token: its sha256, in hex."""
    return hashlib.sha256(token.encode()).hexdigest()


def iso_utc(when: dt.datetime) -> str:
    """`when` as ISO-8601 in UTC to the second, with a Z."""
    return when.astimezone(dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


@dataclass(frozen=True)
class TokenCheck:
    """A bearer token that is valid now: whose, and which (its id, for revoking it)."""

    user: User
    token_id: int


class Auth:
    def __init__(self, storage: Storage, token_lifetime: int) -> None:
        self.storage = storage
        self.token_lifetime = token_lifetime
        self.login_manager = LoginManager()
        self.login_manager.login_view = "http.login"
        self.login_manager.user_loader(self._load_session_user)
        self.login_manager.request_loader(self._load_request_user)

    # --------------------------------------------------------------- passwords

    def authenticate(self, name: str, password: str) -> User | None:
        """The user if `password` is theirs; the check costs the same when the name is unknown."""
        if not valid_user_name(name) or len(password) > MAX_PASSWORD_LENGTH:
            return None
        user = self.storage.user_by_name(name)
        ok = offload(check_password, password, user.password_hash if user else _DUMMY_HASH)
        return user if ok and user is not None else None

    # --------------------------------------------------------------- sessions

    def _load_session_user(self, user_id: str) -> SessionUser | None:
        ident, _, version = user_id.partition(":")
        if not ident.isdigit() or not version.isdigit():
            return None
        user = self.storage.user_by_id(int(ident))
        if user is None or user.session_version != int(version):
            return None
        return SessionUser(user)

    def _load_request_user(self, request: Request) -> SessionUser | None:
        if bearer_token(request) is None:
            return None
        user = self.user_from_token(bearer_token(request))
        return SessionUser(user) if user else None

    # --------------------------------------------------------------- tokens

    def issue_token(self, user: User) -> tuple[str, str]:
        """A new bearer token for `user` and when it expires (ISO-8601, UTC); only its hash is kept."""
        token = secrets.token_urlsafe(32)
        # Whole seconds, rounded up: a token lives at least its lifetime (cut down to the second
        # it could live 1 ms of a 1 s lifetime).
        lives = dt.timedelta(seconds=self.token_lifetime + 1)
        expires = (dt.datetime.now(dt.UTC) + lives).replace(microsecond=0)
        self.storage.create_token(user.id, token_hash(token), expires)
        return token, iso_utc(expires)

    def _lookup(self, token: Any) -> tuple[TokenRecord, User] | None:
        if not isinstance(token, str) or not token or len(token) > MAX_TOKEN_LENGTH:
            return None
        return self.storage.token_by_hash(token_hash(token))

    def check_token(self, token: Any) -> TokenCheck | None:
        """Whose `token` is, when it is valid now (issued here, not expired, not revoked)."""
        found = self._lookup(token)
        if found is None:
            return None
        record, user = found
        now = dt.datetime.now(dt.UTC)
        if record.state(now) != "active":
            return None
        if record.last_used_at is None or now - record.last_used_at >= TOKEN_TOUCH_INTERVAL:
            self.storage.touch_token(record.id, now)
        return TokenCheck(user, record.id)

    def user_from_token(self, token: Any) -> User | None:
        checked = self.check_token(token)
        return checked.user if checked else None

    def revoke_token(self, token: Any) -> TokenCheck | None:
        """Revoke `token` if it is valid now; whose it was, or None."""
        checked = self.check_token(token)
        if checked is not None:
            self.storage.revoke_token(checked.token_id)
        return checked


# ------------------------------------------------------------------ CSRF


def csrf_token() -> str:
    """This session's CSRF token (made on first use)."""
    token: str = generate_csrf()
    return token


def rotate_csrf_token() -> None:
    """Forget this session's CSRF token (at sign-in): a token seen before it is worth nothing after."""
    session.pop(CSRF_SESSION_KEY, None)
    g.pop(CSRF_SESSION_KEY, None)


def csrf_valid(sent: str | None) -> bool:
    try:
        validate_csrf(sent)
    except ValidationError:
        return False
    return True


def login_post_trusted(sent: str | None, request: Request) -> bool:
    """Whether a login POST may go on: a form that carries a CSRF token must carry this
    session's; one without a token is taken only when it is no cross-site browser request.

    Login CSRF is a browser attack, and browsers mark every cross-site POST with `Origin` (and
    `Sec-Fetch-Site`); programs that post the acceptance interface's username and password send
    neither, so they need not scrape the form first."""
    if sent is not None:
        return csrf_valid(sent)
    site = request.headers.get("Sec-Fetch-Site")
    if site is not None and site not in ("same-origin", "none"):
        return False
    origin = request.headers.get("Origin")
    return origin is None or origin.rstrip("/") == request.host_url.rstrip("/")
