"""The token bucket behind every rate limit: the room host's and the client's pacing."""

from __future__ import annotations

import time

__all__ = ["TokenBucket"]


class TokenBucket:
    """Classic token bucket: ``allow(cost)`` spends ``cost`` tokens if there are that many.

    Cheap enough to run on every incoming message: two float operations and a
    monotonic clock read.
    """

    __slots__ = ("rate", "capacity", "tokens", "stamp")

    def __init__(self, rate: float, capacity: float) -> None:
        self.rate = rate
        self.capacity = capacity
        self.tokens = capacity
        self.stamp = time.monotonic()

    def allow(self, cost: float = 1.0) -> bool:
        now = time.monotonic()
        tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if tokens >= cost:
            self.tokens = tokens - cost
            return True
        self.tokens = tokens
        return False

    def refill(self) -> None:
        """Fill the bucket to capacity (a new socket starts with a full burst)."""
        self.tokens = self.capacity
        self.stamp = time.monotonic()
