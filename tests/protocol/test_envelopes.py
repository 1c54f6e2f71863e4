"""Every envelope of the built-in parties: round trips, and each bad shape refused with its code.

A client command serialised then parsed is the same command (what a kernel
sends is what the host reads); server frames serialise to the JSON documented
in docs/protocol.md; and each invalid shape is refused with the error code
docs/protocol.md gives for it, never with an exception of another kind.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from partywidget.errors import ProtocolError
from partywidget.protocol import board, chat
from partywidget.protocol.frames import (Clear, Cleared, Envelope, ErrorFrame, Lock, Locked,
                                         Remove, UserJoined, UserLeft, Welcome, error_frame,
                                         log_join_frame, with_offset)

INK = board.Ink([[1.0, 2.0], [3.5, 4.0]], "#e53935", 4.0, "s-1")

CHAT_COMMANDS = [chat.Post("hi"), chat.Post({"text": "x", "n": [1, 2]}, cid="c-1"),
                 chat.Post("<Figure>", "c-2", {"image/png": "iVBORw0=", "text/plain": "<Figure>"}),
                 chat.Post("yes", "c-3", reply_to=4),
                 chat.Delete(7), chat.Typing(), Clear(), Lock(True), Lock(False), Remove("pk-1")]
BOARD_COMMANDS = [board.Cursor(10.0, 20.5), board.Draw(INK), board.Stroke(INK),
                  board.Stroke(board.Ink([[0.0, 0.0]])), board.Erase(3), board.Undo(), Clear(),
                  Lock(True), Remove("pk-2"),
                  board.Stroke(board.Ink([[1.0, 1.0]], "#ffee00", 16.0, "h-1", 2, 0.3)),
                  board.Place(board.Item("rect", 1.0, 2.0, 30.0, 40.0, fill="#fff", sid="r")),
                  board.Place(board.Item("text", 1.0, 2.0, text="a\nb", size=24.0, page=3)),
                  board.Shape(board.Item("arrow", 9.0, 9.0, -5.0, 2.0)),
                  board.Move(3, 1.5, -2.0), board.Move(3, 0.0, 0.0, 40.0, 50.0),
                  board.Redo(), board.Page(4), board.GetImage("a" * 64),
                  board.Draw(board.Ink([[1.0, 1.0], [2.0, 2.0]], pressure=[0.2, 1.0])),
                  board.PageName(2, "Forces")]


@pytest.mark.parametrize("command", CHAT_COMMANDS, ids=repr)
def test_a_chat_command_survives_the_wire(command: Envelope) -> None:
    assert chat.parse_command(command.serialize()) == command


@pytest.mark.parametrize("command", BOARD_COMMANDS, ids=repr)
def test_a_board_command_survives_the_wire(command: Envelope) -> None:
    assert board.parse_command(command.serialize()) == command


def test_the_article_clients_post_without_a_type_is_a_post() -> None:
    assert chat.parse_command('{"content": "hello"}') == chat.Post("hello")
    assert json.loads(chat.Post("hello").serialize()) == {"content": "hello"}


CHAT_REFUSALS: list[tuple[str, str]] = [
    ("not json", "bad_json"),
    ('{"content": NaN}', "bad_json"),
    ('"\\ud800"', "bad_json"),
    ("[1, 2]", "bad_message"),
    ('{"type": "message"}', "bad_message"),
    ('{"type": "shout", "content": 1}', "bad_message"),
    ('{"type": 5, "content": 1}', "bad_message"),
    ('{"content": 1, "cid": ""}', "bad_message"),
    ('{"content": 1, "cid": 12}', "bad_message"),
    ('{"content": 1, "cid": "' + "c" * 129 + '"}', "bad_message"),
    ('{"type": "delete"}', "bad_message"),
    ('{"type": "delete", "id": "3"}', "bad_message"),
    ('{"type": "delete", "id": true}', "bad_message"),
    ('{"type": "remove", "id": 4}', "bad_message"),
    ('{"content": 1, "mime": []}', "bad_message"),
    ('{"content": 1, "reply_to": "4"}', "bad_message"),
    ('{"content": 1, "reply_to": true}', "bad_message"),
    ('{"content": 1, "mime": {"text/javascript": "x"}}', "bad_message"),
    ('{"content": 1, "mime": {"text/html": 5}}', "bad_message"),
    ("[" * 40 + "]" * 40, "too_deep"),
]


@pytest.mark.parametrize("raw, code", CHAT_REFUSALS)
def test_a_bad_chat_frame_is_refused_with_its_documented_code(raw: str, code: str) -> None:
    with pytest.raises(ProtocolError) as refused:
        chat.parse_command(raw)
    assert refused.value.code == code


BOARD_REFUSALS: list[tuple[dict[str, Any], str]] = [
    ({"type": "stroke"}, "bad_stroke"),
    ({"type": "stroke", "points": []}, "bad_stroke"),
    ({"type": "stroke", "points": [[1, 2]] * (board.MAX_POINTS + 1)}, "bad_stroke"),
    ({"type": "stroke", "points": [[1]]}, "bad_stroke"),
    ({"type": "stroke", "points": [[1, "2"]]}, "bad_stroke"),
    ({"type": "stroke", "points": [[True, 2]]}, "bad_stroke"),
    ({"type": "draw", "points": [[1, 2]], "color": "red"}, "bad_stroke"),
    ({"type": "draw", "points": [[1, 2]], "color": "#12345"}, "bad_stroke"),
    ({"type": "draw", "points": [[1, 2]], "width": "3"}, "bad_stroke"),
    ({"type": "stroke", "points": [[1, 2]], "sid": "no spaces"}, "bad_stroke"),
    ({"type": "stroke", "points": [[1, 2]], "sid": "<svg>"}, "bad_stroke"),
    ({"type": "cursor", "x": 1}, "bad_stroke"),
    ({"type": "stroke", "points": [[1, 2], [3, 4]], "pressure": [0.5]}, "bad_stroke"),
    ({"type": "stroke", "points": [[1, 2]], "pressure": ["0.5"]}, "bad_stroke"),
    ({"type": "stroke", "points": [[1, 2]], "pressure": 0.5}, "bad_stroke"),
    ({"type": "erase"}, "bad_message"),
    ({"type": "erase", "id": 1.5}, "bad_message"),
    ({"type": "paint"}, "bad_message"),
    ({"type": "item", "kind": "star", "x": 1, "y": 1}, "bad_item"),
    ({"type": "item", "kind": "image", "x": 1, "y": 1, "w": 1, "h": 1, "data": "PHN2Zz4="},
     "bad_item"),
    ({"type": "shape", "kind": "note", "x": 1, "y": 1, "w": 1, "h": 1, "text": ""},
     "bad_item"),
    ({"type": "move", "id": 1, "w": 5}, "bad_message"),
    ({"type": "page", "page": 20}, "bad_message"),
    ({"type": "pageName", "page": 1, "name": 5}, "bad_message"),
    ({"type": "pageName", "page": 1, "name": "a\u2028b"}, "bad_message"),
    ({"type": "getImage", "src": "A" * 64}, "bad_message"),
    ({}, "bad_message"),
]


@pytest.mark.parametrize("frame, code", BOARD_REFUSALS, ids=lambda v: str(v)[:50])
def test_a_bad_board_frame_is_refused_with_its_documented_code(frame: dict[str, Any],
                                                               code: str) -> None:
    with pytest.raises(ProtocolError) as refused:
        board.parse_command(json.dumps(frame))
    assert refused.value.code == code


def test_ink_is_clamped_and_rounded_into_the_board() -> None:
    ink = board.Ink.parse({"points": [[-5, 700], [1000.04, 1e6]], "width": 1000})
    assert ink.points == [[0.0, 625.0], [1000.0, 625.0]]
    assert ink.width == board.MAX_WIDTH and ink.color == board.DEFAULT_COLOR


def test_pressure_is_optional_clamped_to_0_1_and_left_out_when_absent() -> None:
    ink = board.Ink.parse({"points": [[1, 2], [3, 4], [5, 6]], "pressure": [-3, 0.44, 7]})
    assert ink.pressure == [0.0, 0.4, 1.0]
    assert "pressure" not in board.Ink.parse({"points": [[1, 2]]}).to_json()  # old boards' shape


USER = {"username": "ada", "name": "Ada"}
SERVER_FRAMES: list[tuple[Envelope, dict[str, Any]]] = [
    (ErrorFrame("locked", "read-only"), {"type": "error", "code": "locked",
                                         "message": "read-only"}),
    (UserJoined("pk", USER), {"type": "userJoined", "id": "pk", "user": USER}),
    (UserLeft("pk", USER), {"type": "userLeft", "id": "pk", "user": USER}),
    (Locked(True), {"type": "locked", "locked": True}),
    (Cleared("e2"), {"type": "cleared", "epoch": "e2"}),
    (chat.Deleted(4), {"type": "deleted", "id": 4}),
    (chat.History([{"id": 1}], "e1", True), {"type": "history", "messages": [{"id": 1}],
                                             "epoch": "e1", "recovered": True}),
    (board.Erased(5), {"type": "erased", "id": 5}),
    (board.CursorMoved("pk", USER, 1.0, 2.0), {"type": "cursor", "id": "pk", "user": USER,
                                               "x": 1.0, "y": 2.0}),
    (board.Drawing("pk", USER, INK), {"type": "draw", "from": "pk", "user": USER,
                                      **INK.to_json()}),
    (board.State([], "e1"), {"type": "state", "strokes": [], "epoch": "e1",
                             "recovered": False}),
    (board.Shaping("pk", USER, board.Item("line", 1.0, 2.0, 3.0, 4.0)),
     {"type": "shape", "from": "pk", "user": USER, "kind": "line", "x": 1.0, "y": 2.0,
      "w": 3.0, "h": 4.0, "color": "#222222", "width": 3.0}),
    (board.ImageBytes("f" * 64, "image/png", "AAAA"),
     {"type": "image", "src": "f" * 64, "mime": "image/png", "data": "AAAA"}),
]


@pytest.mark.parametrize("frame, expected", SERVER_FRAMES, ids=lambda v: type(v).__name__)
def test_a_server_frame_is_the_documented_json(frame: Envelope, expected: dict[str, Any]) -> None:
    assert json.loads(frame.serialize()) == expected
    assert frame.type == expected["type"]


def test_the_welcome_round_trips_and_carries_the_history_bound_only_when_known() -> None:
    welcome = Welcome("r", "main", "pk", USER, "e1", [{"id": "pk", "user": USER}], True, 50)
    assert Welcome.parse(json.loads(welcome.serialize())) == welcome
    bare = Welcome("r", "main", "pk", USER, None, [], False)
    assert "history" not in json.loads(bare.serialize())
    assert Welcome.parse({"type": "welcome", "history": -3}).history is None


def test_an_error_frame_round_trips() -> None:
    assert ErrorFrame.parse(json.loads(error_frame("rate_limited", "slow"))) == ErrorFrame(
        "rate_limited", "slow")


def test_stored_entries_become_frames_without_being_decoded() -> None:
    entry = chat.stored_entry("pk", json.dumps(USER), {"t": "é\u2028"}, 1700, "c1")
    message = json.loads(chat.message_frame(9, entry))
    assert message == {"type": "message", "id": 9, "from": "pk", "user": USER,
                       "content": {"t": "é\u2028"}, "timestamp": 1700, "cid": "c1"}
    joined = json.loads(chat.history_frame("e1", [(9, entry)], recovered=True))
    assert joined == {"type": "history", "messages": [message], "epoch": "e1",
                      "recovered": True}
    stroke = board.stored_stroke("pk", USER, INK, 1700)
    assert json.loads(board.stroke_frame(2, stroke)) == {"type": "stroke", "stroke": {
        "id": 2, "from": "pk", "user": USER, **INK.to_json(), "timestamp": 1700}}
    assert json.loads(board.state_frame("e", [(2, stroke)], False))["strokes"][0]["id"] == 2
    assert json.loads(with_offset(3, '{"a":1}')) == {"id": 3, "a": 1}
    assert json.loads(log_join_frame("state", "strokes", [], "e", False)) == {
        "type": "state", "strokes": [], "epoch": "e", "recovered": False}


def test_a_message_json_cannot_carry_is_refused_before_it_is_stored() -> None:
    with pytest.raises(ValueError):
        chat.stored_entry(None, "{}", float("nan"), 0, None)
