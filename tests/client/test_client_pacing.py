"""The writer's pacing: a token bucket under the room host's rate limit."""

from __future__ import annotations

import time

from partywidget.client.pacing import BURST, RATE, Pacer
from partywidget.protocol.defaults import MESSAGE_BURST, MESSAGES_PER_SECOND


def test_the_default_pace_stays_under_the_hosts_default_limits() -> None:
    assert RATE < MESSAGES_PER_SECOND and BURST < MESSAGE_BURST


async def test_a_burst_goes_at_once_then_frames_follow_at_the_rate() -> None:
    pacer = Pacer(rate=50, burst=5)
    started = time.monotonic()
    for _ in range(5):
        await pacer.wait()
    assert time.monotonic() - started < 0.05
    for _ in range(5):
        await pacer.wait()
    assert time.monotonic() - started >= 5 / 50 * 0.9


async def test_slowing_down_halves_the_pace_once_per_burst_of_errors() -> None:
    pacer = Pacer(rate=40, burst=80)
    for _ in range(10):  # ten rate_limited errors of one burst
        pacer.slow_down()
    assert pacer.rate == 20
    started = time.monotonic()
    await pacer.wait()  # the bucket was emptied: the next frame waits its turn
    assert time.monotonic() - started >= 1 / 20 * 0.9


async def test_a_new_socket_starts_with_a_full_bucket() -> None:
    pacer = Pacer(rate=10, burst=3)
    pacer.slow_down()
    pacer.new_socket()
    started = time.monotonic()
    await pacer.wait()
    assert time.monotonic() - started < 0.05
