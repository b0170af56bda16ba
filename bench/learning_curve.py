"""Products per episode against agent-steps for learning, heuristic and random agents, 3 seeds.

Each run is the real command, `simrooms simulate --agents 4 --ticks T --json --episodes-csv`,
two at a time (this machine has two cores). Writes bench/out/learning_curve.csv (every finished
episode of every run) and bench/out/learning_curve.png, and prints each run's
`recent_products_per_episode` and wall time against the targets: learning reaches at least 3x
random and half the heuristic within 150,000 ticks, in under 10 minutes.

    .venv/bin/python bench/learning_curve.py [--ticks 150000] [--seeds 1 2 3]
"""

from __future__ import annotations

import argparse
import csv
import json
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from agents.policy import POLICIES  # noqa: E402

OUT = ROOT / "bench" / "out"
SIMROOMS = ROOT / ".venv" / "bin" / "simrooms"
RECENT = 10
"""Episodes averaged, as in `recent_products_per_episode`."""
BASELINE_TICKS = 20_000
"""Heuristic and random agents do not learn: 40 episodes give their level."""


def run(policy: str, seed: int, ticks: int) -> dict[str, object]:
    curve = OUT / f"curve_{policy}_{seed}.csv"
    command = [
        str(SIMROOMS),
        "simulate",
        "--agents",
        "4",
        "--policy",
        policy,
        "--seed",
        str(seed),
        "--ticks",
        str(ticks),
        "--json",
        "--no-progress",
        "--episodes-csv",
        str(curve),
    ]
    out = subprocess.run(command, check=True, capture_output=True, text=True)
    result: dict[str, object] = json.loads(out.stdout)
    with curve.open() as f:
        result["curve"] = list(csv.DictReader(f))
    curve.unlink()
    return result


def _rolling_mean(values: list[int], window: int) -> list[float]:
    out, total = [], 0
    for i, value in enumerate(values):
        total += value - (values[i - window] if i >= window else 0)
        out.append(total / min(i + 1, window))
    return out


def plot(results: list[dict[str, object]], path: Path, ticks: int) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    colours = {"learning": "tab:blue", "heuristic": "tab:green", "random": "tab:red"}
    styles = ["-", "--", ":", "-."]
    seeds = sorted({int(r["seed"]) for r in results})  # type: ignore[call-overload]
    fig, ax = plt.subplots(figsize=(9, 5))
    for result in results:
        rows = result["curve"]
        assert isinstance(rows, list)
        style = styles[seeds.index(int(result["seed"])) % len(styles)]  # type: ignore[call-overload]
        label = f"{result['policy']} seed {result['seed']}"
        products = [int(r["products_created"]) for r in rows]
        if result["policy"] == "learning":
            steps = [int(r["agent_steps"]) for r in rows]
            ax.plot(steps, products, color=colours["learning"], alpha=0.12, linewidth=0.8)
            ax.plot(
                steps,
                _rolling_mean(products, RECENT),
                color=colours["learning"],
                linestyle=style,
                label=label,
            )
        elif products:
            mean = sum(products) / len(products)
            ax.plot(
                [0, 4 * ticks],
                [mean, mean],
                color=colours[str(result["policy"])],
                linestyle=style,
                label=label,
            )
    ax.set_xlabel("agent-steps (4 agents)")
    ax.set_ylabel(f"products per episode (learning: mean of the last {RECENT})")
    ax.set_title("simrooms: products per 500-tick episode")
    ax.legend(fontsize=7, ncol=3)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--ticks", type=int, default=150_000)
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)

    jobs = [
        (p, s, args.ticks if p == "learning" else min(args.ticks, BASELINE_TICKS))
        for p in POLICIES
        for s in args.seeds
    ]
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(lambda job: run(*job), jobs))

    with (OUT / "learning_curve.csv").open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["policy", "seed", "episode", "tick", "agent_steps", "products_created", "return"])
        for result in results:
            for row in result["curve"]:  # type: ignore[union-attr]
                writer.writerow(
                    [
                        result["policy"],
                        result["seed"],
                        row["episode"],
                        row["tick"],
                        row["agent_steps"],
                        row["products_created"],
                        row["return"],
                    ]
                )
    plot(results, OUT / "learning_curve.png", args.ticks)

    level = {
        p: {r["seed"]: float(r["recent_products_per_episode"]) for r in results if r["policy"] == p}  # type: ignore[arg-type]
        for p in POLICIES
    }
    print(
        f"{'seed':>4} {'learning':>9} {'heuristic':>9} {'random':>7} {'vs random':>9} {'vs heuristic':>12} {'learning run':>12}"
    )
    passed = True
    for seed in args.seeds:
        learned, heuristic, random = level["learning"][seed], level["heuristic"][seed], level["random"][seed]
        wall = next(
            float(r["elapsed_seconds"])
            for r in results  # type: ignore[arg-type]
            if r["policy"] == "learning" and r["seed"] == seed
        )
        ok = learned >= 3 * random and learned >= heuristic / 2 and wall < 600
        passed &= ok
        versus_random = f"{learned / random:.0f}x" if random else "all"
        print(
            f"{seed:>4} {learned:>9.1f} {heuristic:>9.1f} {random:>7.1f} {versus_random:>9} "
            f"{learned / heuristic:>11.0%} {wall:>10.0f} s {'ok' if ok else 'SHORT'}"
        )
    print(f"curve: {OUT / 'learning_curve.csv'}, plot: {OUT / 'learning_curve.png'}")
    sys.exit(0 if passed else 1)


if __name__ == "__main__":
    main()
