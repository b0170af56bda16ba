"""What simrooms keeps, in its database through SQLAlchemy (migrated with Alembic).

- ``database.Storage``: the one object the server uses, made of ``users``, ``tokens``, ``rooms``
  and ``history`` over ``connection.Database``.
- ``models``: the tables as ORM rows; ``records``: the frozen dataclasses the API hands out.
- ``migrate`` and ``migrations/``: the schema's revisions.
"""
