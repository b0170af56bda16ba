"""The browser pages: lobby (``/``), room view (``/rooms/<name>``), admin (``/admin``), sign-up,
and the user's bearer tokens (``/tokens``, where one is revoked).

Pages are Jinja templates in ``web/templates`` with plain ES modules from ``web/static``; all
live data comes over Socket.IO (namespace ``/sim``) and, for the admin page, ``GET
/api/admin/rooms`` (server.http.admin). The login form itself is server.http.api's (``GET/POST
/login``); it renders ``login.html`` through :func:`render_login`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, jsonify, redirect, render_template, request
from flask_login import current_user, login_user  # type: ignore[import-untyped]
from flask_wtf.csrf import CSRFError  # type: ignore[import-untyped]

from server.http.auth import (
    SessionUser,
    csrf_token,
    hash_password,
    iso_utc,
    offload,
    password_problem,
    rotate_csrf_token,
    valid_user_name,
)
from server.http.errors import error_page
from server.http.throttle import Throttled
from server.realtime.validation import ProtocolError
from server.services import services
from simrooms.protocol import ROOM_NAME_PATTERN

bp = Blueprint("pages", __name__)
NO_STORE = {"Cache-Control": "no-store"}


def signup_allowed() -> bool:
    return services().settings.allow_signup


def serializer() -> str:
    """The wire format the browser must speak (``json``, or ``msgpack`` when the server uses it)."""
    return services().settings.serializer


@bp.app_context_processor
def _page_context() -> dict[str, Any]:
    """What every template may use: the user, the CSRF token (for logout), the settings that shape pages."""
    user = current_user.user if current_user.is_authenticated else None
    return {
        "me": user,
        "csrf_token": csrf_token,
        "signup_allowed": signup_allowed(),
        "serializer": serializer(),
    }


def _login_redirect() -> Any:
    target = request.full_path.rstrip("?") if request.path != "/" else ""
    return redirect(f"/login?next={target}" if target else "/login", code=303)


def render_login(message: str = "", status: int = 200, name: str = "") -> tuple[str, int, dict[str, str]]:
    """The login page (``login.html``) with an error `message` and the user `name` tried (kept in
    the form, so a mistyped password costs only the password); server.http.api serves it."""
    target = safe_next(request.args.get("next") or request.form.get("next"))
    page = render_template("login.html", message=message, csrf=csrf_token(), next=target, name=name)
    return page, status, {"Content-Type": "text/html; charset=utf-8", **NO_STORE}


def safe_next(target: str | None) -> str:
    """A local path to go to after signing in, or ``/`` (no open redirects)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    parts = urlsplit(target)
    return "/" if parts.scheme or parts.netloc else target


@bp.get("/")
def lobby() -> Any:
    if not current_user.is_authenticated:
        return _login_redirect()
    return render_template("lobby.html", room_pattern=ROOM_NAME_PATTERN), 200, NO_STORE


@bp.get("/rooms/<path:name>")
def room(name: str) -> Any:
    if not current_user.is_authenticated:
        return _login_redirect()
    try:
        # The join's own check (RoomManager.find): a private room hides as an unknown one does.
        services().rooms.find(current_user.user, name)
    except ProtocolError:
        return error_page(404, f"There is no room named {name!r} (or it is private).", "No such room")
    return render_template("room.html", room=name), 200, NO_STORE


@bp.get("/admin")
def admin_page() -> Any:
    if not current_user.is_authenticated:
        return _login_redirect()
    if not current_user.user.is_admin:
        return error_page(403, "The admin page is for admins.")
    return render_template("admin.html"), 200, NO_STORE


@bp.get("/tokens")
def tokens_page() -> Any:
    if not current_user.is_authenticated:
        return _login_redirect()
    return _tokens_page(request.args.get("revoked"))


@bp.post("/tokens/<int:token_id>/revoke")
def revoke_token_form(token_id: int) -> Any:
    """Revoke one of the user's tokens (CSRFProtect checks the form's token) and close its sockets."""
    if not current_user.is_authenticated:
        return _login_redirect()
    svc = services()
    user = current_user.user
    if not svc.storage.revoke_token(token_id, user.id):
        return _tokens_page(None, f"You have no token with id {token_id}.", 404)
    svc.disconnect_token(user.id, token_id)
    return redirect(f"/tokens?revoked={token_id}", code=303)


def _tokens_page(revoked: str | None, message: str = "", status: int = 200) -> Any:
    now = dt.datetime.now(dt.UTC)
    rows = [
        {
            "id": token.id,
            "created_at": iso_utc(token.created_at),
            "last_used_at": iso_utc(token.last_used_at) if token.last_used_at else None,
            "expires_at": iso_utc(token.expires_at),
            "state": token.state(now),
        }
        for token in services().storage.tokens_of(current_user.user.id)
    ]
    if not message and revoked and revoked.isdigit():
        message = f"Token {int(revoked)} is revoked."
    return render_template("tokens.html", tokens=rows, message=message), status, NO_STORE


@bp.route("/signup", methods=["GET", "POST"])
def signup() -> Any:
    if not signup_allowed():
        return error_page(404, "Sign-up is off on this server: ask an administrator for an account.")
    if request.method == "GET":
        return _signup_page()
    svc = services()
    name = request.form.get("username", "")
    password = request.form.get("password", "")
    errors: dict[str, str] = {}
    if not valid_user_name(name):
        errors["username"] = "Use 1-40 ASCII letters, digits, '.', '-' or '_'."
    problem = password_problem(password)
    if problem:
        errors["password"] = problem
    elif password != request.form.get("password2", ""):
        errors["password2"] = "The two passwords differ."
    if errors:
        return _signup_page(errors=errors, name=name, status=400)
    from server.storage.database import NameTaken

    try:
        hashed = svc.throttle.run(
            request.remote_addr or "unknown", name, lambda: offload(hash_password, password)
        )
        user = svc.storage.create_user(name, hashed)
    except Throttled as refused:
        return _signup_page(str(refused), name=name, status=429)
    except NameTaken:
        return _signup_page(errors={"username": f"The name {name!r} is taken."}, name=name, status=409)
    rotate_csrf_token()
    login_user(SessionUser(user))
    return redirect("/", code=303)


def _signup_page(
    message: str = "", errors: dict[str, str] | None = None, name: str = "", status: int = 200
) -> Any:
    page = render_template("signup.html", message=message, errors=errors or {}, name=name, csrf=csrf_token())
    return page, status, {"Content-Type": "text/html; charset=utf-8", **NO_STORE}


@bp.app_errorhandler(CSRFError)
def csrf_refused(error: CSRFError) -> Any:
    """A POST without this session's CSRF token (CSRFProtect): the form again with a reason, or
    a JSON error for anything else."""
    if request.path == "/signup" and signup_allowed():
        return _signup_page("The form expired; please try again.", status=400)
    return jsonify({"error": f"Missing or wrong CSRF token: {error.description}"}), 400
