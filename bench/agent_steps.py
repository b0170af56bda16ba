"""Agent-steps per second of one headless learning room: one batched MLX call per tick against
one call per agent, with 1, 4 and 8 agents, on OpenBLAS and on the wheel's reference BLAS.

Two layouts of the weights: the default shared network (batched: one act call per tick; per
agent: one act call per agent), and per-agent networks stacked on a group axis (batched: one act
call per tick and one train call per minibatch for all agents; per agent: one call per agent for
each).

Every figure comes from this one run, measured side by side:

    .venv/bin/python bench/agent_steps.py [--ticks 3000]

Each (BLAS, agents, mode) cell runs in a fresh worker process (the BLAS is chosen at process
start), warms up (MLX compiles on first use), then times `--ticks` ticks with learning on.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

AGENT_COUNTS = (1, 4, 8)
MODES = ("batched", "per-agent")
LAYOUTS = ("shared", "per-agent-networks")
WARMUP_TICKS = 300


def _per_agent_calls(policy: object) -> None:
    """Make the learner `policy` run its compiled act function once per agent (and wait for each)."""
    import mlx.core as mx

    batched = policy._act_fn  # type: ignore[attr-defined]
    shared = policy.config.shared  # type: ignore[attr-defined]
    axis = 1 if shared else 0

    def one_call_per_agent(
        params: object, observations: mx.array, masks: mx.array, gumbel: mx.array
    ) -> tuple:
        parts = []
        for i in range(observations.shape[axis]):
            pick = (slice(None), slice(i, i + 1)) if shared else (slice(i, i + 1),)
            weights = params if shared else {k: v[i : i + 1] for k, v in params.items()}  # type: ignore[attr-defined]
            out = batched(weights, observations[pick], masks[pick], gumbel[pick])
            mx.eval(out)
            parts.append(out)
        return tuple(mx.concatenate([p[k] for p in parts], axis=axis) for k in range(4))

    policy._act_fn = one_call_per_agent  # type: ignore[attr-defined]


def _per_group_training(policy: object) -> None:
    """Make `policy` run its compiled train step once per group (agent) of weights."""
    import mlx.core as mx

    stacked = policy._train_fn  # type: ignore[attr-defined]

    def one_call_per_group(params: dict, moment1: dict, moment2: dict, step: mx.array, batch: dict) -> tuple:
        outs = []
        for g in range(policy.groups):  # type: ignore[attr-defined]
            part = slice(g, g + 1)
            out = stacked(
                {k: v[part] for k, v in params.items()},
                {k: v[part] for k, v in moment1.items()},
                {k: v[part] for k, v in moment2.items()},
                step[part],
                {k: v[part] for k, v in batch.items()},
            )
            mx.eval(out)
            outs.append(out)
        joined = [{k: mx.concatenate([o[i][k] for o in outs]) for k in params} for i in range(3)]
        steps = mx.concatenate([o[3] for o in outs])
        return joined[0], joined[1], joined[2], steps, mx.concatenate([o[4] for o in outs], axis=1)

    policy._train_fn = one_call_per_group  # type: ignore[attr-defined]


def worker(agents: int, mode: str, layout: str, ticks: int) -> dict[str, object]:
    from agents.ppo import LearningConfig
    from agents.simulation import RoomSimulation
    from server.cli.blas import blas_status

    sim = RoomSimulation(agents, "learning", seed=1, learning=LearningConfig(shared=layout == "shared"))
    found = sim.fleet.learner_of(sim.room)
    assert found is not None
    learner = found[0]
    if mode == "per-agent":
        _per_agent_calls(learner)
        if layout == "per-agent-networks":
            _per_group_training(learner)
    for _ in range(WARMUP_TICKS):
        sim.step()
    started = time.perf_counter()
    for _ in range(ticks):
        sim.step()
    elapsed = time.perf_counter() - started
    return {
        "agents": agents,
        "mode": mode,
        "blas": blas_status(),
        "agent_steps_per_second": agents * ticks / elapsed,
    }


def _run_worker(agents: int, mode: str, layout: str, ticks: int, openblas: str | None) -> dict[str, object]:
    env = {k: v for k, v in os.environ.items() if k != "LD_PRELOAD"}
    env["OPENBLAS_NUM_THREADS"] = "1"
    env["SIMROOMS_NO_BLAS_PRELOAD"] = "1"
    if openblas:
        env["LD_PRELOAD"] = openblas
    command = [sys.executable, __file__, "--worker", str(agents), mode, layout, "--ticks", str(ticks)]
    out = subprocess.run(command, env=env, check=True, capture_output=True, text=True, cwd=ROOT)
    result: dict[str, object] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--ticks", type=int, default=3000)
    parser.add_argument("--worker", nargs=3, metavar=("AGENTS", "MODE", "LAYOUT"))
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(int(args.worker[0]), args.worker[1], args.worker[2], args.ticks)))
        return

    from server.cli.blas import find_openblas

    openblas = find_openblas()
    blases = [("openblas", openblas), ("reference", None)] if openblas else [("reference", None)]
    print(f"{'weights':<19} {'blas':<10} {'agents':>6} {'batched':>10} {'per-agent':>10} {'ratio':>7}")
    rows = []
    for layout in LAYOUTS:
        for label, library in blases:
            for agents in AGENT_COUNTS:
                figures = {mode: _run_worker(agents, mode, layout, args.ticks, library) for mode in MODES}
                if figures["batched"]["blas"] != label:
                    raise SystemExit(f"The worker ran on {figures['batched']['blas']} BLAS, not {label}.")
                batched = float(figures["batched"]["agent_steps_per_second"])  # type: ignore[arg-type]
                single = float(figures["per-agent"]["agent_steps_per_second"])  # type: ignore[arg-type]
                rows.append(
                    {
                        "weights": layout,
                        "blas": label,
                        "agents": agents,
                        "batched": batched,
                        "per_agent": single,
                    }
                )
                print(
                    f"{layout:<19} {label:<10} {agents:>6} {batched:>10.0f} {single:>10.0f} {batched / single:>6.2f}x",
                    flush=True,
                )
    print("(agent-steps per second, learning on)")
    out = ROOT / "bench" / "out"
    out.mkdir(exist_ok=True)
    (out / "agent_steps.json").write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
