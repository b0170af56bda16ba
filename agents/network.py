"""Actor and critic MLPs whose weights are stacked on a leading group axis.

A group is one set of weights: one for a room whose agents share a network, one per agent
otherwise. Inputs are (groups, samples, features), so every agent of a room (and later every
room of an engine) runs through one batched matmul per layer.
"""

from __future__ import annotations

import math

import mlx.core as mx
import numpy as np

Params = dict[str, mx.array]

_LAYERS = ("1", "2", "3")


def _orthogonal(rng: np.random.Generator, groups: int, rows: int, cols: int, gain: float) -> np.ndarray:
    """Orthogonal initialisation (as in CleanRL's PPO), drawn independently per group."""
    out = np.empty((groups, rows, cols), dtype=np.float32)
    for g in range(groups):
        a = rng.standard_normal((max(rows, cols), min(rows, cols)))
        q, r = np.linalg.qr(a)
        q *= np.sign(np.diag(r))
        out[g] = gain * (q if rows >= cols else q.T)[:rows, :cols]
    return out


def init_params(rng: np.random.Generator, groups: int, inputs: int, hidden: int, actions: int) -> Params:
    """Weights for an actor (to action logits) and a critic (to one value), two hidden layers,
    plus a linear skip from the inputs to the action logits."""
    params: Params = {}
    for head, outputs, last_gain in (("actor", actions, 0.01), ("critic", 1, 1.0)):
        sizes = (inputs, hidden, hidden, outputs)
        gains = (math.sqrt(2), math.sqrt(2), last_gain)
        for name, fan_in, fan_out, gain in zip(_LAYERS, sizes[:-1], sizes[1:], gains, strict=True):
            params[f"{head}.w{name}"] = mx.array(_orthogonal(rng, groups, fan_in, fan_out, gain))
            params[f"{head}.b{name}"] = mx.zeros((groups, 1, fan_out))
    params["actor.skip"] = mx.zeros((groups, inputs, actions))
    return params


def soft_clip(x: mx.array) -> mx.array:
    """tanh's [3/2] Padé approximant, clipped where it reaches +-1 (at +-3, with zero slope, so
    the function and its gradient are continuous); within 0.024 of tanh everywhere.

    The activation of the hidden layers. MLX's CPU tanh is scalar code: on (4, 128, 64) it took
    0.49 ms, most of a forward pass; these few multiplications fuse under mx.compile into one
    kernel of 0.03 ms."""
    return mx.clip(x * (27.0 + x * x) / (27.0 + 9.0 * x * x), -1.0, 1.0)


def _mlp(params: Params, head: str, x: mx.array) -> mx.array:
    x = soft_clip(x @ params[f"{head}.w1"] + params[f"{head}.b1"])
    x = soft_clip(x @ params[f"{head}.w2"] + params[f"{head}.b2"])
    return x @ params[f"{head}.w3"] + params[f"{head}.b3"]


def forward(params: Params, x: mx.array) -> tuple[mx.array, mx.array]:
    """(groups, samples, inputs) -> logits (groups, samples, actions), values (groups, samples)."""
    # The linear skip from inputs to logits learns the near-linear part of a good policy (step
    # along the goal's shortest path) in a few updates, leaving the MLP the rest.
    logits = _mlp(params, "actor", x) + x @ params["actor.skip"]
    return logits, _mlp(params, "critic", x)[..., 0]


def masked_log_probs(logits: mx.array, masks: mx.array) -> mx.array:
    """Log-probabilities over the allowed actions only (disallowed ones get about -1e9)."""
    masked = mx.where(masks, logits, -1e9)
    return masked - mx.logsumexp(masked, axis=-1, keepdims=True)
