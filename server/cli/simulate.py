"""``simrooms simulate``: one room run headless (no server), its final figures printed.

Its imports stay free of numpy and mlx: the entry point may still re-execute the process to
preload OpenBLAS (server.cli.blas), so the run imports the simulation when it starts.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from typing import TYPE_CHECKING, Any

from server.cli.arguments import UsageError, int_between
from server.cli.blas import blas_status

if TYPE_CHECKING:
    from agents.simulation import RoomSimulation
    from simrooms.config import RoomConfig

RECENT_EPISODES = 10
# Below this many ticks a run ends before a bar would tell anything, unless someone watches.
PROGRESS_MIN_TICKS = 10_000


def register_simulate(parser: argparse.ArgumentParser) -> None:
    from agents.policy import POLICIES
    from env.config import MAX_AGENTS

    parser.add_argument(
        "--agents", type=int_between(1, MAX_AGENTS), default=4, help=f"agents in the room, 1-{MAX_AGENTS}"
    )
    parser.add_argument(
        "--policy",
        choices=POLICIES,
        default="learning",
        help=f"one of {', '.join(POLICIES)} (default learning)",
    )
    parser.add_argument(
        "--seed", type=int_between(0, None), default=None, help="non-negative seed (default: from the OS)"
    )
    parser.add_argument("--ticks", type=int_between(1, None), required=True, help="ticks to run, at least 1")
    parser.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    parser.add_argument("--no-progress", action="store_true", help="never show a progress bar")
    parser.add_argument(
        "--checkpoint-out", metavar="PATH", help="save the learning policy's checkpoint there at the end"
    )
    parser.add_argument(
        "--per-agent-networks",
        action="store_true",
        help="learning: one network per agent instead of a shared one",
    )
    parser.add_argument(
        "--config",
        metavar="FILE",
        help='the room\'s config: a JSON or TOML (.toml) file of {"world": {...}, "learner": {...}}, '
        "each part and field optional (the fields: docs/world.md, simrooms.config)",
    )
    parser.add_argument(
        "--episodes-csv", metavar="PATH", help="write one CSV row per finished episode (a learning curve)"
    )
    parser.set_defaults(run=run_simulate)


def run_simulate(args: argparse.Namespace) -> int:
    from agents.simulation import RoomSimulation

    if args.per_agent_networks and args.policy != "learning":
        raise UsageError(f"--per-agent-networks needs --policy learning, not {args.policy}.")
    if args.checkpoint_out and args.policy != "learning":
        raise UsageError(f"--checkpoint-out needs a policy with weights; {args.policy} has none to save.")
    config = room_config(args)
    world, learning = config.to_configs()
    sim = RoomSimulation(args.agents, args.policy, args.seed, config=world, learning=learning)

    curve = _EpisodeCsv(args.episodes_csv, args.agents) if args.episodes_csv else None
    started = time.perf_counter()
    with _progress(args) as bar:
        for _ in range(args.ticks):
            ended = sim.step()
            bar.update()
            if ended is not None:
                bar.set_postfix(
                    episodes=sim.episodes_finished, products=ended.stats["products_created"], refresh=False
                )
                if curve is not None:
                    curve.write(ended)
    elapsed = time.perf_counter() - started
    if curve is not None:
        curve.close()

    if args.checkpoint_out:
        sim.save_checkpoint(args.checkpoint_out)
    result = simulation_result(sim, args, elapsed) | {"config": config.whole()}
    if args.json:
        print(json.dumps(result))
    else:
        # The table shows what differs from the defaults; --json holds the whole config.
        differences = config.differences()
        result["config"] = " ".join(f"{k}={json.dumps(v)}" for k, v in differences.items()) or "defaults"
        width = max(map(len, result))
        for key, value in result.items():
            print(f"{key:<{width}}  {value}")
    return 0


def room_config(args: argparse.Namespace) -> RoomConfig:
    """The room's config: --config's file (the defaults without one), with a shared network
    turned off by --per-agent-networks; a UsageError naming the file, and the dotted field and
    value when one is refused."""
    from simrooms.config import RoomConfig, read_room_config

    try:
        config = read_room_config(args.config) if args.config else RoomConfig()
        config.check_policy(args.policy)
    except ValueError as error:
        raise UsageError(str(error)) from None
    if args.per_agent_networks:
        config = config.model_copy(update={"learner": config.learner.model_copy(update={"shared": False})})
    return config


class _EpisodeCsv:
    """Rows of episode, tick, agent_steps, products_created, efficiency, total_reward, return."""

    COLUMNS = ("episode", "tick", "agent_steps", "products_created", "efficiency", "total_reward", "return")

    def __init__(self, path: str, agents: int) -> None:
        import csv

        self._file = open(path, "w", newline="")  # noqa: SIM115 - closed by close()
        self._writer = csv.writer(self._file)
        self._writer.writerow(self.COLUMNS)
        self._agents = agents

    def write(self, ended: Any) -> None:
        stats = ended.stats
        self._writer.writerow(
            [
                ended.episode,
                ended.tick,
                ended.tick * self._agents,
                stats["products_created"],
                stats["efficiency"],
                stats["total_reward"],
                ended.metrics["return"],
            ]
        )

    def close(self) -> None:
        self._file.close()


def _progress(args: argparse.Namespace) -> Any:
    from tqdm import tqdm

    watched = sys.stderr.isatty()
    show = not args.no_progress and (watched or args.ticks >= PROGRESS_MIN_TICKS)
    # Logs (stderr not a terminal) get a line every 30 s rather than a stream of carriage returns.
    return tqdm(
        total=args.ticks,
        desc="simulate",
        unit="tick",
        file=sys.stderr,
        disable=not show,
        mininterval=0.2 if watched else 30.0,
        dynamic_ncols=True,
    )


def simulation_result(sim: RoomSimulation, args: argparse.Namespace, elapsed: float) -> dict[str, Any]:
    """The figures of a finished run, JSON-safe."""
    current = int(sim.stats()["products_created"])
    recent = [int(summary.stats["products_created"]) for summary in sim.finished[-RECENT_EPISODES:]]
    # With no finished episode yet, the one under way is the only evidence there is.
    recent_mean = sum(recent) / len(recent) if recent else float(current)
    digest = hashlib.sha256(sim.state_digest_bytes())
    return {
        "policy": args.policy,
        "agents": args.agents,
        "seed": sim.seed,
        "ticks": sim.tick,
        "episodes": sim.episodes_finished,
        "products_created": sim.total_products + current,
        "total_reward": round(float(sim.total_reward), 4),
        "recent_products_per_episode": round(recent_mean, 4),
        "agent_steps_per_second": round(args.ticks * args.agents / elapsed, 1) if elapsed > 0 else 0.0,
        "elapsed_seconds": round(elapsed, 3),
        "state_sha256": digest.hexdigest(),
        "blas": blas_status(),
    }
