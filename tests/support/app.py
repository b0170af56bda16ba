"""The server in the test process: create_app in threading mode (the engine thread is real), for
Flask's test client and Flask-SocketIO's test client."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from flask_socketio import SocketIO

from server.app import create_app
from server.http.auth import hash_password
from server.services import Services
from server.settings import Settings
from tests.support.server import PASSWORD, USERS


@contextmanager
def running_app(
    data_dir: Path, users: Mapping[str, bool] = USERS, **settings: Any
) -> Iterator[tuple[Flask, SocketIO]]:
    """create_app on `data_dir` with `users` (name -> is admin, all with PASSWORD) and `settings`
    over threading mode without warmup; its services shut down on leaving."""
    flask_app, socketio = create_app(
        Settings(data_dir=data_dir, **{"async_mode": "threading", "engine_warmup": False, **settings})
    )
    svc: Services = flask_app.extensions["simrooms"]
    try:
        hashed = hash_password(PASSWORD)
        for name, admin in users.items():
            svc.storage.create_user(name, hashed, is_admin=admin)
        yield flask_app, socketio
    finally:
        svc.shutdown()


def app_token(http: FlaskClient, user: str, password: str = PASSWORD) -> str:
    """A bearer token from POST /api/token through Flask's test client."""
    answer = http.post("/api/token", json={"username": user, "password": password})
    assert answer.status_code == 200, answer.get_data(as_text=True)
    return str(answer.json["token"])  # type: ignore[index]
