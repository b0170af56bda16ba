"""ESLint and TypeScript's checker over the pages' scripts (web/static/js), pinned in tests/js.

`npm ci` installs them from tests/js/package-lock.json (from npm's cache when it has them);
then ESLint runs with tests/js/eslint.config.mjs and `tsc -p tests/js` checks, in strict mode,
every script that starts with `// @ts-check`.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
JS_DIR = REPO / "tests" / "js"
SCRIPTS = REPO / "web" / "static" / "js"
BIN = JS_DIR / "node_modules" / ".bin"


@pytest.fixture(scope="module")
def node_modules() -> Path:
    npm = shutil.which("npm")
    if npm is None:
        pytest.skip("npm is not installed: ESLint and TypeScript come from tests/js/package-lock.json")
    done = subprocess.run(
        [npm, "ci", "--prefer-offline", "--no-audit", "--no-fund"],
        cwd=JS_DIR,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, f"npm ci failed:\n{done.stdout[-2000:]}{done.stderr[-2000:]}"
    return BIN


def run(tool: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(tool), *args], cwd=REPO, capture_output=True, text=True, timeout=300)


def test_eslint_finds_nothing(node_modules: Path) -> None:
    done = run(
        node_modules / "eslint", "-c", "tests/js/eslint.config.mjs", "--max-warnings", "0", "web/static/js"
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_typescript_finds_nothing(node_modules: Path) -> None:
    done = run(node_modules / "tsc", "-p", "tests/js", "--pretty", "false")
    assert done.returncode == 0, done.stdout + done.stderr


def test_every_script_asks_for_the_checker() -> None:
    scripts = sorted(SCRIPTS.glob("*.js"))
    assert scripts
    unchecked = [p.name for p in scripts if not p.read_text().startswith("// @ts-check\n")]
    assert unchecked == [], "these scripts do not start with // @ts-check"


def imports(script: Path) -> set[str]:
    """The scripts `script` imports, and theirs."""
    seen: set[str] = set()
    todo = [script.name]
    while todo:
        text = (SCRIPTS / todo.pop()).read_text()
        for name in re.findall(r'^import\b[^;]*?["\']\./([\w.]+\.js)["\'];', text, flags=re.M | re.S):
            if name not in seen:
                seen.add(name)
                todo.append(name)
    return seen


def test_the_room_page_preloads_only_what_room_js_imports() -> None:
    template = (REPO / "web" / "templates" / "room.html").read_text()
    listed = re.search(r"\{% for module in \[([^\]]*)\] %\}\s*<link rel=\"modulepreload\"", template)
    assert listed, "room.html's modulepreload loop is not there"
    preloaded = {f"{name}.js" for name in re.findall(r'"(\w+)"', listed.group(1))}
    assert preloaded and preloaded <= imports(SCRIPTS / "room.js"), preloaded - imports(SCRIPTS / "room.js")
