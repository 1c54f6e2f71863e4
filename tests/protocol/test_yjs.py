"""The y-websocket framing of :mod:`partywidget.protocol.yjs`, checked against pycrdt's own."""

from __future__ import annotations

import json

import pycrdt
import pytest
from pycrdt import Awareness as PyAwareness
from pycrdt import create_awareness_message, create_sync_message, create_update_message

from partywidget.errors import ProtocolError
from partywidget.protocol import yjs


def doc_with_text(text: str) -> pycrdt.Doc:
    doc = pycrdt.Doc()
    doc["t"] = pycrdt.Text(text)
    return doc


def test_sync_step1_is_byte_for_byte_what_pycrdt_sends():
    doc = doc_with_text("hello")
    assert yjs.SyncStep1(doc.get_state()).serialize() == create_sync_message(doc)


def test_an_update_is_byte_for_byte_what_pycrdt_sends():
    update = doc_with_text("hello").get_update()
    assert yjs.Update(update).serialize() == create_update_message(update)


@pytest.mark.parametrize("message", [
    yjs.SyncStep1(b"\x01\x02"), yjs.SyncStep2(b"\x00\x00"), yjs.Update(b"x" * 300),
    yjs.QueryAwareness(), yjs.PermissionDenied("locked: read-only é"),
    yjs.Awareness((yjs.AwarenessEntry(2**40, 3, '{"a":"é"}'),
                   yjs.AwarenessEntry(7, 1, "null"))),
])
def test_every_message_parses_back_to_itself(message):
    assert yjs.parse_frame(message.serialize()) == [message]


def test_several_messages_in_one_frame_are_all_read():
    frame = yjs.SyncStep1(b"").serialize() + yjs.QueryAwareness().serialize()
    assert yjs.parse_frame(frame) == [yjs.SyncStep1(b""), yjs.QueryAwareness()]


def test_pycrdts_awareness_message_is_read():
    doc = pycrdt.Doc()
    awareness = PyAwareness(doc)
    awareness.set_local_state({"cursor": 1, "user": {"name": "mallory"}})
    frame = create_awareness_message(awareness.encode_awareness_update([doc.client_id]))
    (message,) = yjs.parse_frame(frame)
    (entry,) = message.entries
    assert entry.client_id == doc.client_id and json.loads(entry.state)["cursor"] == 1


@pytest.mark.parametrize("frame", [
    b"", b"\x09", b"\x00\x07\x00", b"\x00\x02\x05ab", b"\x01\x05\x01", b"\x00" + b"\xff" * 12,
    b"\x01\x03\x01\x01\x01",
])
def test_malformed_frames_are_bad_messages(frame):
    with pytest.raises(ProtocolError) as info:
        yjs.parse_frame(frame)
    assert info.value.code == "bad_message"


def test_the_server_overwrites_the_claimed_user():
    state = yjs.stamp_user('{"user":{"name":"Teacher","color":"#000000"},"cursor":5}',
                           {"username": "mallory", "display_name": "Mallory"})
    value = json.loads(state)
    assert value["cursor"] == 5
    assert value["user"]["name"] == "Mallory" and value["user"]["username"] == "mallory"
    assert value["user"]["color"].startswith("#") and len(value["user"]["color"]) == 7


@pytest.mark.parametrize("color", ["#0;a:bc", "red;background:url(x)", "#12345g", None, 7])
def test_a_colour_that_is_not_hex_is_replaced(color):
    # y-codemirror.next writes the colour into a style attribute.
    state = yjs.stamp_user("{}", {"username": "mallory", "color": color})
    stamped = json.loads(state)["user"]
    assert yjs.HEX_COLOR.fullmatch(stamped["color"]) and stamped["colorLight"] == stamped["color"] + "33"


def test_a_hex_colour_is_kept():
    stamped = json.loads(yjs.stamp_user("{}", {"username": "a", "color": "#AA3355"}))["user"]
    assert stamped["color"] == "#AA3355"


@pytest.mark.parametrize("state", ["[1]", '"x"', "{bad", '{"a":"%s"}' % ("x" * 9000),
                                   "[" * 100 + "]" * 100])
def test_awareness_states_that_are_not_small_objects_are_dropped(state):
    assert yjs.stamp_user(state, {"username": "a"}) is None


def test_a_removed_state_passes_unchanged():
    assert yjs.stamp_user("null", {"username": "a"}) == "null"
