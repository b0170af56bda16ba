"""Reference cycles that every connection and every Socket.IO event left behind, broken where made.

What a cycle holds is freed only by a garbage collection, and what lives through two young
collections (a connection lives longer than that) is freed only by a full one, which walks the
whole heap with every thread stopped. Under the soak benchmark's churn (10,000 connect / join /
leave / disconnect cycles, 150 a second) those cycles held 450,000 objects by the time of the
engine's full collection, which took 0.9 s to free them (bench/RESULTS.md). Found by collecting
with ``gc.DEBUG_SAVEALL`` after a churn burst and walking the garbage's referents back to each
object:

1. Flask-SocketIO runs each Socket.IO event in a Flask request context made from the
   connection's WSGI environ (path ``/socket.io/``). Pushing it matches that path against the
   app's routes; there was none, so Flask kept the ``NotFound`` in ``request.routing_exception``,
   whose traceback holds the frame that holds the context: one cycle (~40 objects) per event. A
   route for the Socket.IO path lets the match succeed. It is never served: the Socket.IO
   middleware answers that path before Flask sees it.
2. eventlet's WSGI server puts a closure over the connection's ``HttpProtocol`` in every
   request's environ (``eventlet.set_idle``, for websockets), and the protocol keeps the environ:
   each request left its protocol, socket, buffers and headers in a cycle (~60 objects).
   ``DropIdleHook`` removes the closure once the response is done (an eventlet posthook).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from flask import Flask

SOCKETIO_PATH = "/socket.io/"
ENDPOINT = "socketio_events"
"""The endpoint of the Socket.IO path's route (request contexts of events match it)."""
SET_IDLE = "eventlet.set_idle"
POSTHOOKS = "eventlet.posthooks"


def install(app: Flask) -> None:
    """Break both cycles for `app`: the route, and `DropIdleHook` around its WSGI app (call after
    every other middleware is in place, so that it sees every request)."""
    # Werkzeug matches a websocket request only to a websocket rule, and others only to others.
    app.add_url_rule(SOCKETIO_PATH, ENDPOINT, _not_served, methods=["GET", "POST"], strict_slashes=False)
    app.add_url_rule(
        SOCKETIO_PATH, ENDPOINT, _not_served, methods=["GET"], strict_slashes=False, websocket=True
    )
    app.wsgi_app = DropIdleHook(app.wsgi_app)  # type: ignore[method-assign]


def _not_served() -> tuple[str, int]:
    return "The Socket.IO endpoint answers this path.", 404


class DropIdleHook:
    """WSGI middleware: under eventlet, drop ``eventlet.set_idle`` from a request's environ once
    its response is done (see the module's docstring)."""

    def __init__(self, app: Callable[..., Iterable[bytes]]) -> None:
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        hooks = environ.get(POSTHOOKS)
        if isinstance(hooks, list) and SET_IDLE in environ:
            hooks.append((_drop_set_idle, (), {}))
        return self.app(environ, start_response)


def _drop_set_idle(environ: dict[str, Any]) -> None:
    environ.pop(SET_IDLE, None)
