"""Chat: the kernel side of a chat room."""

from __future__ import annotations

from typing import Any

import pytest

from partywidget import Chat
from partywidget.errors import ProtocolError


def test_messages_and_users_come_live_from_the_client(fake_client: Any) -> None:
    chat = Chat("class-101")
    assert chat.messages == []
    fake_client.feed({"type": "message", "id": 1, "from": "b", "user": {"name": "bo"},
                      "content": "hello", "timestamp": 5})
    assert [m["content"] for m in chat.messages] == ["hello"]
    assert chat.users == fake_client.users


def test_send_posts_through_the_client_with_an_optional_cid(fake_client: Any) -> None:
    chat = Chat("class-101")
    chat.send("hi")
    chat.send({"poll": 1}, cid="c-9")
    chat.send("yes", reply_to=3)
    assert fake_client.sent == [("hi", None), ({"poll": 1}, "c-9"), ("yes", None, 3)]


def test_chat_send_does_not_reach_the_front_end_as_a_custom_message(
        fake_client: Any, front_end: Any) -> None:
    chat = Chat("class-101")
    seen = front_end(chat)
    chat.send("only for the room")
    assert seen.messages == []


def test_the_bundle_and_css_are_the_built_chat_files(fake_client: Any) -> None:
    chat = Chat("class-101")
    assert "export" in chat._esm and ".pw-chat" in chat._css


def test_delete_sends_the_message_id(fake_client: Any) -> None:
    chat = Chat("class-101")
    chat.delete(12)
    assert fake_client.raw == [{"type": "delete", "id": 12}]


def test_edit_and_react_send_their_frames_and_bad_emoji_never_leave(fake_client: Any) -> None:
    chat = Chat("class-101")
    chat.edit(12, "fixed")
    chat.react(12, "\U0001F44D")
    chat.react(12, "\U0001F44D", on=False)
    with pytest.raises(ProtocolError):
        chat.react(12, "<b>")
    assert fake_client.raw == [{"type": "edit", "id": 12, "content": "fixed"},
                               {"type": "react", "id": 12, "emoji": "\U0001F44D", "on": True},
                               {"type": "react", "id": 12, "emoji": "\U0001F44D", "on": False}]


def test_markdown_is_a_synced_trait_on_by_default(fake_client: Any) -> None:
    assert Chat("class-101").markdown is True
    plain = Chat("class-101", markdown=False)
    assert plain.markdown is False and "markdown" in plain.keys


def test_to_markdown_is_the_transcript_of_the_messages(fake_client: Any) -> None:
    chat = Chat("class-101")
    fake_client.feed({"type": "message", "id": 1, "from": "b", "user": {"name": "bo"},
                      "content": "hello *there*", "timestamp": 5})
    assert chat.to_markdown() == ("# class-101\n\n---\n\n"
                                  "**bo** · 1970-01-01 00:00 UTC\n\nhello *there*\n")
