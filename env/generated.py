"""Files generated from the code (the browser's wire.js, docs/protocol.md): write one, or check
that it is current. Each generator's ``main`` is this one function with its own text; it lives
in env because server may import env and env may not import server."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path


def write_or_check(
    description: str | None, default: Path, text: Callable[[], str], command: str, argv: list[str] | None
) -> int:
    """`main` of a generator: write `text()` to `--out` (`default`), or with `--check` exit 1,
    saying to run `command`, when the file there is not `text()`."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--check", action="store_true", help=f"exit 1 if {default.name} is stale")
    parser.add_argument("--out", type=Path, default=default)
    args = parser.parse_args(argv)
    out: Path = args.out
    wanted = text()
    if args.check:
        if not out.exists() or out.read_text() != wanted:
            print(f"{out} is stale: run {command}", file=sys.stderr)
            return 1
        return 0
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(wanted)
    print(f"wrote {out}")
    return 0
