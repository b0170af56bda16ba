"""Sizes of `state_update` deltas of a 4-agent room at speed 1.0 (one tick per update), JSON and
msgpack side by side, made by the server's own code (engine.update_payload, transport.Transport).

Two sizes per update: the event's payload (the object members receive) and the whole Socket.IO
packet on the wire (``42/sim,["state_update",{...}]`` in JSON; the msgpack parser's
``{type, data, nsp}`` map). Learning rooms are measured after some training, when their agents
move purposefully; heuristic rooms from the start.

    .venv/bin/python bench/update_size.py [--ticks 600] [--warmup 3000] [--name "Factory 1"]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from pathlib import Path

import msgpack

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from agents.simulation import RoomSimulation  # noqa: E402
from server.engine.updates import Sent, encode_event, update_payload  # noqa: E402
from server.realtime.transport import Transport  # noqa: E402


def sizes(policy: str, ticks: int, warmup: int, name: str, seed: int) -> dict[str, float]:
    sim = RoomSimulation(4, policy, seed=seed)
    for _ in range(warmup if policy == "learning" else 0):
        sim.step()
    json_transport, msgpack_transport = (Transport(None, use_queue=False, msgpack=m) for m in (False, True))  # type: ignore[arg-type]
    figures: dict[str, list[int]] = {
        "json payload": [],
        "json packet": [],
        "msgpack payload": [],
        "msgpack packet": [],
    }
    previous = Sent(sim.state(), True, 1.0)
    for _ in range(ticks):
        sim.step()
        current = Sent(sim.state(), True, 1.0)
        payload = update_payload(name, current, previous)
        previous = current
        if payload is None:
            continue
        body = encode_event("state_update", payload)
        figures["json payload"].append(len(json.dumps(payload, separators=(",", ":"), ensure_ascii=False)))
        figures["json packet"].append(len(json_transport.packet(body).encode().encode()))
        figures["msgpack payload"].append(len(msgpack.packb(payload)))
        figures["msgpack packet"].append(len(msgpack_transport.packet(body).encode()))
    return {key: statistics.median(values) for key, values in figures.items()}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--ticks", type=int, default=600)
    parser.add_argument("--warmup", type=int, default=3000, help="ticks a learning room trains first")
    parser.add_argument("--name", default="Factory 1", help="the room's name (it is in every update)")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    print(f"median bytes per state_update, 4 agents, speed 1.0, room {args.name!r}")
    print(
        f"{'policy':<10} {'json payload':>13} {'json packet':>12} {'msgpack payload':>16} {'msgpack packet':>15}"
    )
    for policy in ("learning", "heuristic", "random"):
        row = sizes(policy, args.ticks, args.warmup, args.name, args.seed)
        print(
            f"{policy:<10} {row['json payload']:>13.0f} {row['json packet']:>12.0f} "
            f"{row['msgpack payload']:>16.0f} {row['msgpack packet']:>15.0f}"
        )


if __name__ == "__main__":
    main()
