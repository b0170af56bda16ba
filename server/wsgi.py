"""WSGI entry point for gunicorn (see docs/deploy.md): ``gunicorn -k eventlet -w 1 server.wsgi:app``.

gunicorn's eventlet worker monkey-patches before it imports this module. Settings come from the
``SIMROOMS_*`` environment variables. Do not use ``--preload``: the engine thread must start in
the worker, not in the master that forks it.
"""

from __future__ import annotations

import atexit

from server.app import create_app
from server.services import services_of
from server.settings import Settings

app, socketio = create_app(Settings())
# gunicorn's worker exits through sys.exit on SIGTERM: checkpoint every room on the way out.
atexit.register(services_of(app).shutdown)
