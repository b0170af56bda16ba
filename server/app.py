"""The app factory: ``create_app(settings) -> (app, socketio)``.

It wires storage, auth, metrics, the room manager, the engine thread and the bridge that carries
the engine's results to the event loop. ``Services`` (``app.extensions["simrooms"]``) holds them.
"""

from __future__ import annotations

import datetime as dt
import logging
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import Flask
from flask_socketio import SocketIO

from server.auth import Auth
from server.engine import Bridge, Engine
from server.metrics import LAG_PROBE_INTERVAL, Metrics
from server.ratelimit import KeyedLimiter
from server.rooms import RoomManager
from server.settings import Settings
from server.storage import Storage
from server.transport import Transport

log = logging.getLogger(__name__)


@dataclass
class Services:
    settings: Settings
    storage: Storage
    auth: Auth
    metrics: Metrics
    rooms: RoomManager
    engine: Engine
    bridge: Bridge
    transport: Transport
    socketio: SocketIO
    login_limiter: KeyedLimiter
    running: bool = True

    def disconnect_user(self, user_id: int) -> None:
        """Close every socket of the user (at logout)."""
        for sid in self.rooms.sids_of(user_id):
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
        self.bridge.close()
        self.storage.dispose()


def create_app(settings: Settings | None = None, sim_factory: Any = None, warmup: bool | None = None) -> tuple[Flask, SocketIO]:
    """Build the Flask app and its Socket.IO server, and start the engine thread.

    `sim_factory(agents, policy, seed)` replaces RoomSimulation (tests only). The engine warms MLX
    up with one learning room unless `warmup` is False (default: settings.engine_warmup).
    """
    settings = settings or Settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    if settings.gil_switch_interval:
        sys.setswitchinterval(settings.gil_switch_interval)
    web = Path(__file__).resolve().parent.parent / "web"
    app = Flask(
        "simrooms", template_folder=str(web / "templates"), static_folder=str(web / "static"), static_url_path="/static"
    )
    app.config.update(
        SECRET_KEY=settings.resolved_secret_key(),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        REMEMBER_COOKIE_SAMESITE="Lax",
        PERMANENT_SESSION_LIFETIME=dt.timedelta(days=7),
        MAX_CONTENT_LENGTH=settings.max_message_bytes,
    )
    storage = Storage(settings.resolved_database_url())
    storage.create_all()
    auth = Auth(storage, app.config["SECRET_KEY"], settings.token_lifetime_seconds)
    auth.login_manager.init_app(app)
    metrics = Metrics()

    socketio = SocketIO(
        app,
        async_mode=settings.async_mode,
        message_queue=settings.message_queue,
        max_http_buffer_size=settings.max_message_bytes,
        ping_interval=settings.ping_interval,
        ping_timeout=settings.ping_timeout,
        logger=False,
        engineio_logger=False,
        serializer="msgpack" if settings.serializer == "msgpack" else "default",
    )
    transport = Transport(
        socketio,
        use_queue=bool(settings.message_queue),
        msgpack=settings.serializer == "msgpack",
        direct_frames=settings.async_mode == "eventlet",
    )
    rooms = RoomManager(settings, storage, transport, metrics, socketio.start_background_task, socketio.sleep)
    bridge = Bridge(green=settings.async_mode == "eventlet")
    engine = Engine(settings, bridge, rooms, sim_factory=sim_factory)
    rooms.engine = engine
    svc = Services(
        settings=settings,
        storage=storage,
        auth=auth,
        metrics=metrics,
        rooms=rooms,
        engine=engine,
        bridge=bridge,
        transport=transport,
        socketio=socketio,
        login_limiter=KeyedLimiter(settings.login_attempts_per_second, settings.login_attempts_burst),
    )
    app.extensions["simrooms"] = svc

    from server import inspector, pages, sockets
    from server.http import bp

    app.register_blueprint(bp)
    sockets.register(socketio, svc, inspector.register(socketio, svc).handlers())
    pages.init_app(app)  # the web client: pages and the admin API

    engine.start(warmup=settings.engine_warmup if warmup is None else warmup)
    socketio.start_background_task(bridge.run)
    socketio.start_background_task(svc.lag_probe)
    return app, socketio
