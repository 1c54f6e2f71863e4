"""Limits: the documented defaults, and the token bucket behind the message rate."""

from __future__ import annotations

import pytest

from partywidget.rooms import Limits
from partywidget.rooms import limits as limits_module
from partywidget.rooms.limits import TokenBucket


class Clock:
    """Stands in for ``time.monotonic`` so refills are exact, not timed."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch) -> Clock:
    clock = Clock()
    monkeypatch.setattr(limits_module.time, "monotonic", clock)
    return clock


def test_the_defaults_are_partykits_where_partykit_has_one():
    limits = Limits()
    assert limits.max_frame_size == 1024 * 1024
    assert (limits.max_key_bytes, limits.max_value_bytes) == (2048, 128 * 1024)
    assert (limits.max_tags, limits.max_tag_length) == (10, 256)


def test_limits_are_frozen_values():
    with pytest.raises(AttributeError):
        Limits().max_frame_size = 1  # type: ignore[misc]


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
