"""A closed Engine.IO connection's ping task ends with it (eventlet).

python-engineio keeps one green thread per connection that sleeps a ping interval (25 s), then
pings if the connection is still open. Nothing ends it when the connection closes, and it holds
the connection's socket object, queue, timer and frames until it wakes: under the soak
benchmark's churn (140 connections a second) ~3,000-4,300 closed connections, 60,000-87,000
objects, that every full garbage collection walked. ``install`` notes each socket's ping task as
it starts and kills it when the socket closes. python-engineio is pinned; the methods wrapped
here are checked by tests/server/realtime/test_transport_internals.py.
"""

from __future__ import annotations

import functools
from typing import Any

import engineio.socket

TASK = "simrooms_ping_task"
"""Where a socket keeps its sleeping ping task (a green thread), while it sleeps."""
MARKED = "simrooms_ping_task_ends"


def install() -> None:
    """Wrap Engine.IO's ``Socket._send_ping`` and ``Socket.close`` (once per process; eventlet
    only: a real thread cannot be killed)."""
    socket_class: Any = engineio.socket.Socket
    if getattr(socket_class.close, MARKED, False):
        return
    import eventlet
    from eventlet.support.greenlets import GreenletExit

    send_ping = socket_class._send_ping
    close = socket_class.close

    @functools.wraps(send_ping)
    def noted_send_ping(self: engineio.socket.Socket) -> Any:
        setattr(self, TASK, eventlet.getcurrent())
        try:
            return send_ping(self)
        except GreenletExit:
            # Killed on close: end as if it had woken. Raised on, the exception would be kept by
            # the green thread, its traceback holding the frames that hold the green thread.
            return None
        finally:
            setattr(self, TASK, None)

    @functools.wraps(close)
    def closing(self: engineio.socket.Socket, *args: Any, **kwargs: Any) -> Any:
        try:
            return close(self, *args, **kwargs)
        finally:
            task = getattr(self, TASK, None)
            if self.closed and task is not None and task is not eventlet.getcurrent():
                setattr(self, TASK, None)
                eventlet.spawn_n(eventlet.kill, task)  # later: closing must not yield here

    setattr(closing, MARKED, True)
    socket_class._send_ping = noted_send_ping
    socket_class.close = closing
