"""The ``serve`` and ``user create`` subcommands of ``simrooms`` (registered in server.cli).

Nothing heavy is imported at module level: ``serve`` must monkey-patch for eventlet before Flask,
SQLAlchemy or the socket stack are imported.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import socket
import sys
from typing import Any

ASYNC_MODES = ("eventlet", "threading")


def _env(name: str) -> str | None:
    return os.environ.get(f"SIMROOMS_{name.upper()}") or None


# ------------------------------------------------------------------ serve


def register_serve(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default=None, help="address to listen on (SIMROOMS_HOST, default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=None, help="port (SIMROOMS_PORT, default 5000)")
    parser.add_argument("--data-dir", default=None, help="database and secret key (SIMROOMS_DATA_DIR, ./instance)")
    parser.add_argument("--database-url", default=None, help="SQLAlchemy URL (SIMROOMS_DATABASE_URL)")
    parser.add_argument(
        "--message-queue", default=None, help="Socket.IO message queue URL (SIMROOMS_MESSAGE_QUEUE, default none)"
    )
    parser.add_argument(
        "--async-mode", choices=ASYNC_MODES, default=None, help="SIMROOMS_ASYNC_MODE, default eventlet"
    )
    parser.add_argument(
        "--serializer", choices=("json", "msgpack"), default=None, help="wire format (SIMROOMS_SERIALIZER, default json)"
    )
    parser.set_defaults(run=run_serve)


def settings_from(args: argparse.Namespace, names: tuple[str, ...]) -> Any:
    from server.settings import Settings

    overrides = {name: getattr(args, name) for name in names if getattr(args, name, None) is not None}
    return Settings(**overrides)


def run_serve(args: argparse.Namespace) -> int:
    mode = args.async_mode or _env("async_mode") or "eventlet"
    if mode == "eventlet":
        import warnings

        warnings.filterwarnings("ignore", message="\\s*Eventlet is deprecated")
        import eventlet

        eventlet.monkey_patch()
    import logging

    settings = settings_from(
        args, ("host", "port", "data_dir", "database_url", "message_queue", "async_mode", "serializer")
    )
    logging.basicConfig(
        level=getattr(logging, settings.log_level.upper(), logging.INFO),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    from server.app import create_app
    from server.cli.blas import blas_status

    app, socketio = create_app(settings)
    svc = app.extensions["simrooms"]
    log = logging.getLogger("simrooms.serve")

    stopping: list[int] = []

    def stop(signum: int, _frame: Any) -> None:
        if stopping:
            return
        stopping.append(signum)
        log.info("received %s", signal.Signals(signum).name)
        svc.running = False
        if settings.async_mode == "eventlet":
            # The server waits for open connections when it stops: close them, and give up
            # waiting after a while.
            import eventlet

            eventlet.spawn_n(svc.close_connections)
            _exit_later(SHUTDOWN_GRACE)
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    log.info(
        "simrooms serving on http://%s:%s (%s, BLAS %s, data in %s)",
        settings.host, settings.port, settings.async_mode, blas_status(), settings.data_dir.resolve(),
    )
    try:
        if settings.async_mode == "eventlet":
            _serve_eventlet(app, settings)
        else:
            socketio.run(
                app, host=settings.host, port=settings.port, allow_unsafe_werkzeug=True, log_output=False,
                use_reloader=False,
            )
    except (SystemExit, KeyboardInterrupt) as stopped:
        log.info("stop requested (%s)", type(stopped).__name__)
    finally:
        log.info("simrooms stopping")
        svc.shutdown()
    return 0


SHUTDOWN_GRACE = 10.0


def _exit_later(seconds: float) -> None:
    """A real thread that ends the process if a clean stop takes longer than `seconds`."""
    import eventlet.patcher

    threading = eventlet.patcher.original("threading")
    timer = threading.Timer(seconds, lambda: os._exit(0))
    timer.daemon = True
    timer.start()


class NoDelayListener:
    """A listening socket whose accepted connections have TCP_NODELAY set (no Nagle delay)."""

    def __init__(self, sock: Any) -> None:
        self._sock = sock

    def accept(self) -> tuple[Any, Any]:
        conn, addr = self._sock.accept()
        with contextlib.suppress(OSError):
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return conn, addr

    def __getattr__(self, name: str) -> Any:
        return getattr(self._sock, name)


def _serve_eventlet(app: Any, settings: Any) -> None:
    import eventlet
    import eventlet.wsgi

    family = socket.AF_INET6 if ":" in settings.host else socket.AF_INET
    listener = eventlet.listen((settings.host, settings.port), family=family, backlog=2048, reuse_port=False)
    listener.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    eventlet.wsgi.server(
        NoDelayListener(listener),
        app,
        max_size=settings.max_connections,
        log_output=False,
        socket_timeout=None,
    )


# ------------------------------------------------------------------ user create


def register_user(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    create = actions.add_parser("create", help="Create a user.", description="Create a user.")
    create.add_argument("name", help="1-40 ASCII letters, digits, '.', '-' or '_'")
    create.add_argument("--admin", action="store_true", help="the user administers every room")
    create.add_argument("--data-dir", default=None, help="SIMROOMS_DATA_DIR, default ./instance")
    create.add_argument("--database-url", default=None, help="SIMROOMS_DATABASE_URL")
    create.add_argument(
        "--password-stdin", action="store_true", required=True, help="read the password from standard input"
    )
    create.set_defaults(run=run_user_create)


def read_password(stream: Any) -> str:
    """Standard input's text with one trailing newline dropped."""
    text: str = stream.read()
    if text.endswith("\r\n"):
        return text[:-2]
    if text.endswith("\n"):
        return text[:-1]
    return text


def run_user_create(args: argparse.Namespace) -> int:
    from server.http.auth import hash_password, password_problem, valid_user_name
    from server.storage.database import NameTaken, Storage

    def fail(message: str) -> int:
        print(f"simrooms user create: error: {message}", file=sys.stderr)
        return 1

    if not valid_user_name(args.name):
        return fail(f"{args.name!r} is not a valid user name: use 1-40 ASCII letters, digits, '.', '-' or '_'.")
    password = read_password(sys.stdin)
    problem = password_problem(password)
    if problem:
        return fail(problem)
    settings = settings_from(args, ("data_dir", "database_url"))
    if settings.database_url is None:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    storage = Storage(settings.resolved_database_url())
    try:
        storage.create_all()
        storage.create_user(args.name, hash_password(password), is_admin=args.admin)
    except NameTaken:
        return fail(f"the user name {args.name!r} is taken (names ignore case).")
    finally:
        storage.dispose()
    print(f"Created {'admin' if args.admin else 'user'} {args.name}.")
    return 0
