"""The app factory: ``create_app(settings) -> (app, socketio)``.

It wires storage, auth, metrics, the room manager, the engine thread and the bridge that carries
the engine's results to the event loop, keeps them as the app's ``Services`` (server.services),
and registers the HTTP routes, the pages and the socket handlers.
"""

from __future__ import annotations

import datetime as dt
import sys
from importlib.resources import as_file, files

from flask import Flask
from flask_socketio import SocketIO
from werkzeug.middleware.proxy_fix import ProxyFix

from server.engine.archive import Archive
from server.engine.baselines import Baselines
from server.engine.engine import Engine
from server.engine.handoff import Bridge
from server.http import admin, api, errors, experiments, headers, pages, runs
from server.http.auth import Auth, csrf
from server.http.throttle import LoginThrottle
from server.metrics import Metrics
from server.realtime import backlog, cycles, inspector, pings, sockets
from server.realtime.backlog import Backlog
from server.realtime.control_requests import ControlRequests
from server.realtime.guard import BodyLimit, PacketGuard, SessionRate, close_on_undecodable_messages
from server.realtime.manage import RoomManagement
from server.realtime.rooms import RoomManager
from server.realtime.stored import StoredRooms
from server.realtime.sweeps import SweepManager
from server.realtime.transport import Transport
from server.services import Services, install
from server.settings import Settings
from server.storage.database import Storage
from server.tracking.tracker import Tracker, tracking_wanted


def create_app(settings: Settings | None = None) -> tuple[Flask, SocketIO]:
    """Build the Flask app and its Socket.IO server, and start the engine thread (which warms
    MLX up with one learning room first unless ``settings.engine_warmup`` is off)."""
    settings = settings or Settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    if settings.gil_switch_interval:
        sys.setswitchinterval(settings.gil_switch_interval)
    app = _flask_app(settings)
    storage = Storage(settings.resolved_database_url())
    storage.upgrade()
    auth = Auth(storage, settings.token_lifetime_seconds)
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
    if settings.trusted_proxies:
        # Outermost, so that Socket.IO's requests see the forwarded address and scheme too.
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=settings.trusted_proxies, x_proto=settings.trusted_proxies
        )
    body_limit = BodyLimit(app.wsgi_app, socketio.server.eio, settings.max_message_bytes)
    app.wsgi_app = body_limit  # type: ignore[method-assign]
    transport = Transport(
        socketio,
        use_queue=bool(settings.message_queue),
        msgpack=settings.serializer == "msgpack",
        direct_frames=settings.async_mode == "eventlet",
    )
    rooms = RoomManager(settings, storage, transport, metrics, socketio.start_background_task, socketio.sleep)
    bridge = Bridge(green=settings.async_mode == "eventlet")
    archive = Archive(storage, settings.data_dir, bridge)
    tracker = Tracker(storage, settings) if tracking_wanted(settings) else None
    if tracker is not None:
        archive.stored_episodes = tracker.offer
    engine = Engine(settings, bridge, rooms, archive)
    rooms.engine = engine
    rooms.stored = StoredRooms(settings, storage, archive, engine)
    rooms.restore()
    svc = Services(
        settings=settings,
        storage=storage,
        auth=auth,
        metrics=metrics,
        rooms=rooms,
        manage=RoomManagement(rooms),
        sweeps=SweepManager(rooms),
        control_requests=ControlRequests(rooms),
        baselines=Baselines(bridge),
        engine=engine,
        archive=archive,
        bridge=bridge,
        transport=transport,
        socketio=socketio,
        throttle=LoginThrottle(settings),
        tracker=tracker,
    )
    install(app, svc)

    app.register_blueprint(api.bp)
    app.register_blueprint(pages.bp)
    app.register_blueprint(admin.bp)
    app.register_blueprint(runs.bp)
    app.register_blueprint(experiments.bp)
    headers.install(app, settings.cookie_secure)
    errors.install(app)
    csrf.init_app(app)
    # Programs post credentials without a form: the login form checks its own token when it has
    # one (server.http.auth.login_post_trusted), and the token endpoints take JSON or the bearer
    # token, no cookie.
    csrf.exempt(api.login)
    csrf.exempt(api.token)
    csrf.exempt(api.revoke_token)  # takes the bearer token only, never the session cookie
    agent_inspector = inspector.register(socketio, svc)
    svc.manage.on_rename.append(agent_inspector.rename)
    sockets.register(socketio, svc, agent_inspector.handlers())
    guard = PacketGuard(socketio.server)
    close_on_undecodable_messages()
    if settings.connections_limited():
        sessions = SessionRate(
            socketio.server, settings.sessions_per_address_per_second, settings.sessions_per_address_burst
        )
        metrics.sessions_refused.set_function(lambda: sessions.refused)
    queued = Backlog(settings.max_queued_messages, settings.max_queued_bytes)
    backlog.install(socketio.server.eio, queued)
    metrics.backlog_dropped.set_function(lambda: queued.dropped)
    metrics.malformed_closed.set_function(lambda: guard.closed)
    metrics.oversized_refused.set_function(lambda: body_limit.refused)
    metrics.checkpoints_written.set_function(lambda: archive.written_checkpoints)
    metrics.checkpoint_bytes.set_function(lambda: archive.written_bytes)
    metrics.checkpoints_failed.set_function(lambda: archive.failed_checkpoints)
    metrics.archive_backlog.set_function(lambda: archive.backlog)
    if tracker is not None:
        metrics.tracking_logged.set_function(lambda: tracker.logged)
        metrics.tracking_dropped.set_function(lambda: tracker.dropped)
        metrics.tracking_errors.set_function(lambda: tracker.error_count)
    metrics.watch_gc(engine.pauses)
    cycles.install(app)
    if settings.async_mode == "eventlet":
        pings.install()

    if tracker is not None:
        tracker.start()
    archive.start()
    engine.start()
    socketio.start_background_task(bridge.run)
    socketio.start_background_task(svc.lag_probe)
    return app, socketio


def _flask_app(settings: Settings) -> Flask:
    """The Flask app serving the `web` package's templates and static files (package data, so an
    installed simrooms serves them as a checkout does)."""
    with as_file(files("web")) as web:
        app = Flask(
            "simrooms",
            template_folder=str(web / "templates"),
            static_folder=str(web / "static"),
            static_url_path="/static",
        )
    app.config.update(
        SECRET_KEY=settings.resolved_secret_key(),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        REMEMBER_COOKIE_SAMESITE="Lax",
        PERMANENT_SESSION_LIFETIME=dt.timedelta(days=7),
        MAX_CONTENT_LENGTH=settings.max_message_bytes,
        # A page left open for hours must still sign out: the token lives as long as the session.
        WTF_CSRF_TIME_LIMIT=None,
    )
    return app
