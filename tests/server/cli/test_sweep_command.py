"""`simrooms sweep FILE` against a real server, as a user runs it."""

from __future__ import annotations

from pathlib import Path

from tests.support.server import PASSWORD, Clients, Server, room_name, simrooms

SWEEP = """
name = "{name}"
seeds = [1, 2]

[room]
agents = 2
policy = "random"

[room.config.world]
max_ticks = 60

[grid]
"world.chargers" = [2, 4]
"""


def test_a_sweep_file_makes_a_started_sweep(server: Server, connect: Clients, tmp_path: Path) -> None:
    name = room_name("cli")
    path = tmp_path / "sweep.toml"
    path.write_text(SWEEP.format(name=name))
    made = simrooms("sweep", str(path), "--url", server.url, "--user", "alice", input=PASSWORD + "\n")
    assert made.returncode == 0, made.stderr
    assert f"Sweep {name!r}: 4 rooms, started." in made.stdout
    assert f"{server.url}/sweeps/" in made.stdout
    alice = connect("alice")
    rooms = [room for room in alice.ok("list_rooms", {})["rooms"] if room["sweep"] == name]
    assert sorted((room["seed"], room["sweep_point"]["world.chargers"]) for room in rooms) == [
        (1, 2), (1, 4), (2, 2), (2, 4)
    ]  # fmt: skip
    assert all(room["running"] and room["config"]["world"]["max_ticks"] == 60 for room in rooms)

    again = simrooms("sweep", str(path), "--url", server.url, "--token", server.token("alice"))
    assert again.returncode == 1 and "conflict" in again.stderr and name in again.stderr
    alice.ok("delete_sweep", {"name": name})


def test_a_bad_sweep_file_is_one_line(server: Server, tmp_path: Path) -> None:
    missing = simrooms("sweep", str(tmp_path / "none.toml"), "--url", server.url, "--token", "x")
    assert missing.returncode == 2 and "cannot be read" in missing.stderr
    broken = tmp_path / "broken.toml"
    broken.write_text("name = ")
    refused = simrooms("sweep", str(broken), "--url", server.url, "--token", "x")
    assert refused.returncode == 2 and "is not valid TOML" in refused.stderr
    assert len(refused.stderr.strip().splitlines()) == 1
