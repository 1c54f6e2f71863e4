"""Pacing of writes, so a flushed send buffer stays under the room host's rate limit.

The room host admits each connection's frames through a token bucket
(:mod:`partywidget.protocol.defaults`: 50 frames/s, bursts of 100 by default)
and answers the excess with ``rate_limited`` errors. After a reconnect the
client may hold hundreds of buffered frames, so its writer spends from the
same kind of bucket, set a little under the host's defaults. A host configured
lower still answers ``rate_limited``: then the pacer halves its rate (at most
once a second, since one burst brings many such errors at once) and the
refused frames go out again (see :mod:`.outbox`).
"""

from __future__ import annotations

import asyncio
import time

from ..protocol.defaults import MESSAGE_BURST, MESSAGES_PER_SECOND
from ..protocol.ratelimit import TokenBucket

__all__ = ["Pacer"]

#: Frames per second and burst: 80 % of the host's defaults.
RATE = 0.8 * MESSAGES_PER_SECOND
BURST = int(0.8 * MESSAGE_BURST)
#: Slowest pace after repeated ``rate_limited`` errors, frames per second.
MIN_RATE = 1.0
#: Seconds between two slow-downs: the errors of one burst count once.
SLOW_DOWN_EVERY = 1.0


class Pacer:
    """A token bucket the writer waits on before each frame."""

    def __init__(self, rate: float = RATE, burst: int = BURST) -> None:
        self._bucket = TokenBucket(rate, burst)
        self._slowed = float("-inf")

    @property
    def rate(self) -> float:
        return self._bucket.rate

    def new_socket(self) -> None:
        """The host gives each connection a full bucket, so ours starts full too."""
        self._bucket.refill()

    async def wait(self) -> None:
        """Return once the next frame may be written, spending its token."""
        bucket = self._bucket
        while not bucket.allow():
            await asyncio.sleep((1.0 - bucket.tokens) / bucket.rate)

    def slow_down(self) -> None:
        """The host refused a frame as over its rate: empty the bucket, halve the pace."""
        bucket = self._bucket
        bucket.tokens = 0.0
        now = time.monotonic()
        if now - self._slowed >= SLOW_DOWN_EVERY:
            self._slowed = now
            bucket.rate = max(MIN_RATE, bucket.rate / 2)
            bucket.capacity = max(1.0, bucket.capacity / 2)
