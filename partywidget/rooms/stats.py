"""What a room host counts for operators: plain integers, read at scrape time.

The hot path (every frame in, every frame out) only adds to an ``int``
attribute: no lock, no label lookup, no import of ``prometheus_client``
here (rooms stay free of it). ``partywidget.server.metrics`` turns these into
Prometheus metrics when ``/metrics`` is read.
"""

from __future__ import annotations

from bisect import bisect_left
from collections import Counter

__all__ = ["APPEND_BUCKETS", "HostStats", "LatencyHistogram"]

#: Seconds: a log append on SQLite (group commit) or Redis (one round trip)
#: takes from 0.1 ms to tens of ms; past a second something is wrong.
APPEND_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)


class LatencyHistogram:
    """Counts per bucket (``le`` bounds, as Prometheus), and the sum, of observed seconds."""

    __slots__ = ("bounds", "counts", "sum")

    def __init__(self, bounds: tuple[float, ...] = APPEND_BUCKETS) -> None:
        self.bounds = bounds
        #: One more than the bounds: the last counts what exceeds them all (+Inf).
        self.counts = [0] * (len(bounds) + 1)
        self.sum = 0.0

    def observe(self, seconds: float) -> None:
        self.counts[bisect_left(self.bounds, seconds)] += 1
        self.sum += seconds


class HostStats:
    """Counters of one :class:`~partywidget.rooms.RoomHost` since it was made."""

    __slots__ = ("messages_in", "messages_out", "deliveries", "connections_opened",
                 "refused", "closes", "append_seconds")

    def __init__(self) -> None:
        #: Frames received from clients (before rate limits and parsing).
        self.messages_in = 0
        #: Frames written to client sockets (broadcast deliveries and direct sends).
        self.messages_out = 0
        #: Connections a broadcast was handed to (one broadcast to n connections: n).
        self.deliveries = 0
        #: Connections admitted into a room.
        self.connections_opened = 0
        #: Frames refused with an error reply, by error code (``rate_limited``...).
        self.refused: Counter[str] = Counter()
        #: Sockets the server closed, by close code (4008 slow consumer, 4009 flooding...).
        self.closes: Counter[int] = Counter()
        #: Seconds each log append took, until the storage acknowledged it.
        self.append_seconds = LatencyHistogram()
