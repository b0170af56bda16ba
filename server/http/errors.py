"""Error pages: 404 and 403 in the site's look for people, JSON for programs.

A browser that asks for a page that is not there (or that it may not see) gets ``error.html``: a
title, a sentence saying what happened and a link back to the lobby. Requests under ``/api/``,
and any that prefer JSON, get ``{"error": sentence}`` as the API's own answers are shaped. Routes
that answer an error themselves (the API's ``{"error": ...}`` replies) are not touched: these
handlers only see errors raised with ``abort`` or by Flask's routing.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, jsonify, render_template, request
from werkzeug.exceptions import Forbidden, NotFound

NO_STORE = {"Cache-Control": "no-store"}
TITLES = {403: "Not allowed", 404: "Page not found"}


def wants_json() -> bool:
    """Whether the request is a program's: under ``/api/``, or preferring JSON to HTML."""
    if request.path.startswith("/api/"):
        return True
    accept = request.accept_mimetypes
    return accept.best_match(["text/html", "application/json"]) == "application/json"


def error_page(status: int, message: str, title: str | None = None) -> tuple[str, int, dict[str, str]]:
    """The page ``error.html`` for `status` saying `message`, with a link to the lobby."""
    page = render_template("error.html", status=status, title=title or TITLES[status], message=message)
    return page, status, {"Content-Type": "text/html; charset=utf-8", **NO_STORE}


def _answer(status: int, message: str) -> Any:
    if wants_json():
        return jsonify({"error": message}), status
    return error_page(status, message)


def not_found(_: NotFound) -> Any:
    return _answer(404, f"There is nothing at {request.path!r} (or you may not see it).")


def forbidden(_: Forbidden) -> Any:
    return _answer(403, f"You may not open {request.path!r}.")


def install(app: Flask) -> None:
    app.register_error_handler(NotFound, not_found)
    app.register_error_handler(Forbidden, forbidden)
