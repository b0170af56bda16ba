"""A token bucket: `rate` events a second on average, `burst` at once."""

from __future__ import annotations

import time


class TokenBucket:
    __slots__ = ("burst", "rate", "stamp", "tokens")

    def __init__(self, rate: float, burst: int) -> None:
        self.rate = rate
        self.burst = float(burst)
        self.tokens = float(burst)
        self.stamp = time.monotonic()

    def take(self) -> bool:
        if self.ready():
            self.tokens -= 1.0
            return True
        return False

    def ready(self) -> bool:
        """Whether a token is there now (none is taken)."""
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        return self.tokens >= 1.0


class KeyedLimiter:
    """One bucket per key (e.g. a client address), forgetting keys that are full again."""

    def __init__(self, rate: float, burst: int, max_keys: int = 10000) -> None:
        self.rate, self.burst, self.max_keys = rate, burst, max_keys
        self._buckets: dict[str, TokenBucket] = {}

    def take(self, key: str) -> bool:
        return self._bucket(key).take()

    def ready(self, key: str) -> bool:
        """Whether `key` has a token now (none is taken)."""
        bucket = self._buckets.get(key)
        return bucket is None or bucket.ready()

    def _bucket(self, key: str) -> TokenBucket:
        bucket = self._buckets.get(key)
        if bucket is None:
            if len(self._buckets) >= self.max_keys:
                self._prune()
            bucket = self._buckets[key] = TokenBucket(self.rate, self.burst)
        return bucket

    def _prune(self) -> None:
        now = time.monotonic()
        full = [k for k, b in self._buckets.items() if b.tokens + (now - b.stamp) * b.rate >= b.burst]
        for key in full:
            del self._buckets[key]
        if len(self._buckets) >= self.max_keys:
            self._buckets.clear()
