"""Hands: the kernel API (raise, lower, ask, upvote, answered, dismiss, questions) over a fake client."""

from __future__ import annotations

from typing import Any

import pytest

from partywidget import Hands, ProtocolError

VIEW = {"raised": 2, "position": 1, "hands": None, "questions": [
    {"id": 1, "text": "old, one vote", "at": 10, "votes": 1, "voted": False, "mine": False},
    {"id": 2, "text": "new, three votes", "at": 20, "votes": 3, "voted": True, "mine": True},
    {"id": 3, "text": "newest, three votes", "at": 30, "votes": 3, "voted": False,
     "mine": False}]}


def test_every_verb_sends_its_frame(fake_client: Any) -> None:
    hands = Hands("class-101")
    hands.raise_hand()
    hands.lower_hand()
    hands.lower_hand("alice")
    hands.ask("  Why?  ")
    hands.upvote(2)
    hands.upvote(2, up=False)
    hands.answered(2)
    hands.dismiss(3)
    assert fake_client.raw == [
        {"type": "raise"}, {"type": "lower"}, {"type": "lower", "username": "alice"},
        {"type": "ask", "text": "Why?"}, {"type": "upvote", "id": 2, "up": True},
        {"type": "upvote", "id": 2, "up": False}, {"type": "answer", "id": 2},
        {"type": "dismiss", "id": 3}]
    with pytest.raises(ProtocolError, match="1 to 500"):
        hands.ask("x" * 501)


def test_state_position_and_questions_by_time_or_votes(fake_client: Any) -> None:
    hands = Hands("class-101")
    assert hands.position is None and hands.questions() == []
    fake_client.feed({"type": "hands", "hands": VIEW})
    assert hands.position == 1 and hands.state["raised"] == 2
    assert [q["id"] for q in hands.questions()] == [1, 2, 3]
    assert [q["id"] for q in hands.questions(order="votes")] == [2, 3, 1]
    with pytest.raises(ValueError, match="order"):
        hands.questions(order="random")


def test_relay_hello_rebuilds_the_hands_frame(fake_client: Any, front_end: Any) -> None:
    hands = Hands("class-101", endpoint="relay")
    fake_client.feed({"type": "hands", "hands": VIEW})
    seen = front_end(hands.widget)
    hands.widget._handle_custom_msg({"kind": "hello"}, [])
    welcome, frame = seen.frames()
    assert welcome["party"] == "hands" and frame == {"type": "hands", "hands": VIEW}
