"""The ``simrooms`` command line: ``serve``, ``user create``, ``db upgrade``, ``simulate``, ``sweep``
and ``export``.

Each subcommand is a (name, help, register) entry of COMMANDS: `register` adds the subcommand's
arguments to its parser and sets ``run`` to the function that carries it out. This module's own
imports must stay free of numpy and mlx: main() may still re-execute the process to preload
OpenBLAS (server.cli.blas), so every subcommand imports its heavy parts when it runs.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence

from server.cli.arguments import Parser, UsageError
from server.cli.blas import ensure_fast_blas
from server.cli.db import register_db
from server.cli.export import register_export
from server.cli.serve import patch_before_imports, register_serve
from server.cli.simulate import register_simulate
from server.cli.sweep import register_sweep
from server.cli.users import register_user

Register = Callable[[argparse.ArgumentParser], None]
COMMANDS: list[tuple[str, str, Register]] = [
    ("simulate", "Run one room headless (no server) and print its final stats.", register_simulate),
    ("serve", "Serve rooms over HTTP and Socket.IO until SIGINT or SIGTERM.", register_serve),
    ("user", "Manage users: simrooms user create NAME --password-stdin.", register_user),
    ("db", "Manage the database: simrooms db upgrade migrates it to the newest schema.", register_db),
    ("sweep", "Make a sweep on a running server from a TOML or JSON file.", register_sweep),
    (
        "export",
        "Write a stored room's episodes as CSV, JSON Lines or TensorBoard events (the server may run or not).",
        register_export,
    ),
]


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(prog="simrooms", description="Rooms where MLX agents learn to run a production world.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND", parser_class=Parser)
    for name, help_text, register in COMMANDS:
        register(commands.add_parser(name, help=help_text, description=help_text))
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    if argv is None:
        # Only the process's own entry point may replace the process.
        ensure_fast_blas(sys.orig_argv)
    arguments = list(sys.argv[1:] if argv is None else argv)
    if arguments[:1] == ["serve"]:
        patch_before_imports(arguments[1:])
    args = build_parser().parse_args(arguments)
    try:
        code: int = args.run(args)
    except UsageError as error:
        print(f"simrooms {args.command}: error: {error}", file=sys.stderr)
        return 2
    return code
