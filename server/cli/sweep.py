"""``simrooms sweep FILE``: make a sweep on a running server from a TOML or JSON file.

The file holds create_sweep's payload (docs/protocol.md)::

    name = "lr"
    seeds = [1, 2, 3, 4]

    [room]
    agents = 4
    policy = "learning"
    speed = "max"

    [grid]
    "learner.learning_rate" = [0.001, 0.003]

The command signs in (a bearer token from ``--token`` or ``SIMROOMS_TOKEN``, or ``--user`` with the
password on standard input), sends ``create_sweep`` with simrooms.Client and prints the rooms it
made and the sweep page's address. A payload the protocol's model refuses (checked before sending,
as the server would) or the server's refusal is printed as ``CODE: message``.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any
from urllib.parse import quote

from server.cli.arguments import UsageError

TIMEOUT = 120.0
"""Seconds to wait for the server's answer (a sweep of 64 rooms takes a few)."""


def register_sweep(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", type=Path, help="a TOML (.toml) or JSON file holding create_sweep's payload")
    parser.add_argument("--url", default="http://127.0.0.1:5000", help="the server (default %(default)s)")
    parser.add_argument("--token", default=None, help="a bearer token (default: SIMROOMS_TOKEN)")
    parser.add_argument("--user", default=None, help="sign in as this user, the password on standard input")
    parser.set_defaults(run=run_sweep)


def read_payload(path: Path) -> dict[str, Any]:
    """The create_sweep payload in `path`; UsageError naming the file when it cannot be read."""
    from simrooms.config import read_object_file

    try:
        return read_object_file(path, "Sweep file")
    except ValueError as error:
        raise UsageError(str(error)) from None


def bearer_token(args: argparse.Namespace) -> str:
    """The token to connect with: given, from the environment, or signed in for."""
    import requests

    if args.user is None:
        token = args.token or os.environ.get("SIMROOMS_TOKEN")
        if not token:
            raise UsageError("give --token, set SIMROOMS_TOKEN, or sign in with --user (password on stdin)")
        return str(token)
    password = sys.stdin.readline().rstrip("\n")
    try:
        answer = requests.post(
            args.url.rstrip("/") + "/api/token",
            json={"username": args.user, "password": password},
            timeout=30,
        )
    except requests.RequestException as error:
        raise UsageError(f"the server at {args.url} cannot be reached: {error}") from None
    if answer.status_code != 200:
        raise UsageError(
            f"signing in as {args.user!r} failed: {answer.json().get('error', answer.status_code)}"
        )
    return str(answer.json()["token"])


def run_sweep(args: argparse.Namespace) -> int:
    from simrooms import Client, ProtocolError

    payload = read_payload(args.file)
    token = bearer_token(args)
    try:
        client = Client(args.url, token=token, reconnect=False, timeout=TIMEOUT)
    except ProtocolError as error:
        raise UsageError(f"connecting to {args.url} failed: {error.code}: {error.message}") from None
    except ConnectionError as error:
        raise UsageError(f"connecting to {args.url} failed: {error}") from None
    try:
        with client:
            sweep = client.create_sweep(**payload)["sweep"]
    except ProtocolError as refused:
        print(f"simrooms sweep: {refused.code}: {refused.message}", file=sys.stderr)
        return 1
    print(f"Sweep {sweep['name']!r}: {len(sweep['rooms'])} rooms, started.")
    for room in sweep["rooms"]:
        point = ", ".join(f"{field} = {value}" for field, value in (room["sweep_point"] or {}).items())
        print(f"  {room['name']}: seed {room['seed']}" + (f", {point}" if point else ""))
    print(f"{args.url.rstrip('/')}/sweeps/{quote(sweep['name'])}")
    return 0
