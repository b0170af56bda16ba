"""HTTP routes: health, login and logout, tokens, rooms, the protocol schema, metrics."""

from __future__ import annotations

from html import escape
from typing import Any

from flask import (
    Blueprint,
    Response,
    jsonify,
    redirect,
    request,
)
from flask_login import current_user, login_user, logout_user  # type: ignore[import-untyped]

from server.http.auth import SessionUser, bearer_token, csrf_token, login_post_trusted, rotate_csrf_token
from server.http.pages import render_login, safe_next
from server.http.throttle import Throttled
from server.metrics import CONTENT_TYPE
from server.services import services

bp = Blueprint("http", __name__)


def _client_key() -> str:
    return request.remote_addr or "unknown"


def _error(status: int, message: str) -> tuple[Response, int]:
    return jsonify({"error": message}), status


@bp.get("/healthz")
def healthz() -> Response:
    return jsonify({"status": "ok"})


LOGOUT_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Sign out - simrooms</title></head>
<body><form method="post" action="/logout">
<input type="hidden" name="csrf_token" value="{csrf}"><button type="submit">Sign out</button>
</form></body></html>
"""


def _login_page(message: str = "", status: int = 200, name: str = "") -> tuple[str, int, dict[str, str]]:
    return render_login(message, status, name)  # web/templates/login.html (server.http.pages)


@bp.get("/login")
def login_form() -> Any:
    return _login_page()


@bp.post("/login")
def login() -> Any:
    name = request.form.get("username", "")
    if not login_post_trusted(request.form.get("csrf_token"), request):
        return _login_page("The form expired; please sign in again.", 400, name)
    password = request.form.get("password", "")
    svc = services()
    try:
        user = svc.throttle.run(_client_key(), name, lambda: svc.auth.authenticate(name, password))
    except Throttled as refused:
        return _login_page(str(refused), 429, name)
    if user is None:
        # Which of the two was wrong is not said: that would tell who has an account.
        return _login_page("Wrong user name or password.", 401, name)
    rotate_csrf_token()
    login_user(SessionUser(user))
    return redirect(safe_next(request.form.get("next")), code=303)


@bp.get("/logout")
def logout_form() -> Any:
    return LOGOUT_PAGE.format(csrf=escape(csrf_token())), 200, {"Content-Type": "text/html; charset=utf-8"}


@bp.post("/logout")
def logout() -> Any:
    if current_user.is_authenticated:
        user = current_user.user
        svc = services()
        svc.storage.bump_session_version(user.id)
        logout_user()
        svc.disconnect_user(user.id)
    return redirect("/login", code=303)


@bp.post("/api/token")
def token() -> Any:
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        return _error(400, 'Send a JSON object {"username": ..., "password": ...}.')
    name, password = data.get("username"), data.get("password")
    if not isinstance(name, str) or not isinstance(password, str):
        return _error(400, "username and password must be strings.")
    svc = services()
    try:
        user = svc.throttle.run(_client_key(), name, lambda: svc.auth.authenticate(name, password))
    except Throttled as refused:
        return _error(429, str(refused))
    if user is None:
        return _error(401, "Wrong user name or password.")
    value, expires_at = svc.auth.issue_token(user)
    return jsonify({"token": value, "expires_at": expires_at})


@bp.post("/api/token/revoke")
def revoke_token() -> Any:
    """Revoke the bearer token this request carries (and close the sockets it opened). Only the
    Authorization header counts, never the session cookie: so it needs no CSRF token."""
    sent = bearer_token(request)
    if sent is None:
        return _error(401, "Send the token to revoke as Authorization: Bearer TOKEN.")
    svc = services()
    revoked = svc.auth.revoke_token(sent)
    if revoked is None:
        return _error(401, "That token is unknown, expired or revoked already.")
    svc.disconnect_token(revoked.user.id, revoked.token_id)
    return jsonify({"revoked": True})


@bp.get("/api/rooms")
def rooms() -> Any:
    if not current_user.is_authenticated:
        return _error(401, "Sign in or send Authorization: Bearer TOKEN.")
    return jsonify({"rooms": services().rooms.visible_rooms(current_user.user)})


@bp.get("/api/schema")
def schema() -> Any:
    from server.realtime.protocol_docs import schema as build

    return jsonify(build())


@bp.get("/metrics")
def metrics() -> Any:
    svc = services()
    if svc.settings.metrics_need_admin() and not (
        current_user.is_authenticated and current_user.user.is_admin
    ):
        return _error(
            401 if not current_user.is_authenticated else 403, "Metrics are for admins on this server."
        )
    return Response(svc.metrics.render(), mimetype=None, content_type=CONTENT_TYPE)
