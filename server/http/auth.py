"""Who is asking: argon2 passwords, Flask-Login sessions, CSRF tokens and bearer tokens.

- Passwords are hashed with argon2id (memory-hard). Hashing runs off the event loop (eventlet's
  tpool) since it takes tens of milliseconds of CPU by design.
- Browser sessions: Flask-Login with the user id and the user's session version as the session's
  user id. Logging out bumps the version, so every copy of an old session cookie stops working.
- Forms carry Flask-WTF's CSRF token (``csrf_token`` field), checked by its CSRFProtect on every
  POST but the two where programs send credentials (``POST /login`` checks its own, see
  ``login_post_trusted``; ``POST /api/token`` takes JSON and sets no cookie).
- Programs: ``POST /api/token`` gives a signed, expiring bearer token (itsdangerous), sent as
  ``Authorization: Bearer TOKEN`` or as the Socket.IO ``auth={"token": TOKEN}``.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Any, TypeVar

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import Request, g, session
from flask_login import LoginManager, UserMixin  # type: ignore[import-untyped]
from flask_wtf.csrf import CSRFProtect, generate_csrf, validate_csrf  # type: ignore[import-untyped]
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from wtforms import ValidationError  # type: ignore[import-untyped]

from server.realtime.protocol import USER_NAME_PATTERN
from server.storage.database import Storage, User

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


class SessionUser(UserMixin):  # type: ignore[misc,unused-ignore]
    """The Flask-Login face of a User: its id carries the session version."""

    def __init__(self, user: User) -> None:
        self.user = user

    def get_id(self) -> str:
        return f"{self.user.id}:{self.user.session_version}"


class Auth:
    def __init__(self, storage: Storage, secret_key: str, token_lifetime: int) -> None:
        self.storage = storage
        self.token_lifetime = token_lifetime
        self._tokens = URLSafeTimedSerializer(secret_key, salt="simrooms-api-token")
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
        header = request.headers.get("Authorization", "")
        if header[:7].lower() != "bearer ":
            return None
        user = self.user_from_token(header[7:].strip())
        return SessionUser(user) if user else None

    # --------------------------------------------------------------- tokens

    def issue_token(self, user: User) -> tuple[str, str]:
        """A bearer token for `user` and when it expires (ISO-8601, UTC)."""
        token = self._tokens.dumps({"uid": user.id})
        expires = dt.datetime.now(dt.UTC).replace(microsecond=0) + dt.timedelta(seconds=self.token_lifetime)
        return token, expires.isoformat().replace("+00:00", "Z")

    def user_from_token(self, token: Any) -> User | None:
        if not isinstance(token, str) or not token or len(token) > 4096:
            return None
        try:
            data = self._tokens.loads(token, max_age=self.token_lifetime)
        except (SignatureExpired, BadSignature):
            return None
        uid = data.get("uid") if isinstance(data, dict) else None
        if not isinstance(uid, int):
            return None
        return self.storage.user_by_id(uid)


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
