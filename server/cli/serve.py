"""``simrooms serve``: the server, until SIGINT or SIGTERM.

Every field of server.settings.Settings is a flag (``--max-rooms 50``) and an environment variable
(``SIMROOMS_MAX_ROOMS``), derived by pydantic-settings. Under eventlet the process must be
monkey-patched before Flask, SQLAlchemy, pydantic or the socket stack are imported, so the entry
point calls ``patch_before_imports`` with the raw arguments before it builds any parser.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import socket
import sys
from collections.abc import Sequence
from typing import Any

from server.cli.arguments import UsageError

ASYNC_MODE_FLAG = "--async-mode"


def patch_before_imports(argv: Sequence[str]) -> None:
    """Monkey-patch for eventlet now if `argv` (serve's own arguments) or the environment asks
    for it, as the default does."""
    mode = os.environ.get("SIMROOMS_ASYNC_MODE") or "eventlet"
    for index, arg in enumerate(argv):
        if arg == ASYNC_MODE_FLAG and index + 1 < len(argv):
            mode = argv[index + 1]
        elif arg.startswith(ASYNC_MODE_FLAG + "="):
            mode = arg.split("=", 1)[1]
    if mode == "eventlet":
        import warnings

        warnings.filterwarnings("ignore", message="\\s*Eventlet is deprecated")
        import eventlet

        eventlet.monkey_patch()


def register_serve(parser: argparse.ArgumentParser) -> None:
    from pydantic_settings import CliSettingsSource

    from server.settings import Settings

    source: CliSettingsSource[Settings] = CliSettingsSource(
        Settings, root_parser=parser, cli_kebab_case=True, cli_implicit_flags=True, cli_parse_none_str="none"
    )
    parser.set_defaults(run=run_serve, settings_source=source)


def run_serve(args: argparse.Namespace) -> int:
    import logging

    from pydantic import ValidationError

    from server.settings import Settings

    try:
        settings = Settings(_cli_settings_source=args.settings_source(parsed_args=args))
    except ValidationError as error:
        first = error.errors(include_url=False)[0]
        flag = "--" + str(first["loc"][0]).replace("_", "-") if first["loc"] else "a setting"
        raise UsageError(
            f"{flag} has {first['input']!r}: {first['msg'][0].lower()}{first['msg'][1:]}."
        ) from None
    logging.basicConfig(
        level=getattr(logging, settings.log_level.upper(), logging.INFO),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    from server.app import create_app
    from server.cli.blas import blas_status
    from server.services import services_of

    app, socketio = create_app(settings)
    svc = services_of(app)
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
        settings.host,
        settings.port,
        settings.async_mode,
        blas_status(),
        settings.data_dir.resolve(),
    )
    try:
        if settings.async_mode == "eventlet":
            _serve_eventlet(app, settings)
        else:
            socketio.run(
                app,
                host=settings.host,
                port=settings.port,
                allow_unsafe_werkzeug=True,
                log_output=False,
                use_reloader=False,
            )
    except (SystemExit, KeyboardInterrupt) as stopped:
        log.info("stop requested (%s)", type(stopped).__name__)
    finally:
        log.info("simrooms stopping")
        svc.shutdown()
    # The engine and trainer threads are joined and everything is closed: end here, before the
    # interpreter finalizes. After runs with 2,000 observers, two stops in three died in C++'s
    # std::terminate ("terminate called without an active exception", SIGABRT) while native
    # threads were torn down at finalization, with only the main thread, eventlet's tpool threads
    # and the shutdown timer left in Python.
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


SHUTDOWN_GRACE = 10.0
SOCKET_TIMEOUT_MARGIN = 10.0
"""Seconds beyond a ping cycle that a connection may stay silent before it is closed."""


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
        # No traceback in a 500's body: the log has it.
        debug=False,
        # An idle keep-alive connection is closed after this long, so idle sockets cannot hold
        # every connection slot.
        keepalive=settings.keepalive_seconds,
        # A live client sends something (at least its pong) every ping interval: a socket silent
        # for longer than a ping cycle is dead or hostile.
        socket_timeout=settings.ping_interval + settings.ping_timeout + SOCKET_TIMEOUT_MARGIN,
    )
