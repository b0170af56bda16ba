"""A room's finished episodes over HTTP: JSON for programs, CSV for spreadsheets."""

from __future__ import annotations

import csv
import io
from typing import Any

from flask import Blueprint, Response, jsonify, request
from flask_login import current_user  # type: ignore[import-untyped]

from server.realtime.stored import EPISODE_COLUMNS
from server.realtime.validation import ProtocolError
from server.services import services

bp = Blueprint("episodes", __name__)


@bp.get("/api/rooms/<name>/episodes")
def episodes(name: str) -> Any:
    """Every finished episode of the room's life, oldest first, across restarts; 404 for a room
    the user may not see, as for one that does not exist."""
    if not current_user.is_authenticated:
        return jsonify({"error": "Sign in or send Authorization: Bearer TOKEN."}), 401
    form = request.args.get("format", "json")
    if form not in ("json", "csv"):
        return jsonify({"error": f"format {form!r} is not one of json, csv."}), 400
    try:
        found = services().rooms.episodes(current_user.user, name)
    except ProtocolError as error:
        return jsonify({"error": error.message}), 404
    if form == "csv":
        return Response(
            as_csv(found),
            content_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{_file_name(name)}-episodes.csv"'},
        )
    return jsonify({"episodes": found})


def as_csv(rows: list[dict[str, Any]]) -> str:
    """The rows as CSV: the episode's own columns first, then every training figure any row has."""
    columns = list(EPISODE_COLUMNS)
    for row in rows:
        columns.extend(key for key in row if key not in columns)
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def _file_name(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in name)
