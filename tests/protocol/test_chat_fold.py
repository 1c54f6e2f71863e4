"""The client's folds of the chat stream (``ChatHistory``, edits and reactions too) and of
presence, frame by frame; and which strings are reactions."""

from __future__ import annotations

from typing import Any

import pytest

from partywidget.errors import ProtocolError
from partywidget.protocol.chat import ChatHistory, parse_emoji
from partywidget.protocol.frames import Presence, read_frame


class View:
    """Presence and chat history fed as the kernel client feeds them."""

    def __init__(self) -> None:
        self.presence = Presence()
        self.history = ChatHistory()

    def apply(self, frame: Any) -> list[dict[str, Any]]:
        kind, data = read_frame(frame)
        self.presence.apply(kind, data)
        return self.history.apply(kind, data)

    def __getattr__(self, name: str) -> Any:
        for part in (self.history, self.presence):
            if hasattr(part, name):
                return getattr(part, name)
        raise AttributeError(name)


def message(id: int, content: Any = None, cid: str | None = None) -> dict[str, Any]:
    frame = {"type": "message", "id": id, "from": "c", "user": {"username": "u"},
             "content": content if content is not None else f"m{id}", "timestamp": 0}
    return {**frame, "cid": cid} if cid else frame


def history(ids: list[int], epoch: str = "e1", recovered: bool = False) -> dict[str, Any]:
    return {"type": "history", "messages": [message(i) for i in ids], "epoch": epoch,
            "recovered": recovered}


def joined(ids: list[int]) -> View:
    view = View()
    view.apply({"type": "welcome", "id": "c", "user": {"username": "u"}, "epoch": "e1",
                "users": [{"id": "c", "user": {"username": "u"}}]})
    assert view.apply(history(ids)) == []  # the first history is old news, not callbacks
    return view


def ids(view: View) -> list[int]:
    return [m["id"] for m in view.messages]


def test_first_history_then_live_messages_and_resume_query() -> None:
    view = joined([1, 2])
    assert view.resume_query() == {"since": "2", "epoch": "e1"}
    assert view.apply(message(3)) == [message(3)]
    assert view.apply(message(3)) == []  # a duplicate is dropped
    assert ids(view) == [1, 2, 3] and view.resume_query()["since"] == "3"


def test_recovered_history_appends_only_what_was_missed() -> None:
    view = joined([1, 2])
    new = view.apply(history([2, 3, 4], recovered=True))
    assert [m["id"] for m in new] == [3, 4] and ids(view) == [1, 2, 3, 4]


def test_unrecovered_history_replaces_and_reports_news_of_the_same_stream() -> None:
    view = joined([1, 2, 3])
    new = view.apply(history([3, 4], recovered=False))  # 1 and 2 were trimmed
    assert [m["id"] for m in new] == [4] and ids(view) == [3, 4]


def test_a_new_epoch_is_a_new_stream() -> None:
    view = joined([5, 6])
    assert view.apply(history([1], epoch="e2")) == []
    assert ids(view) == [1] and view.resume_query() == {"since": "1", "epoch": "e2"}
    assert [m["id"] for m in view.apply(message(2))] == [2]


def test_deleted_cleared_and_presence_keep_the_view_live() -> None:
    view = joined([1, 2, 3])
    view.apply({"type": "deleted", "id": 2})
    assert ids(view) == [1, 3]
    view.apply({"type": "userJoined", "id": "d", "user": {"username": "v"}})
    assert [u["id"] for u in view.users] == ["c", "d"]
    view.apply({"type": "userLeft", "id": "c", "user": {"username": "u"}})
    assert [u["id"] for u in view.users] == ["d"]
    view.apply({"type": "cleared", "epoch": "e2"})
    assert view.messages == [] and view.epoch == "e2"
    assert view.apply(message(4)) == [message(4)]  # offsets keep growing after a clear


def test_frames_that_are_not_objects_change_nothing() -> None:
    view = joined([1])
    assert view.apply("plain text") == [] and view.apply([1, 2]) == [] and ids(view) == [1]


