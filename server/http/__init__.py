"""The HTTP side: the JSON API, the browser pages, the admin API and authentication.

- ``api``: health, login and logout, tokens, rooms, the protocol schema, metrics.
- ``pages``: the lobby, the room view, the admin page and sign-up.
- ``admin``: what the admin page shows (``GET /api/admin/rooms``).
- ``auth``: passwords, sessions, tokens and CSRF.
- ``errors``: the 404 and 403 pages (JSON under ``/api/``).
"""
