"""Wall time until PPO passes the scripted policy: PyTorch over `simrooms.parallel_env` (what a
user would otherwise write) against a simrooms turbo learning room, seeds 1-3.

The PyTorch side is PPO written the usual way (CleanRL's ppo.py: separate actor and critic MLPs
of two hidden tanh layers, orthogonal init, GAE, clipped surrogate, entropy bonus, Adam, global
gradient-norm clipping, advantages normalised per minibatch) with the defaults of
agents.learning_config.LearningConfig: hidden 64, lr 1e-3 (Adam eps 1e-5), gamma 0.99,
gae_lambda 0.95, rollout 128 ticks, 2 epochs, 4 minibatches, clip 0.2, entropy 0.01, value 0.5,
max_grad_norm 0.5; one network shared by every agent. It steps `--envs` copies of
`simrooms.parallel_env(num_agents=4)` one after the other in this process (a plain Python
vector env, as SuperSuit's or Gymnasium's sync vector envs do), the agents of every copy making
the batch: a rollout is 128 ticks x envs x 4 agents. Its products per episode are read from
each copy's world when an episode ends; the figure is the mean of the last 10 finished episodes
of all copies together.

The simrooms side is a learning room created with `speed: "max"` (turbo: the server steps 16
worlds at once) on a `simrooms serve` of this checkout; its figure is the mean products of the
last 10 episodes of ``GET /api/rooms/<name>/episodes``, polled every second.

The target of both is the scripted (heuristic) policy's mean products per episode on the same
world and agent count, from the room's ``GET /api/rooms/<name>/baselines``. Each run stops when
it passes the target or at `--cap` seconds. The two sides run one after the other, never at once.

    pip install torch --index-url https://download.pytorch.org/whl/cpu   # the [bench] extra
    .venv/bin/python bench/torch_ppo.py [--seeds 1 2 3] [--cap 300] [--envs 16] [--side both]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections import deque
from pathlib import Path
from typing import Any

import numpy as np
import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import simrooms  # noqa: E402
from agents.learning_config import LearningConfig  # noqa: E402
from bench.server_process import BenchServer  # noqa: E402

AGENTS = 4
RECENT = 10
"""Episodes averaged for the figure compared with the target."""


# ------------------------------------------------------------------ the target


def scripted_target(url: str, token: str, room: str) -> float:
    """The heuristic policy's mean products per episode on `room`'s world and agent count."""
    answer = requests.get(
        f"{url}/api/rooms/{room}/baselines", headers={"Authorization": f"Bearer {token}"}, timeout=300
    )
    answer.raise_for_status()
    return float(answer.json()["heuristic"]["products_created"])


# ------------------------------------------------------------------ the simrooms side


def run_simrooms(server: BenchServer, seed: int, cap: float) -> dict[str, Any]:
    token = server.token()
    room = f"bench-ppo-{seed}-{int(time.time())}"
    with simrooms.Client(server.url, token=token) as client:
        client.create_room(name=room, policy="learning", agents=AGENTS, seed=seed, speed="max")
        target = scripted_target(server.url, token, room)
        started = time.monotonic()
        client.start_game(room=room)
        passed: float | None = None
        recent = 0.0
        episodes: list[dict[str, Any]] = []
        while time.monotonic() - started < cap:
            time.sleep(1.0)
            episodes = client.episodes(room, as_frame=False)
            if len(episodes) >= RECENT:
                recent = float(np.mean([e["products"] for e in episodes[-RECENT:]]))
                if recent > target:
                    passed = time.monotonic() - started
                    break
        state = client.wait_for(room, timeout=30)
        client.stop_game(room=room)
        client.delete_room(room=room)
    return {
        "side": "simrooms",
        "seed": seed,
        "target": target,
        "passed_s": passed,
        "recent": recent,
        "episodes": len(episodes),
        "ticks": int(state["tick"]),
    }


# ------------------------------------------------------------------ the PyTorch side


def run_torch(target: float, seed: int, cap: float, envs: int, threads: int) -> dict[str, Any]:
    import torch
    from torch import nn
    from torch.distributions import Categorical

    config = LearningConfig()
    torch.manual_seed(seed)
    torch.set_num_threads(threads)
    copies = [simrooms.parallel_env(num_agents=AGENTS) for _ in range(envs)]
    names = copies[0].possible_agents
    obs_size = copies[0].observation_space(names[0])["observation"].shape[0]
    actions_n = int(copies[0].action_space(names[0]).n)
    batch = envs * AGENTS

    def layer(inputs: int, outputs: int, gain: float = float(np.sqrt(2))) -> nn.Linear:
        linear = nn.Linear(inputs, outputs)
        nn.init.orthogonal_(linear.weight, gain)
        nn.init.constant_(linear.bias, 0.0)
        return linear

    hidden = config.hidden
    actor = nn.Sequential(
        layer(obs_size, hidden), nn.Tanh(), layer(hidden, hidden), nn.Tanh(), layer(hidden, actions_n, 0.01)
    )
    critic = nn.Sequential(
        layer(obs_size, hidden), nn.Tanh(), layer(hidden, hidden), nn.Tanh(), layer(hidden, 1, 1.0)
    )
    parameters = [*actor.parameters(), *critic.parameters()]
    optimizer = torch.optim.Adam(parameters, lr=config.learning_rate, eps=config.adam_eps)

    def policy(obs: torch.Tensor, mask: torch.Tensor) -> Categorical:
        logits = actor(obs).masked_fill(~mask, -1e9)
        return Categorical(logits=logits)

    def stacked(observations: list[dict[str, dict[str, np.ndarray]]]) -> tuple[torch.Tensor, torch.Tensor]:
        obs = np.stack([o[a]["observation"] for o in observations for a in names])
        mask = np.stack([o[a]["action_mask"] for o in observations for a in names]).astype(bool)
        return torch.from_numpy(obs), torch.from_numpy(mask)

    current = [env.reset(seed=seed * 1000 + i)[0] for i, env in enumerate(copies)]
    obs, mask = stacked(current)
    done = torch.zeros(batch)
    steps = config.rollout_ticks
    b_obs = torch.zeros((steps, batch, obs_size))
    b_mask = torch.zeros((steps, batch, actions_n), dtype=torch.bool)
    b_actions = torch.zeros((steps, batch), dtype=torch.long)
    b_logp = torch.zeros((steps, batch))
    b_rewards = torch.zeros((steps, batch))
    b_dones = torch.zeros((steps, batch))
    b_values = torch.zeros((steps, batch))
    finished: deque[float] = deque(maxlen=RECENT)
    episodes = ticks = updates = 0
    recent = 0.0
    passed: float | None = None
    started = time.monotonic()
    while passed is None and time.monotonic() - started < cap:
        for t in range(steps):
            b_obs[t], b_mask[t], b_dones[t] = obs, mask, done
            with torch.no_grad():
                dist = policy(obs, mask)
                action = dist.sample()
                b_logp[t] = dist.log_prob(action)
                b_values[t] = critic(obs).squeeze(-1)
            b_actions[t] = action
            chosen = action.view(envs, AGENTS).numpy()
            rewards = np.zeros((envs, AGENTS), dtype=np.float32)
            ended = np.zeros((envs, AGENTS), dtype=np.float32)
            for i, env in enumerate(copies):
                observation, reward, terminated, truncated, _ = env.step(
                    {a: int(chosen[i, j]) for j, a in enumerate(names)}
                )
                rewards[i] = [reward[a] for a in names]
                if any(terminated.values()) or any(truncated.values()):
                    finished.append(float(env.world_env.stats()["products_created"]))
                    episodes += 1
                    ended[i] = 1.0
                    observation, _ = env.reset()
                current[i] = observation
            ticks += 1
            b_rewards[t] = torch.from_numpy(rewards.reshape(-1))
            obs, mask = stacked(current)
            done = torch.from_numpy(ended.reshape(-1))
        # GAE (CleanRL: dones[t] marks that obs[t] starts a new episode).
        with torch.no_grad():
            next_value = critic(obs).squeeze(-1)
            advantages = torch.zeros_like(b_rewards)
            running = torch.zeros(batch)
            for t in reversed(range(steps)):
                if t == steps - 1:
                    not_done, following = 1.0 - done, next_value
                else:
                    not_done, following = 1.0 - b_dones[t + 1], b_values[t + 1]
                delta = b_rewards[t] + config.gamma * following * not_done - b_values[t]
                running = delta + config.gamma * config.gae_lambda * not_done * running
                advantages[t] = running
            returns = advantages + b_values
        f_obs, f_mask = b_obs.reshape(-1, obs_size), b_mask.reshape(-1, actions_n)
        f_actions, f_logp = b_actions.reshape(-1), b_logp.reshape(-1)
        f_adv, f_ret = advantages.reshape(-1), returns.reshape(-1)
        size = f_obs.shape[0]
        minibatch = size // config.minibatches
        for _ in range(config.epochs):
            order = torch.randperm(size)
            for start in range(0, size, minibatch):
                idx = order[start : start + minibatch]
                dist = policy(f_obs[idx], f_mask[idx])
                ratio = (dist.log_prob(f_actions[idx]) - f_logp[idx]).exp()
                adv = f_adv[idx]
                adv = (adv - adv.mean()) / (adv.std() + 1e-8)
                policy_loss = torch.max(
                    -adv * ratio, -adv * ratio.clamp(1 - config.clip, 1 + config.clip)
                ).mean()
                value_loss = 0.5 * ((critic(f_obs[idx]).squeeze(-1) - f_ret[idx]) ** 2).mean()
                entropy = dist.entropy().mean()
                loss = policy_loss - config.entropy_coef * entropy + config.value_coef * value_loss
                optimizer.zero_grad()
                loss.backward()
                nn.utils.clip_grad_norm_(parameters, config.max_grad_norm)
                optimizer.step()
        updates += 1
        if len(finished) == RECENT:
            recent = float(np.mean(finished))
            if recent > target:
                passed = time.monotonic() - started
    return {
        "side": "torch",
        "seed": seed,
        "target": target,
        "passed_s": passed,
        "recent": recent,
        "episodes": episodes,
        "ticks": ticks,
        "updates": updates,
        "envs": envs,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--cap", type=float, default=300.0, help="seconds per run at most")
    parser.add_argument("--envs", type=int, default=16, help="parallel_env copies of the PyTorch side")
    parser.add_argument("--threads", type=int, default=2, help="torch.set_num_threads of the PyTorch side")
    parser.add_argument("--side", choices=("both", "torch", "simrooms"), default="both")
    args = parser.parse_args()
    results: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="torch-ppo-") as data:
        server = BenchServer(Path(data))
        try:
            token = server.token()
            with simrooms.Client(server.url, token=token) as client:
                client.create_room(name="bench-target", policy="heuristic", agents=AGENTS, seed=1)
                target = scripted_target(server.url, token, "bench-target")
                client.delete_room(room="bench-target")
            print(f"target: the scripted policy's {target:.2f} products per episode", flush=True)
            for seed in args.seeds:
                if args.side in ("both", "simrooms"):
                    results.append(run_simrooms(server, seed, args.cap))
                    print(json.dumps(results[-1]), flush=True)
                if args.side in ("both", "torch"):
                    results.append(run_torch(target, seed, args.cap, args.envs, args.threads))
                    print(json.dumps(results[-1]), flush=True)
        finally:
            server.stop()
    print("\n| side | seed | passed after | last 10 mean | episodes | ticks |")
    print("| --- | --- | --- | --- | --- | --- |")
    for r in results:
        passed = f"{r['passed_s']:.0f} s" if r["passed_s"] is not None else f"not within {args.cap:.0f} s"
        print(
            f"| {r['side']} | {r['seed']} | {passed} | {r['recent']:.1f} | {r['episodes']} | {r['ticks']} |"
        )


if __name__ == "__main__":
    main()
