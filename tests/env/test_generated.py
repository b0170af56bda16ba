"""env.generated: the one write-or-check `main` of the generated files."""

from __future__ import annotations

from pathlib import Path

import pytest

from env import wire_js
from env.generated import write_or_check
from server.realtime import protocol_docs


def test_it_writes_the_text_then_checks_it(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "sub" / "made.txt"

    def run(*argv: str) -> int:
        return write_or_check("made", out, lambda: "text\n", "make it", list(argv))

    assert run("--check") == 1 and "is stale: run make it" in capsys.readouterr().err
    assert run() == 0 and out.read_text() == "text\n"
    assert run("--check") == 0
    out.write_text("old\n")
    assert run("--check") == 1
    other = tmp_path / "other.txt"
    assert run("--out", str(other)) == 0 and other.read_text() == "text\n"


@pytest.mark.parametrize("generator", [wire_js, protocol_docs])
def test_both_generators_check_their_file_with_it(generator: object, tmp_path: Path) -> None:
    main = generator.main  # type: ignore[attr-defined]
    assert main(["--check"]) == 0
    assert main(["--check", "--out", str(tmp_path / "missing")]) == 1
