"""Limits: the documented defaults, and a party's own options over the host's."""

from __future__ import annotations

import pytest

from partywidget.rooms import Limits, Party


def test_the_defaults_are_partykits_where_partykit_has_one():
    limits = Limits()
    assert limits.max_frame_size == 1024 * 1024
    assert (limits.max_key_bytes, limits.max_value_bytes) == (2048, 128 * 1024)
    assert (limits.max_tags, limits.max_tag_length) == (10, 256)


def test_limits_are_frozen_values():
    with pytest.raises(AttributeError):
        Limits().max_frame_size = 1  # type: ignore[misc]


def test_a_party_overrides_only_the_options_it_sets():
    class Cursors(Party):
        messages_per_second = 500.0
        message_burst = 1000
        history = 10

    host = Limits(messages_per_second=20.0, idle_unload_seconds=5.0)
    limits = host.for_party(Cursors)
    assert (limits.messages_per_second, limits.message_burst, limits.history) == (500.0, 1000, 10)
    assert limits.idle_unload_seconds == 5.0 and limits.max_frame_size == host.max_frame_size
    assert host.for_party(Party) is host


@pytest.mark.parametrize("bad", [{"history": 0}, {"messages_per_second": -1},
                                 {"max_frame_size": "big"}, {"message_burst": True}])
def test_limits_refuse_values_that_cannot_work(bad):
    with pytest.raises(ValueError):
        Limits(**bad)
