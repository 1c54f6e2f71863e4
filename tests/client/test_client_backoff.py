"""Reconnect delays: partysocket's curve, faster, jittered and bounded."""

from __future__ import annotations

import pytest

from partywidget.client import Backoff


def test_first_attempt_is_immediate_then_delays_grow_to_the_cap() -> None:
    backoff = Backoff(min_delay=0.5, max_delay=10, factor=1.3, jitter=0.0, max_attempts=None)
    delays = [backoff.delay(n) for n in range(20)]
    assert delays[0] == 0.0
    assert delays[1] == 0.5
    assert delays[2] == pytest.approx(0.65)
    assert all(a <= b for a, b in zip(delays, delays[1:]))
    assert delays[-1] == 10


def test_jitter_keeps_every_delay_within_its_band() -> None:
    backoff = Backoff(jitter=0.3)
    for attempt in range(1, 40):
        ceiling = min(backoff.max_delay, backoff.min_delay * backoff.factor ** (attempt - 1))
        for _ in range(50):
            delay = backoff.delay(attempt)
            assert delay is not None
            assert ceiling * 0.7 <= delay <= ceiling


def test_attempts_are_bounded() -> None:
    backoff = Backoff(max_attempts=3)
    assert [backoff.delay(n) is None for n in range(6)] == [False] * 4 + [True] * 2


@pytest.mark.parametrize("kwargs", [dict(min_delay=0), dict(min_delay=5, max_delay=1),
                                    dict(factor=0.5), dict(jitter=1.0), dict(max_attempts=-1)])
def test_settings_that_cannot_work_are_refused(kwargs: dict[str, float]) -> None:
    with pytest.raises(ValueError, match="expected"):
        Backoff(**kwargs)
