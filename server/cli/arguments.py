"""What every ``simrooms`` subcommand shares: one-line argument errors and argument types."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import NoReturn


class UsageError(Exception):
    """A bad argument found after parsing; main() prints it on one line and exits 2."""


class Parser(argparse.ArgumentParser):
    """argparse with one-line errors: the message names the bad value, usage is one --help away."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message}\n")


def int_between(low: int, high: int | None) -> Callable[[str], int]:
    """An argument type: an integer from `low` to `high` (None: no upper bound)."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not an integer.") from None
        if value < low or (high is not None and value > high):
            bounds = f"from {low} to {high}" if high is not None else f"at least {low}"
            raise argparse.ArgumentTypeError(f"{value} is out of range: it must be {bounds}.")
        return value

    return parse
