"""The client's send buffer, frame by frame, without sockets."""

from __future__ import annotations

import pytest

from partywidget.client.outbox import Outbox, Pending
from partywidget.errors import NotConnectedError


def test_outbox_is_bounded() -> None:
    outbox = Outbox(limit=2)
    outbox.put(Pending("a"), "open")
    outbox.put(Pending("b", "cid-b"), "open")
    with pytest.raises(NotConnectedError, match="send buffer is full: 2 messages.*reconnecting"):
        outbox.put(Pending("c"), "reconnecting")
    assert len(outbox) == 2


def test_chat_frames_stay_in_flight_until_echoed_and_are_requeued_when_the_socket_dies() -> None:
    outbox = Outbox()
    for name in ("x", "y", "z"):
        outbox.put(Pending(name, f"cid-{name}"), "open")
    outbox.put(Pending("raw"), "open")
    taken = [outbox.take() for _ in range(4)]
    assert [p.data for p in taken if p] == ["x", "y", "z", "raw"]
    outbox.acknowledge("cid-x")
    outbox.socket_lost()  # y and z were written but never echoed; raw is at most once
    assert [outbox.take().data for _ in range(2)] == ["y", "z"]  # type: ignore[union-attr]
    assert outbox.take() is None


def sent(outbox: Outbox, *names: str) -> None:
    """Queue chat frames named after their cids and write them all."""
    for name in names:
        outbox.put(Pending(name, name), "open")
        outbox.take()


def drained(outbox: Outbox) -> list[str | bytes]:
    return [item.data for item in iter(outbox.take, None)]


def test_an_echo_settles_every_frame_sent_before_it_and_errors_match_in_order() -> None:
    outbox = Outbox()
    sent(outbox, "a", "b", "c", "d")
    outbox.refuse("locked")   # a was refused before b's echo
    outbox.acknowledge("b")
    outbox.refuse("too_large")  # c's or d's (an error may overtake an older echo)
    assert len(outbox) == 2
    outbox.acknowledge("d")     # so it was c's
    assert len(outbox) == 0 and not outbox.retrying


def test_an_error_may_overtake_the_echo_of_an_older_frame() -> None:
    # The chat stores frames while it reads the next ones: a refusal of c can
    # arrive before a's and b's echoes, and must not settle a or b.
    outbox = Outbox()
    sent(outbox, "a", "b", "c")
    outbox.refuse("locked")
    assert len(outbox) == 3
    outbox.acknowledge("a")
    outbox.acknowledge("b")  # now c is the only frame in flight, with one error: settled
    assert len(outbox) == 0


def test_rate_limited_frames_go_out_again_before_the_queue_in_send_order() -> None:
    outbox = Outbox()
    sent(outbox, "a", "b", "c", "d")
    outbox.put(Pending("later", "later"), "open")
    outbox.refuse("rate_limited")
    outbox.refuse("rate_limited")
    assert not outbox.retrying     # which two frames is not known yet
    outbox.acknowledge("c")        # a and b were sent before c and never echoed
    assert outbox.retrying
    assert drained(outbox) == ["a", "b", "later"]
    outbox.acknowledge("later")    # d, a, b were stored meanwhile
    assert len(outbox) == 0


def test_frames_all_refused_for_now_all_go_out_again() -> None:
    outbox = Outbox()
    sent(outbox, "a", "b")
    outbox.refuse("rate_limited")
    outbox.refuse("rate_limited")
    assert outbox.retrying and drained(outbox) == ["a", "b"]
    outbox.acknowledge("b")  # the retries were stored: nothing is left
    assert len(outbox) == 0


def test_errors_with_no_chat_frame_in_flight_are_about_frames_sent_once() -> None:
    outbox = Outbox()
    outbox.refuse("forbidden")  # e.g. a refused {"type": "clear"}
    sent(outbox, "a")
    outbox.acknowledge("a")
    assert len(outbox) == 0 and not outbox.retrying


def test_a_resumed_history_settles_requeued_frames() -> None:
    outbox = Outbox()
    outbox.put(Pending("a", "a"), "open")
    outbox.put(Pending("b", "b"), "open")
    outbox.take()
    outbox.take()
    outbox.socket_lost()
    outbox.acknowledge("a")  # found in the resumed history
    assert outbox.take() == Pending("b", "b") and outbox.take() is None


def test_a_frame_whose_socket_closed_before_writing_goes_first_again() -> None:
    outbox = Outbox()
    outbox.put(Pending("raw"), "open")
    outbox.put(Pending("next"), "open")
    item = outbox.take()
    assert item is not None
    outbox.put_back(item)
    assert [outbox.take().data for _ in range(2)] == ["raw", "next"]  # type: ignore[union-attr]
