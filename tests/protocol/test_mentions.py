"""The mention rule (``protocol.chat.mentions``), which js/attention.ts mirrors."""

from __future__ import annotations

import pytest

from partywidget.protocol.chat import mentions

ALICE = {"username": "alice", "display_name": "Alice Liddell"}


@pytest.mark.parametrize("content", [
    "@alice look", "hey @alice", "(@ALICE)", "@alice, @bob", "@Alice Liddell: done", "@alice.",
])
def test_a_mention_by_username_or_display_name_in_any_case(content: str) -> None:
    assert mentions(content, ALICE)


@pytest.mark.parametrize("content", [
    "alice without at", "@alicex", "@alice-bob", "mail alice@alice.org", "@@alice", "@al",
])
def test_not_a_mention_inside_a_longer_word_or_address(content: str) -> None:
    assert not mentions(content, ALICE)


@pytest.mark.parametrize("content, user", [
    ({"text": "@alice"}, ALICE), ("@alice", None), ("@alice", {}), ("@.*", {"username": ".*x"}),
])
def test_only_text_mentions_a_known_user_and_names_are_not_patterns(content, user) -> None:
    assert not mentions(content, user)


def test_a_kernel_bot_is_mentioned_by_its_label() -> None:
    bot = {"username": "root", "display_name": "root", "label": "calc-bot", "kernel": True}
    assert mentions("@calc-bot 2+2", bot) and mentions("hey @Calc-Bot", bot)
    assert not mentions("@calc-bots", bot) and not mentions("@calc-bot", ALICE)