def test_the_lock_follows_welcome_and_locked_frames() -> None:
    view = View()
    assert view.locked is False
    view.apply({"type": "welcome", "id": "c", "user": {}, "epoch": "e1", "users": [],
                "locked": True})
    assert view.locked is True
    view.apply({"type": "locked", "locked": False})
    assert view.locked is False


def test_the_history_keeps_at_most_the_rooms_length() -> None:
    view = View()
    view.history.limit = 3
    view.apply(history([1, 2]))
    for i in range(3, 8):
        view.apply(message(i))
    assert ids(view) == [5, 6, 7]
    view.apply(history([1, 2, 3, 4, 5], epoch="e2"))
    assert ids(view) == [3, 4, 5]


# edits and reactions ---------------------------------------------------------


def edited(id: int, target: int, content: Any) -> dict[str, Any]:
    return {"type": "edited", "id": id, "target": target, "from": "c",
            "user": {"username": "u"}, "content": content, "timestamp": 7}


def reacted(id: int, target: int, emoji: str, user: str, on: bool = True) -> dict[str, Any]:
    return {"type": "reacted", "id": id, "target": target, "user": {"username": user},
            "emoji": emoji, "on": on, "timestamp": 7}


def test_an_edit_replaces_the_content_and_marks_the_message_edited():
    view = View()
    view.apply(history([1, 2]))
    assert view.apply(edited(3, 1, "new")) == []
    first, second = view.messages
    assert (first["content"], first["edited"]) == ("new", 7) and "edited" not in second
    assert view.resume_query() == {"since": "3", "epoch": "e1"}


def test_reactions_fold_one_per_user_per_emoji_and_drop_when_taken_back():
    view = View()
    view.apply(history([1]))
    for frame in (reacted(2, 1, "👍", "a"), reacted(3, 1, "👍", "b"), reacted(4, 1, "🎉", "a"),
                  reacted(5, 1, "🎉", "a", on=False)):
        view.apply(frame)
    assert view.messages[0]["reactions"] == {"👍": ["a", "b"]}


def test_a_history_with_edits_folds_them_and_a_resume_continues_from_the_last_entry():
    view = View()
    view.apply({"type": "history", "messages": [message(1), edited(2, 1, "x"),
                                                reacted(3, 1, "👍", "a")], "epoch": "e1",
                "recovered": False})
    assert [(m["id"], m["content"], m["reactions"]) for m in view.messages] == [
        (1, "x", {"👍": ["a"]})]
    new = view.apply({"type": "history", "messages": [edited(4, 1, "y"), message(5)],
                      "epoch": "e1", "recovered": True})
    assert [m["id"] for m in new] == [5] and view.messages[0]["content"] == "y"
    assert view.apply(edited(4, 1, "stale")) == [] and view.messages[0]["content"] == "y"


def test_changes_to_a_message_not_held_are_ignored():
    view = View()
    view.apply(history([1]))
    view.apply(edited(2, 99, "x"))
    view.apply(reacted(3, 99, "👍", "a"))
    assert view.messages == [message(1)]


@pytest.mark.parametrize("emoji", ["\U0001F44D", "\u2764\ufe0f", "\U0001F44D\U0001F3FD",
                                   "\U0001F1EB\U0001F1F7",
                                   "\U0001F468\u200d\U0001F469\u200d\U0001F467"])
def test_emoji_with_modifiers_joiners_and_flags_are_reactions(emoji):
    assert parse_emoji(emoji) == emoji


@pytest.mark.parametrize("emoji", ["", "+1", "<b>", "\U0001F44D<img src=x>", "\u202e\U0001F44D",
                                   "\U0001F44D\u202e", "\U0001F44D ", "\U0001F44D" * 17,
                                   "é", 1, None])
def test_text_markup_controls_and_oversize_are_not_reactions(emoji):
    with pytest.raises(ProtocolError):
        parse_emoji(emoji)
