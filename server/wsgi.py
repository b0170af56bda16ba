"""WSGI entry point for gunicorn (see docs/deploy.md): ``gunicorn -k eventlet -w 1 server.wsgi:app``.

gunicorn's eventlet worker monkey-patches before it imports this module. Settings come from the
``SIMROOMS_*`` environment variables. Do not use ``--preload``: the engine thread must start in
the worker, not in the master that forks it.
"""

from __future__ import annotations

from server.app import create_app
from server.settings import Settings

app, socketio = create_app(Settings())
