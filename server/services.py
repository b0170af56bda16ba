"""The services of one simrooms app, and the one typed way to reach them from a request.

``create_app`` builds a ``Services`` and keeps it in ``app.extensions``; HTTP views reach it with
``services()``, socket handlers are given it when they are registered.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from flask import Flask, current_app
from flask_socketio import SocketIO

from server.engine.archive import Archive
from server.engine.baselines import Baselines
from server.engine.engine import Engine
from server.engine.handoff import Bridge
from server.http.auth import Auth
from server.http.throttle import LoginThrottle
from server.metrics import LAG_PROBE_INTERVAL, Metrics
from server.realtime.control_requests import ControlRequests
from server.realtime.manage import RoomManagement
from server.realtime.rooms import RoomManager
from server.realtime.sweeps import SweepManager
from server.realtime.transport import Transport
from server.settings import Settings
from server.storage.database import Storage
from server.tracking.tracker import Tracker

log = logging.getLogger(__name__)
EXTENSION_KEY = "simrooms"


@dataclass
class Services:
    settings: Settings
    storage: Storage
    auth: Auth
    metrics: Metrics
    rooms: RoomManager
    manage: RoomManagement
    sweeps: SweepManager
    control_requests: ControlRequests
    baselines: Baselines
    engine: Engine
    archive: Archive
    bridge: Bridge
    transport: Transport
    socketio: SocketIO
    throttle: LoginThrottle
    running: bool = True
    tracker: Tracker | None = None
    """Live tracking, when a tracking store is set (server.tracking.tracker)."""

    def disconnect_user(self, user_id: int) -> None:
        """Close every socket of the user (at logout)."""
        self._disconnect(self.rooms.sids_of(user_id))

    def disconnect_token(self, user_id: int, token_id: int) -> None:
        """Close every socket that signed in with the token (it was revoked)."""
        self._disconnect(self.rooms.sids_of_token(user_id, token_id))

    def _disconnect(self, sids: list[str]) -> None:
        for sid in sids:
            try:
                self.transport.disconnect(sid)
            except Exception:
                log.exception("Disconnecting %s failed", sid)

    def lag_probe(self) -> None:
        """A green timer: how late does a sleep of the event loop wake up?"""
        while self.running:
            started = time.monotonic()
            self.socketio.sleep(LAG_PROBE_INTERVAL)
            self.metrics.loop_lag.observe(max(0.0, time.monotonic() - started - LAG_PROBE_INTERVAL))

    def close_connections(self) -> None:
        """Close every client connection (at shutdown)."""
        try:
            self.socketio.server.eio.disconnect()
        except Exception:
            log.exception("Closing the connections failed")

    def shutdown(self) -> None:
        self.running = False
        self.engine.stop()
        self.archive.close()
        if self.tracker is not None:
            self.tracker.close()
        self.bridge.close()
        self.storage.dispose()


def install(app: Flask, svc: Services) -> None:
    app.extensions[EXTENSION_KEY] = svc


def services() -> Services:
    """The services of the app handling the current request."""
    return services_of(current_app)


def services_of(app: Flask) -> Services:
    """The services `create_app` made for `app`."""
    svc = app.extensions[EXTENSION_KEY]
    if not isinstance(svc, Services):
        raise RuntimeError(f"app.extensions[{EXTENSION_KEY!r}] holds {type(svc).__name__}, not Services.")
    return svc
