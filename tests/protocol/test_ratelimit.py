"""The token bucket behind every rate limit."""

from __future__ import annotations

import pytest

from partywidget.protocol import ratelimit
from partywidget.protocol.ratelimit import TokenBucket


class Clock:
    """Stands in for ``time.monotonic`` so refills are exact, not timed."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch) -> Clock:
    clock = Clock()
    monkeypatch.setattr(ratelimit.time, "monotonic", clock)
    return clock


def test_a_full_bucket_allows_a_burst_then_refuses(clock):
    bucket = TokenBucket(rate=10, capacity=3)
    assert [bucket.allow() for _ in range(4)] == [True, True, True, False]


def test_the_bucket_refills_at_its_rate(clock):
    bucket = TokenBucket(rate=4, capacity=3)
    for _ in range(3):
        bucket.allow()
    clock.now += 0.125  # half a token (steps exact in binary floating point)
    assert not bucket.allow()
    clock.now += 0.125  # the second half: one token
    assert bucket.allow() and not bucket.allow()


def test_the_bucket_never_holds_more_than_its_capacity(clock):
    bucket = TokenBucket(rate=10, capacity=2)
    clock.now += 3600
    assert [bucket.allow() for _ in range(3)] == [True, True, False]


def test_refill_gives_a_new_socket_a_full_burst(clock):
    bucket = TokenBucket(rate=1, capacity=2)
    bucket.allow(2)
    assert not bucket.allow()
    bucket.refill()
    assert bucket.allow() and bucket.allow() and not bucket.allow()
