"""RoomWidget: traits, kernel-side client lifecycle, the kernel relay."""

from __future__ import annotations

import gc
import json
import sys
from typing import Any

import pytest

from partywidget import Board, Chat, InvalidName, NotConnectedError, Removed
from partywidget.widgets.room_widget import RoomWidget

ENV_VARS = ("PARTYWIDGET_URL", "PARTYWIDGET_TOKEN", "PARTYWIDGET_JUPYTER_URL",
            "PARTYWIDGET_JUPYTER_TOKEN", "JUPYTERHUB_SERVICE_URL", "JUPYTERHUB_API_TOKEN",
            "JPY_PARENT_PID")


@pytest.fixture
def no_room_host(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ENV_VARS:
        monkeypatch.delenv(name, raising=False)


def test_synced_traits_are_room_party_and_endpoint(fake_client: Any) -> None:
    chat = Chat("class-101")
    state = chat.get_state()
    assert (state["room"], state["party"], state["_endpoint"]) == ("class-101", "main", "")
    assert Board("class-101").get_state()["party"] == "board"
    assert Chat("r", party="other", endpoint="relay").get_state()["_endpoint"] == "relay"


def test_no_synced_trait_holds_a_token(monkeypatch: pytest.MonkeyPatch, fake_client: Any) -> None:
    secret = "s3cr3t-t0ken-value"
    monkeypatch.setenv("PARTYWIDGET_JUPYTER_URL", "http://127.0.0.1:9/partywidget")
    monkeypatch.setenv("PARTYWIDGET_JUPYTER_TOKEN", secret)
    for widget in (Chat("class-101"), Board("class-101", endpoint="http://127.0.0.1:9/x")):
        assert secret not in json.dumps(widget.get_state(), default=str)


def test_without_a_room_host_the_widget_renders_and_its_kernel_side_raises(
        no_room_host: None) -> None:
    chat = Chat("class-101")
    assert "export" in chat.get_state()["_esm"]
    with pytest.raises(NotConnectedError, match="found no room host"):
        chat.messages
    with pytest.raises(NotConnectedError):
        Board("class-101").draw([(1, 2)])


def test_relay_without_a_room_host_tells_the_front_end_why(no_room_host: None,
                                                            front_end: Any) -> None:
    chat = Chat("class-101", endpoint="relay")
    seen = front_end(chat)
    chat._handle_custom_msg({"kind": "hello"}, [])
    assert seen.frames()[0]["code"] == "no_room_host"
    assert seen.messages[-1] == {"kind": "status", "status": "closed"}


def test_the_kernel_joins_once_and_close_leaves_the_room(fake_client: Any) -> None:
    board = Board("class-101")
    assert board.client is fake_client and board.client is fake_client
    assert len(fake_client.callbacks) == len(fake_client.status_callbacks) == 1
    board.close()
    assert fake_client.closed and fake_client.callbacks == fake_client.status_callbacks == []


def test_relay_forwards_front_end_frames_to_the_room(fake_client: Any) -> None:
    chat = Chat("class-101", endpoint="relay")
    chat._handle_custom_msg({"kind": "frame", "data": '{"content":"hi","cid":"c1"}'}, [])
    assert fake_client.raw == [{"content": "hi", "cid": "c1"}]


def test_relay_forwards_server_frames_to_the_front_end(fake_client: Any, front_end: Any) -> None:
    chat = Chat("class-101", endpoint="relay")
    seen = front_end(chat)
    frame = {"type": "message", "id": 3, "from": "x", "user": {}, "content": "yo",
             "timestamp": 1}
    fake_client.feed(frame)
    assert seen.frames() == [frame]


def test_relay_tells_the_front_end_the_kernels_connection_state(fake_client: Any,
                                                                 front_end: Any) -> None:
    chat = Chat("class-101", endpoint="relay")
    seen = front_end(chat)
    for status in ("reconnecting", "open", "closed"):
        fake_client.set_status(status)
    assert seen.messages == [{"kind": "status", "status": "reconnecting"},
                             {"kind": "status", "status": "open"},
                             {"kind": "status", "status": "closed"}]


def test_relay_tells_the_front_end_why_the_kernels_membership_ended(fake_client: Any,
                                                                    front_end: Any) -> None:
    chat = Chat("class-101", endpoint="relay")
    seen = front_end(chat)
    fake_client.error = Removed("room main/class-101 closed the connection with code 4003: "
                                "a moderator removed this client from the room")
    fake_client.set_status("closed")
    assert "a moderator removed this client" in seen.frames()[0]["message"]
    assert seen.messages[-1] == {"kind": "status", "status": "closed"}


def test_without_relay_server_frames_stay_in_the_kernel(fake_client: Any, front_end: Any) -> None:
    chat = Chat("class-101")
    seen = front_end(chat)
    fake_client.feed({"type": "userJoined", "id": "b", "user": {}})
    fake_client.set_status("reconnecting")
    assert seen.messages == []


@pytest.mark.parametrize("widget_class", [Chat, Board])
def test_moderation_calls_send_their_frames(fake_client: Any, widget_class: Any) -> None:
    widget = widget_class("class-101")
    widget.lock()
    widget.lock(False)
    widget.clear()
    widget.remove("conn-7")
    assert fake_client.raw == [{"type": "lock", "locked": True}, {"type": "lock", "locked": False},
                               {"type": "clear"}, {"type": "remove", "id": "conn-7"}]
    fake_client.locked = True
    assert widget.locked is True


def test_relay_welcome_says_whether_the_room_is_locked(fake_client: Any, front_end: Any) -> None:
    chat = Chat("class-101", endpoint="relay")
    fake_client.locked = True
    seen = front_end(chat)
    chat._handle_custom_msg({"kind": "hello"}, [])
    assert seen.frames()[0]["locked"] is True


def test_hello_gets_a_fresh_welcome_and_history(fake_client: Any, front_end: Any) -> None:
    chat = Chat("class-101", endpoint="relay")
    fake_client.feed({"type": "message", "id": 1, "from": "b", "user": {}, "content": "old",
                      "timestamp": 1})
    seen = front_end(chat)
    chat._handle_custom_msg({"kind": "hello"}, [])
    welcome, history = seen.frames()
    assert welcome == {"type": "welcome", "roomId": "class-101", "party": "main", "id": "k-1",
                       "user": fake_client.user, "epoch": "e1", "users": fake_client.users,
                       "locked": False}
    assert history["type"] == "history" and history["recovered"] is False
    assert [m["content"] for m in history["messages"]] == ["old"]


def test_messages_that_are_not_relay_messages_are_ignored(fake_client: Any, front_end: Any) -> None:
    chat = Chat("class-101", endpoint="relay")
    seen = front_end(chat)
    for content in ({"kind": "other"}, "text", {"kind": "frame", "data": 5}):
        chat._handle_custom_msg(content, [])
    assert fake_client.raw == [] and seen.messages == []


def test_room_widget_is_abstract_about_its_join_frame(fake_client: Any) -> None:
    with pytest.raises(NotImplementedError):
        RoomWidget("r", party="main")._join_frame(fake_client)


@pytest.mark.parametrize("kind", [Chat, Board])
def test_a_bad_room_name_raises_at_the_call_as_connect_does(kind: Any, fake_client: Any) -> None:
    with pytest.raises(InvalidName, match="expected a room name"):
        kind("bad name!")
    with pytest.raises(InvalidName, match="expected a party name"):
        kind("fine", party="no party")


def test_a_widget_made_without_a_room_leaves_no_del_noise(fake_client: Any) -> None:
    unraisable: list[Any] = []
    previous, sys.unraisablehook = sys.unraisablehook, unraisable.append
    try:
        with pytest.raises(TypeError, match="room"):
            Chat()  # type: ignore[call-arg]
        with pytest.raises(InvalidName):
            Chat("bad name!")
        gc.collect()
    finally:
        sys.unraisablehook = previous
    assert [u.exc_value for u in unraisable] == []


def test_a_room_host_named_by_PARTYWIDGET_URL_is_reached_through_the_kernel(
        fake_client: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    # The kernel holds PARTYWIDGET_TOKEN (a JWT naming the user): the page relays.
    monkeypatch.setenv("PARTYWIDGET_URL", "http://127.0.0.1:1999")
    assert Chat("class-101").get_state()["_endpoint"] == "relay"
    assert Chat("class-101", endpoint="").get_state()["_endpoint"] == ""
