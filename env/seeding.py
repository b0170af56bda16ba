"""The seed sequence of a room's episodes."""

from __future__ import annotations

import numpy as np

EPISODE_SEED_STREAM = 0
"""Episode k of seed s draws from SeedSequence(s, spawn_key=(0, k)); other users of the same
seed (a room's policy) take other first spawn keys."""


class EpisodeSeeds:
    """Hands out one SeedSequence per episode, from a seed or, without one, from the OS."""

    def __init__(self, seed: int | None, stream: tuple[int, ...] = (EPISODE_SEED_STREAM,)) -> None:
        """Episodes of `seed` on `stream`: the default is a room's own world; another user of
        the seed that lays episodes (a copy of the world it trains on) takes another stream."""
        self.entropy = int(np.random.SeedSequence(seed).entropy)  # type: ignore[arg-type]
        """The seed the episodes come from: the one given, or the one drawn from the OS."""
        self.stream = stream
        self.handed_out = 0

    def next(self) -> np.random.SeedSequence:
        sequence = self.peek()
        self.handed_out += 1
        return sequence

    def peek(self) -> np.random.SeedSequence:
        """The sequence `next` hands out next, without handing it out."""
        return np.random.SeedSequence(self.entropy, spawn_key=(*self.stream, self.handed_out))

    def spawn(self, stream: int) -> np.random.SeedSequence:
        """A sequence for another user of this seed (stream must not be EPISODE_SEED_STREAM)."""
        if stream == EPISODE_SEED_STREAM:
            raise ValueError(f"Stream {stream} is the episodes' own.")
        return np.random.SeedSequence(self.entropy, spawn_key=(stream,))
