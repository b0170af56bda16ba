"""``simrooms user create NAME --password-stdin``: make an account, before or while the server runs."""

from __future__ import annotations

import argparse
import sys
from typing import Any


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
    from server.settings import Settings
    from server.storage.database import NameTaken, Storage

    def fail(message: str) -> int:
        print(f"simrooms user create: error: {message}", file=sys.stderr)
        return 1

    if not valid_user_name(args.name):
        return fail(
            f"{args.name!r} is not a valid user name: use 1-40 ASCII letters, digits, '.', '-' or '_'."
        )
    password = read_password(sys.stdin)
    problem = password_problem(password)
    if problem:
        return fail(problem)
    given = {"data_dir": args.data_dir, "database_url": args.database_url}
    settings = Settings(**{name: value for name, value in given.items() if value is not None})
    if settings.database_url is None:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    storage = Storage(settings.resolved_database_url())
    try:
        storage.upgrade()
        storage.create_user(args.name, hash_password(password), is_admin=args.admin)
    except NameTaken:
        return fail(f"the user name {args.name!r} is taken (names ignore case).")
    finally:
        storage.dispose()
    print(f"Created {'admin' if args.admin else 'user'} {args.name}.")
    return 0
