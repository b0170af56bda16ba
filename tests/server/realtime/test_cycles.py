"""Socket.IO events and HTTP requests leave no reference cycles (server.realtime.cycles): what
churning connections left in cycles was what the full garbage collections spent their pauses on."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from flask import request

from tests.support.app import app_token, running_app
from tests.support.server import NS


@contextmanager
def garbage_kept() -> Iterator[list[Any]]:
    """The objects that only a collection would free, made inside the block (collected with
    DEBUG_SAVEALL on leaving it)."""
    gc.collect()
    gc.disable()
    kept: list[Any] = []
    try:
        yield kept
    finally:
        gc.set_debug(gc.DEBUG_SAVEALL)
        try:
            gc.collect()
            kept.extend(gc.garbage)
            gc.garbage.clear()
        finally:
            gc.set_debug(0)
            gc.enable()


def kinds(objects: list[Any]) -> set[str]:
    return {f"{type(o).__module__}.{type(o).__qualname__}" for o in objects}


def test_socketio_events_leave_no_request_context_in_a_cycle(tmp_path: Path) -> None:
    with running_app(tmp_path) as (flask_app, socketio):
        token = app_token(flask_app.test_client(), "alice")
        client = socketio.test_client(flask_app, namespace=NS, auth={"token": token})
        assert client.is_connected(NS)
        with garbage_kept() as kept:
            for _ in range(20):
                ack = client.emit("list_rooms", {}, namespace=NS, callback=True)
                assert ack["ok"], ack
        client.disconnect(namespace=NS)
        assert "flask.ctx.RequestContext" not in kinds(kept)
        assert not [o for o in kept if isinstance(o, BaseException)], "a routing exception in a cycle"


def test_the_socketio_path_matches_a_route_for_websocket_and_polling_contexts(tmp_path: Path) -> None:
    with running_app(tmp_path) as (flask_app, _):
        for headers in ({}, {"Upgrade": "websocket", "Connection": "Upgrade"}):
            with flask_app.test_request_context(
                "/socket.io/", query_string={"EIO": "4", "transport": "websocket"}, headers=headers
            ):
                assert request.routing_exception is None, headers
        assert flask_app.test_client().get("/socket.io/").status_code != 200


def test_eventlets_idle_hook_is_dropped_from_the_environ_once_the_response_is_done(tmp_path: Path) -> None:
    """eventlet's server keeps each request's environ, and the environ's ``eventlet.set_idle``
    closes over the server's protocol object: a cycle per request unless the hook is dropped."""
    with running_app(tmp_path) as (flask_app, _):
        posthooks: list[tuple[Any, tuple[Any, ...], dict[str, Any]]] = []
        environ: dict[str, Any] = {
            "REQUEST_METHOD": "GET",
            "PATH_INFO": "/healthz",
            "SERVER_NAME": "127.0.0.1",
            "SERVER_PORT": "5000",
            "REMOTE_ADDR": "127.0.0.1",
            "wsgi.url_scheme": "http",
            "wsgi.input": None,
            "eventlet.posthooks": posthooks,
            "eventlet.set_idle": lambda: None,
        }
        body = b"".join(flask_app.wsgi_app(environ, lambda status, headers, *exc: None))
        assert body
        for hook, args, kwargs in posthooks:  # as eventlet.wsgi runs them after the response
            hook(environ, *args, **kwargs)
        assert "eventlet.set_idle" not in environ
