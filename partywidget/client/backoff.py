"""Reconnect delays: partysocket's exponential backoff, faster, with jitter, bounded.

partysocket 1.3.0 (``dist/ws.js``, ``_getNextDelay``) connects immediately,
then waits ``min * 1.3 ** (n - 1)`` capped at ``max`` before retry ``n``, with
``min`` 3 s and ``max`` 10 s, and resets its retry counter only once a
connection has stayed open for ``minUptime`` (5 s). A kernel is usually on the
same machine as its room host, so our ``min`` is 0.5 s; jitter spreads the
reconnects of a whole classroom after a server restart; and attempts are
bounded, so a host that is gone for good ends in a clear error instead of
retrying forever.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

__all__ = ["Backoff"]


@dataclass(frozen=True)
class Backoff:
    """How long to wait before each reconnect attempt, and how many to make."""

    #: Delay before the first retry, in seconds (partysocket: 3).
    min_delay: float = 0.5
    #: Cap on any delay, in seconds (partysocket: 10).
    max_delay: float = 10.0
    #: Growth per retry (partysocket: 1.3).
    factor: float = 1.3
    #: Fraction of each delay that is random: a delay ``d`` becomes one in ``[d*(1-jitter), d]``.
    jitter: float = 0.3
    #: Retries in a row before giving up (``None``: never give up, as partysocket).
    max_attempts: int | None = 100
    #: Seconds a connection must stay open before the retry count starts over (partysocket: 5).
    min_uptime: float = 5.0

    def __post_init__(self) -> None:
        if not 0 < self.min_delay <= self.max_delay:
            raise ValueError(f"expected 0 < min_delay <= max_delay, got {self.min_delay} and "
                             f"{self.max_delay}")
        if self.factor < 1 or not 0 <= self.jitter < 1:
            raise ValueError(f"expected factor >= 1 and 0 <= jitter < 1, got {self.factor} and "
                             f"{self.jitter}")
        if self.max_attempts is not None and self.max_attempts < 0:
            raise ValueError(f"expected max_attempts >= 0 or None, got {self.max_attempts}")

    def delay(self, attempt: int) -> float | None:
        """Seconds to wait before retry number ``attempt`` (1-based); None once exhausted.

        Attempt 0 is the first connection (or the first reconnect after a
        connection that stayed up for ``min_uptime``): no wait, as partysocket.
        """
        if self.max_attempts is not None and attempt > self.max_attempts:
            return None
        if attempt <= 0:
            return 0.0
        ceiling = min(self.max_delay, self.min_delay * self.factor ** (attempt - 1))
        return ceiling * (1.0 - self.jitter * random.random())
