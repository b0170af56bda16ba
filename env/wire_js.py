"""Generate web/static/js/wire.js, the browser's copy of env.wire's constants.

``python -m env.wire_js`` rewrites the file; ``--check`` exits 1 when it is stale, as a test in
tests/env/test_wire.py does. The browser's delta code (web/static/js/delta.js) imports the wire
form from that file, so a change to env.wire reaches the browser through this generator only.
It is a build tool beside the world: nothing in env imports it.
"""

from __future__ import annotations

import ast
import inspect
import json
import sys
from pathlib import Path

from env import wire
from env.generated import write_or_check

JS_PATH = Path(__file__).resolve().parent.parent / "web" / "static" / "js" / "wire.js"
COMMAND = "python -m env.wire_js"


def constants() -> list[tuple[str, str]]:
    """(name, docstring) of each public constant env.wire assigns, in its order: the docstring is
    the string right after the assignment, as Sphinx reads attribute docs ("" when there is none)."""
    body = ast.parse(inspect.getsource(wire)).body
    found = []
    for node, after in zip(body, [*body[1:], None], strict=True):
        if not (
            isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name)
        ):
            continue
        if node.targets[0].id.startswith("_"):
            continue
        doc = ""
        if (
            isinstance(after, ast.Expr)
            and isinstance(after.value, ast.Constant)
            and isinstance(after.value.value, str)
        ):
            doc = inspect.cleandoc(after.value.value)
        found.append((node.targets[0].id, doc))
    return found


def _javascript(name: str, value: object) -> tuple[str, str]:
    """The JSDoc type and the JavaScript expression of the constant `name`. Arrays and objects
    are frozen: every module that imports them shares them."""
    if isinstance(value, str):
        return "string", json.dumps(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return "number", json.dumps(value)
    if isinstance(value, tuple) and all(isinstance(item, str) for item in value):
        return "readonly string[]", f"Object.freeze({json.dumps(list(value))})"
    if isinstance(value, dict) and all(
        isinstance(key, str) and type(item) is int for key, item in value.items()
    ):
        return "Readonly<Record<string, number>>", f"Object.freeze({json.dumps(value)})"
    raise TypeError(
        f"env.wire.{name} is {value!r}: wire.js holds only a str, an int, a tuple of str or a dict of str to int."
    )


def module_text() -> str:
    """The text of web/static/js/wire.js."""
    lines = [
        "// @ts-check",
        f"// Generated from env/wire.py by `{COMMAND}`; do not edit by hand (a test fails when it",
        "// is stale). The wire form of a room's state: names, orders, codes and scales of the",
        "// Snapshot and its deltas (env/delta.py specifies the delta form).",
    ]
    for name, doc in constants():
        kind, expression = _javascript(name, getattr(wire, name))
        lines += ["", "/**"]
        lines += [f" * {line}".rstrip() for line in doc.replace("``", "`").splitlines()]
        lines += [f" * @type {{{kind}}}", " */", f"export const {name} = {expression};"]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    return write_or_check(__doc__, JS_PATH, module_text, COMMAND, argv)


if __name__ == "__main__":
    sys.exit(main())
