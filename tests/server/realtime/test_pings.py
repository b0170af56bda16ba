"""A closed connection's ping task ends with it (server.realtime.pings): else each closed
connection stayed in memory, walked by every full garbage collection, for a ping interval."""

from __future__ import annotations

import subprocess
import sys

from tests.support.server import REPO

PROBE = """
import warnings
warnings.filterwarnings("ignore", message="\\\\s*Eventlet is deprecated")
import eventlet
eventlet.monkey_patch()
import gc, sys, weakref
import engineio, engineio.socket
from server.realtime import pings
if sys.argv[1] == "installed":
    pings.install()
    pings.install()  # once only
gc.disable()  # what is freed here is freed by reference counting, without a collection
server = engineio.Server(async_mode="eventlet", ping_interval=25)
sock = engineio.socket.Socket(server, "sid")
server.sockets["sid"] = sock
sock.schedule_ping()
eventlet.sleep(0.05)  # the ping task sleeps its 25 s
ref = weakref.ref(sock)
server.sockets.pop("sid")
sock.close(wait=False, abort=True)
del sock
eventlet.sleep(0.1)
print("alive" if ref() is not None else "freed")
"""


def probe(mode: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", PROBE, mode], cwd=REPO, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_a_closed_sockets_ping_task_ends_and_frees_it_at_once() -> None:
    assert probe("installed") == "freed"


def test_without_it_the_sleeping_ping_task_holds_the_closed_socket() -> None:
    """What the test above guards against (python-engineio's own behaviour)."""
    assert probe("plain") == "alive"
