"""Limits that keep one client from hurting a room, each with a documented default.

The defaults follow PartyKit where PartyKit has one (1 MiB frames, 2 KiB keys,
128 KiB values, 10 tags of 256 characters) and the reliability notes elsewhere
(a bounded outgoing queue per connection, Centrifugo's "slow" disconnect).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

__all__ = ["Limits", "TokenBucket"]


@dataclass(frozen=True)
class Limits:
    """Per-connection and per-room bounds; every field is a ``c.PartyWidget`` option."""

    #: Largest incoming frame in bytes; bigger frames close the socket with 1009.
    #: Tornado's own default (10 MiB) never applies.
    max_frame_size: int = 1024 * 1024
    #: Sustained messages per second a connection may send (token bucket rate).
    messages_per_second: float = 50.0
    #: Messages a connection may send in a burst above the rate.
    message_burst: int = 100
    #: Sustained bytes per second a connection may send, and the burst above it.
    #: Bounds the parsing work one client can demand (a 1 MiB frame of tiny JSON
    #: containers costs ~0.2 s to validate), whatever its message rate.
    bytes_per_second: int = 1024 * 1024
    byte_burst: int = 4 * 1024 * 1024
    #: Refused messages in a row after which the connection is closed with 4029.
    max_refused_in_a_row: int = 200
    #: Bytes queued for a client that is not reading before it is closed with 4008.
    max_buffered_bytes: int = 4 * 1024 * 1024
    #: Deepest JSON nesting accepted from clients.
    max_json_depth: int = 32
    #: Storage key size (UTF-8 bytes) and value size (encoded bytes), as PartyKit.
    max_key_bytes: int = 2048
    max_value_bytes: int = 128 * 1024
    #: Connection tags (the id tag included) and the length of each.
    max_tags: int = 10
    max_tag_length: int = 256
    #: Seconds an empty room stays loaded before it is unloaded.
    idle_unload_seconds: float = 30.0


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
