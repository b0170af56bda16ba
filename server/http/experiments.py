"""The experiment pages: a sweep (``/sweeps/<name>``) and rooms compared side by side
(``/compare?rooms=A&rooms=B``).

Both are shells: their scripts (``web/static/js/sweep.js``, ``compare.js``) read
``GET /api/sweeps/<name>``, ``/api/rooms`` and each room's ``/episodes`` and ``/baselines``, so
the pages render whether or not the sweep or the rooms exist (the scripts say so when not).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, redirect, render_template, request
from flask_login import current_user  # type: ignore[import-untyped]

bp = Blueprint("experiments", __name__)
NO_STORE = {"Cache-Control": "no-store"}
MAX_COMPARED = 12
"""Rooms one compare page shows at most (the first ones asked)."""


def _login_redirect() -> Any:
    return redirect(f"/login?next={request.full_path.rstrip('?')}", code=303)


@bp.get("/sweeps/<path:name>")
def sweep_page(name: str) -> Any:
    if not current_user.is_authenticated:
        return _login_redirect()
    return render_template("sweep.html", sweep=name), 200, NO_STORE


@bp.get("/compare")
def compare_page() -> Any:
    if not current_user.is_authenticated:
        return _login_redirect()
    names: list[str] = []
    for name in request.args.getlist("rooms"):
        if name and name.lower() not in (n.lower() for n in names):
            names.append(name)
    dropped = max(0, len(names) - MAX_COMPARED)
    return render_template("compare.html", rooms=names[:MAX_COMPARED], dropped=dropped), 200, NO_STORE
