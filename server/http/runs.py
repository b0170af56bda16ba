"""What the HTTP API tells of runs: a room's finished episodes (JSON for programs, CSV for
spreadsheets), the baselines its curves are read against, sweeps, and the config's schema."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify, request
from flask_login import current_user  # type: ignore[import-untyped]

from server.episodes import as_csv, with_config
from server.realtime.validation import ProtocolError
from server.services import services
from simrooms.config import RoomConfig

bp = Blueprint("runs", __name__)
SIGN_IN = "Sign in or send Authorization: Bearer TOKEN."


@bp.get("/api/rooms/<name>/episodes")
def episodes(name: str) -> Any:
    """Every finished episode of the room's life, oldest first, across restarts, with the room's
    config (a key beside them in JSON, columns in CSV); 404 for a room the user may not see, as
    for one that does not exist."""
    if not current_user.is_authenticated:
        return jsonify({"error": SIGN_IN}), 401
    form = request.args.get("format", "json")
    if form not in ("json", "csv"):
        return jsonify({"error": f"format {form!r} is not one of json, csv."}), 400
    rooms = services().rooms
    try:
        config = rooms.find(current_user.user, name).config_whole
        found = rooms.episodes(current_user.user, name)
    except ProtocolError as error:
        return jsonify({"error": error.message}), 404
    if form == "csv":
        return Response(
            as_csv(with_config(found, config)),
            content_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{_file_name(name)}-episodes.csv"'},
        )
    return jsonify({"episodes": found, "config": config})


def _file_name(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in name)


@bp.get("/api/rooms/<name>/baselines")
def baselines(name: str) -> Any:
    """The scripted and the random policy's mean figures on the room's world and agent count
    (computed once per config; the first ask may take a few seconds)."""
    if not current_user.is_authenticated:
        return jsonify({"error": SIGN_IN}), 401
    svc = services()
    try:
        room = svc.rooms.find(current_user.user, name)
    except ProtocolError as error:
        return jsonify({"error": error.message}), 404
    world, _ = room.config.to_configs()
    return jsonify(svc.baselines.of(room.agents, world).wait())


@bp.get("/api/sweeps")
def sweeps() -> Any:
    if not current_user.is_authenticated:
        return jsonify({"error": SIGN_IN}), 401
    return jsonify({"sweeps": services().sweeps.listed(current_user.user)})


@bp.get("/api/sweeps/<name>")
def sweep(name: str) -> Any:
    if not current_user.is_authenticated:
        return jsonify({"error": SIGN_IN}), 401
    try:
        return jsonify(services().sweeps.describe(current_user.user, name))
    except ProtocolError as error:
        return jsonify({"error": error.message}), 404


@bp.get("/api/config/schema")
def config_schema() -> Any:
    """The JSON schema of a room's config: every field with its bounds, default and meaning."""
    if not current_user.is_authenticated:
        return jsonify({"error": SIGN_IN}), 401
    return jsonify(RoomConfig.model_json_schema())
