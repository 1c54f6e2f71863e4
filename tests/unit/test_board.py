"""The ``board`` party through a real RoomHost and MemoryStorage, fake sockets."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import struct

import pytest

from partywidget.parties import BoardParty
from partywidget.protocol.board import MAX_POINTS, MAX_WIDTH
from partywidget.storage import MemoryStorage

from .conftest import ALICE, BOB, TEACHER, stored

LINE = {"points": [[10, 20], [30, 40]], "color": "#ff0000", "width": 4}


@pytest.fixture
async def room(make_host):
    return (await make_host({"board": BoardParty})).room("board", "r")


async def stroke(client, **fields) -> None:
    await client.send({"type": "stroke", **LINE, **fields})


# joining -------------------------------------------------------------------------


async def test_a_joiner_gets_welcome_then_the_board_state(room, join):
    alice = await join(room, "a1", ALICE)
    await stroke(alice, sid="s-1")
    bob = await join(room, "b1", BOB)
    welcome, state = bob.frames
    assert welcome["type"] == "welcome" and welcome["party"] == "board"
    assert welcome["epoch"] == state["epoch"] and welcome["locked"] is False
    assert state["type"] == "state" and state["recovered"] is False
    (line,) = state["strokes"]
    assert set(line) == {"id", "from", "user", "points", "color", "width", "sid", "timestamp"}
    assert (line["id"], line["from"], line["user"], line["sid"]) == (1, "a1", ALICE, "s-1")
    assert line["points"] == [[10, 20], [30, 40]] and line["color"] == "#ff0000"


async def test_a_board_resume_replays_only_newer_strokes(room, join):
    alice = await join(room, "a1", ALICE)
    for _ in range(3):
        await stroke(alice)
    epoch = alice.of_type("state")[0]["epoch"]
    bob = await join(room, "b1", BOB, query={"since": "2", "epoch": epoch})
    state = bob.of_type("state")[0]
    assert state["recovered"] is True and [s["id"] for s in state["strokes"]] == [3]


# strokes -------------------------------------------------------------------------


async def test_a_stroke_is_stored_then_sent_to_everyone_sender_included(room, join):
    alice = await join(room, "a1", ALICE)
    bob = await join(room, "b1", BOB)
    await stroke(alice, user={"username": "mallory"})
    (ack,) = alice.of_type("stroke")
    assert bob.of_type("stroke") == [ack]
    assert ack["stroke"]["id"] == 1 and ack["stroke"]["user"] == ALICE
    assert ack["stroke"]["from"] == "a1" and "sid" not in ack["stroke"]
    assert await stored(room) == [ack["stroke"]]


async def test_points_are_clamped_to_the_board_and_width_to_its_range(room, join):
    alice = await join(room, "a1", ALICE)
    await stroke(alice, points=[[-5, 700], [1000.04, 0.26]], width=1000)
    await stroke(alice, width=0)
    wide, thin = [s["stroke"] for s in alice.of_type("stroke")]
    assert wide["points"] == [[0, 625], [1000, 0.3]] and wide["width"] == MAX_WIDTH
    assert thin["width"] == 0.5


@pytest.mark.parametrize("fields", [
    pytest.param({"points": []}, id="no-points"),
    pytest.param({"points": "10,20"}, id="points-not-a-list"),
    pytest.param({"points": [[1, 2]] * (MAX_POINTS + 1)}, id="too-many-points"),
    pytest.param({"points": [[1, 2, 3]]}, id="point-not-a-pair"),
    pytest.param({"points": [{"x": 1, "y": 2}]}, id="point-not-a-list"),
    pytest.param({"points": [["1", 2]]}, id="coordinate-a-string"),
    pytest.param({"points": [[True, 2]]}, id="coordinate-a-boolean"),
    pytest.param({"points": [[None, 2]]}, id="coordinate-null"),
    pytest.param({"color": "red"}, id="color-a-name"),
    pytest.param({"color": "#12345"}, id="color-five-digits"),
    pytest.param({"color": "#fff;background:url(x)"}, id="color-injection"),
    pytest.param({"width": "3"}, id="width-a-string"),
    pytest.param({"sid": "has space"}, id="sid-bad-characters"),
    pytest.param({"sid": "s" * 65}, id="sid-too-long"),
])
async def test_an_invalid_stroke_is_refused_and_nothing_is_stored(room, join, fields):
    alice = await join(room, "a1", ALICE)
    bob = await join(room, "b1", BOB)
    alice.clear()
    bob.clear()
    await stroke(alice, **fields)
    assert [(f["type"], f["code"]) for f in alice.frames] == [("error", "bad_stroke")]
    assert bob.frames == [] and await stored(room) == []


@pytest.mark.parametrize("frame", ["[]", '{"type": "paint"}', '{"points": [[1, 2]]}',
                                   '{"type": "erase", "id": "1"}', '{"type": "erase", "id": true}'])
async def test_malformed_messages_get_bad_message(room, join, frame):
    alice = await join(room, "a1", ALICE)
    alice.clear()
    await alice.send(frame)
    assert [(f["type"], f["code"]) for f in alice.frames] == [("error", "bad_message")]


# live only -----------------------------------------------------------------------


async def test_a_stroke_being_drawn_is_relayed_to_others_only_and_not_stored(room, join):
    alice = await join(room, "a1", ALICE)
    bob = await join(room, "b1", BOB)
    alice.clear()
    await alice.send({"type": "draw", "sid": "s-1", **LINE})
    assert alice.frames == [] and await stored(room) == []
    assert bob.of_type("draw") == [{"type": "draw", "from": "a1", "user": ALICE, "sid": "s-1",
                                    "points": [[10, 20], [30, 40]], "color": "#ff0000",
                                    "width": 4}]


async def test_a_cursor_is_relayed_to_others_only_clamped_and_not_stored(room, join):
    alice = await join(room, "a1", ALICE)
    bob = await join(room, "b1", BOB)
    alice.clear()
    await alice.send({"type": "cursor", "x": 2000, "y": 12.34})
    assert alice.frames == [] and await stored(room) == []
    assert bob.of_type("cursor") == [{"type": "cursor", "id": "a1", "user": ALICE,
                                      "x": 1000, "y": 12.3}]


async def test_a_joiner_does_not_get_its_own_cursor_back(make_host, join, held_storage):
    storage = held_storage
    room = (await make_host({"board": BoardParty}, storage=storage)).room("board", "r")
    alice = await join(room, "a1", ALICE)
    storage.hold = "before read"
    joining = asyncio.ensure_future(join(room, "b1", BOB))
    await asyncio.wait_for(storage.held.wait(), 5)
    bob = room.get_connection("b1")
    await room.receive(bob, json.dumps({"type": "cursor", "x": 1, "y": 2}))
    storage.release.set()
    bob_client = await joining
    assert bob_client.of_type("cursor") == []
    assert [f["id"] for f in alice.of_type("cursor")] == ["b1"]


# erase, undo, clear --------------------------------------------------------------


async def test_a_participant_erases_their_own_stroke_but_not_others(room, join):
    alice = await join(room, "a1", ALICE)
    bob = await join(room, "b1", BOB)
    await stroke(alice)
    await stroke(bob)
    bob.clear()
    await bob.send({"type": "erase", "id": 1})
    assert [(f["type"], f.get("code")) for f in bob.frames] == [("error", "forbidden")]
    await bob.send({"type": "erase", "id": 2})
    assert alice.of_type("erased") == bob.of_type("erased") == [{"type": "erased", "id": 2}]
    assert [s["id"] for s in await stored(room)] == [1]


async def test_a_moderator_erases_anyones_stroke(room, join):
    alice = await join(room, "a1", ALICE)
    teacher = await join(room, "t1", TEACHER)
    await stroke(alice)
    await teacher.send({"type": "erase", "id": 1})
    assert alice.of_type("erased") == [{"type": "erased", "id": 1}] and await stored(room) == []


async def test_erasing_a_stroke_that_is_gone_does_nothing(room, join):
    alice = await join(room, "a1", ALICE)
    alice.clear()
    await alice.send({"type": "erase", "id": 42})
    assert alice.frames == []


async def test_undo_erases_the_users_newest_stroke_only(room, join):
    alice = await join(room, "a1", ALICE)
    bob = await join(room, "b1", BOB)
    await stroke(alice)
    await stroke(alice)
    await stroke(bob)
    await alice.send({"type": "undo"})
    assert bob.of_type("erased") == [{"type": "erased", "id": 2}]
    await alice.send({"type": "undo"})
    await alice.send({"type": "undo"})  # nothing of alice's left: nothing happens
    assert [f["id"] for f in bob.of_type("erased")] == [2, 1]
    assert [s["user"] for s in await stored(room)] == [BOB]


async def test_only_a_moderator_can_clear_and_clearing_starts_a_new_epoch(room, join):
    alice = await join(room, "a1", ALICE)
    teacher = await join(room, "t1", TEACHER)
    await stroke(alice)
    old_epoch = alice.of_type("state")[0]["epoch"]
    alice.clear()
    await alice.send({"type": "clear"})
    assert [f["code"] for f in alice.frames] == ["forbidden"] and len(await stored(room)) == 1
    await teacher.send({"type": "clear"})
    (cleared,) = alice.of_type("cleared")
    assert cleared["epoch"] != old_epoch and await stored(room) == []
    late = await join(room, "l1", BOB, query={"since": "1", "epoch": old_epoch})
    state = late.of_type("state")[0]
    assert state == {"type": "state", "strokes": [], "epoch": cleared["epoch"],
                     "recovered": False}
    await stroke(alice)
    assert alice.of_type("stroke")[-1]["stroke"]["id"] == 2  # offsets keep growing


# lock ----------------------------------------------------------------------------

WRITES = [{"type": "stroke", **LINE}, {"type": "draw", "sid": "s", **LINE},
          {"type": "erase", "id": 1}, {"type": "undo"}]


@pytest.mark.parametrize("frame", WRITES)
async def test_a_locked_board_refuses_changes_from_non_moderators(room, join, frame):
    alice = await join(room, "a1", ALICE)
    bob = await join(room, "b1", BOB)
    teacher = await join(room, "t1", TEACHER)
    await stroke(alice)
    await teacher.send({"type": "lock", "locked": True})
    assert alice.of_type("locked") == bob.of_type("locked") == [{"type": "locked",
                                                                "locked": True}]
    alice.clear()
    bob.clear()
    await alice.send(frame)
    assert [(f["type"], f["code"]) for f in alice.frames] == [("error", "locked")]
    assert bob.frames == [] and len(await stored(room)) == 1
    await alice.send({"type": "cursor", "x": 1, "y": 2})  # cursors still move
    assert bob.of_type("cursor") != []


async def test_moderators_draw_on_a_locked_board_and_unlock_it(room, join):
    alice = await join(room, "a1", ALICE)
    teacher = await join(room, "t1", TEACHER)
    await teacher.send({"type": "lock"})  # "locked" defaults to true, as for the chat
    await stroke(teacher)
    assert [s["user"] for s in await stored(room)] == [TEACHER]
    await teacher.send({"type": "lock", "locked": False})
    await stroke(alice)
    assert [s["user"] for s in await stored(room)] == [TEACHER, ALICE]
    assert alice.of_type("locked") == [{"type": "locked", "locked": True},
                                       {"type": "locked", "locked": False}]


async def test_only_moderators_lock_the_board(room, join):
    alice = await join(room, "a1", ALICE)
    await alice.send({"type": "lock", "locked": True})
    assert [f["code"] for f in alice.of_type("error")] == ["forbidden"]
    assert room.party.locked is False and alice.of_type("locked") == []


async def test_the_lock_is_stored_and_survives_a_room_reload(make_host, join):
    storage = MemoryStorage()
    first = (await make_host({"board": BoardParty}, storage=storage)).room("board", "r")
    teacher = await join(first, "t1", TEACHER)
    await teacher.send({"type": "lock", "locked": True})
    second = (await make_host({"board": BoardParty}, storage=storage)).room("board", "r")
    bob = await join(second, "b1", BOB)
    assert bob.of_type("welcome")[0]["locked"] is True
    await stroke(bob)
    assert [f["code"] for f in bob.of_type("error")] == ["locked"]


# items, move, undo and redo --------------------------------------------------------

RECT = {"type": "item", "kind": "rect", "x": 100, "y": 50, "w": 200, "h": 100}


async def test_an_item_is_stored_and_announced_as_item_and_joins_in_board_order(room, join):
    alice = await join(room, "a1", ALICE)
    bob = await join(room, "b1", BOB)
    await stroke(alice)
    await alice.send({**RECT, "fill": "#ffeeaa", "sid": "r-1", "user": {"username": "mallory"}})
    (ack,) = alice.of_type("item")
    assert bob.of_type("item") == [ack]
    assert ack["item"] == {"id": 2, "from": "a1", "user": ALICE, "kind": "rect", "x": 100,
                           "y": 50, "w": 200, "h": 100, "color": "#222222", "width": 3,
                           "fill": "#ffeeaa", "sid": "r-1",
                           "timestamp": ack["item"]["timestamp"]}
    late = await join(room, "l1", BOB)
    assert [e.get("kind") for e in late.of_type("state")[0]["strokes"]] == [None, "rect"]


@pytest.mark.parametrize("fields", [
    pytest.param({"kind": "script"}, id="unknown-kind"),
    pytest.param({"x": "10"}, id="coordinate-a-string"),
    pytest.param({"kind": "text", "text": ""}, id="empty-text"),
    pytest.param({"kind": "text", "text": "a\x00b"}, id="control-character"),
    pytest.param({"kind": "note", "text": "x" * 2001}, id="text-too-long"),
    pytest.param({"kind": "line", "fill": "#fff"}, id="fill-on-a-line"),
    pytest.param({"color": "javascript:alert(1)"}, id="color-a-url"),
])
async def test_an_invalid_item_is_refused_with_bad_item(room, join, fields):
    alice = await join(room, "a1", ALICE)
    alice.clear()
    await alice.send({**RECT, **fields})
    assert [(f["type"], f["code"]) for f in alice.frames] == [("error", "bad_item")]
    assert await stored(room) == []


async def test_huge_coordinates_are_clamped_so_the_item_stays_on_the_board(room, join):
    alice = await join(room, "a1", ALICE)
    await alice.send({**RECT, "x": 1e300, "y": -5, "w": -1e300, "h": 1e9})
    (item,) = [f["item"] for f in alice.of_type("item")]
    assert (item["x"], item["y"], item["w"], item["h"]) == (0, 0, 1000, 625)


async def test_a_move_replaces_the_entry_under_a_new_id_and_only_the_first_of_two_wins(
        room, join):
    alice = await join(room, "a1", ALICE)
    bob = await join(room, "b1", BOB)
    await alice.send(RECT)
    await stroke(alice)
    bob.clear()
    await alice.send({"type": "move", "id": 1, "dx": 10, "dy": -60})
    await alice.send({"type": "move", "id": 2, "dx": 5, "dy": 5})
    assert [(f["type"], f.get("id")) for f in bob.frames if f["type"] == "erased"] == [
        ("erased", 1), ("erased", 2)]
    moved_item = bob.of_type("item")[0]["item"]
    moved_stroke = bob.of_type("stroke")[0]["stroke"]
    assert (moved_item["id"], moved_item["x"], moved_item["y"]) == (3, 110, 0)
    assert moved_stroke["points"] == [[15, 25], [35, 45]] and moved_stroke["user"] == ALICE
    alice.clear()
    await alice.send({"type": "move", "id": 1, "dx": 1, "dy": 1})  # already moved away
    assert [f["code"] for f in alice.frames] == ["not_found"]
    await bob.send({"type": "move", "id": 3, "dx": 1, "dy": 1})
    assert [f["code"] for f in bob.of_type("error")] == ["forbidden"]
    assert [e["id"] for e in await stored(room)] == [3, 4]


async def test_undo_and_redo_take_back_and_make_again_each_users_own_changes(room, join):
    alice = await join(room, "a1", ALICE)
    bob = await join(room, "b1", BOB)
    await alice.send(RECT)                                     # 1
    await alice.send({"type": "move", "id": 1, "dx": 10, "dy": 0})  # 1 -> 2
    await stroke(bob)                                          # 3
    await alice.send({"type": "undo"})  # the move: 2 goes, the rect is back at x=100 as 4
    assert [(e["id"], e.get("x")) for e in await stored(room)] == [(3, None), (4, 100)]
    await alice.send({"type": "undo"})  # the rect itself
    assert [e["id"] for e in await stored(room)] == [3]
    await alice.send({"type": "redo"})  # the rect again (5)
    await alice.send({"type": "redo"})  # the move again (6)
    assert [(e["id"], e.get("x")) for e in await stored(room)] == [(3, None), (6, 110)]
    await alice.send({"type": "redo"})  # nothing left to redo: nothing happens
    await bob.send({"type": "undo"})
    assert [e["id"] for e in await stored(room)] == [6]


async def test_a_new_change_drops_the_redo_and_erasing_can_be_undone(room, join):
    alice = await join(room, "a1", ALICE)
    await alice.send(RECT)                        # 1
    await alice.send({"type": "erase", "id": 1})
    await alice.send({"type": "undo"})            # the rect is back as 2
    assert [e["id"] for e in await stored(room)] == [2]
    await alice.send({"type": "undo"})            # and gone again
    await stroke(alice)                           # 3: a new change
    await alice.send({"type": "redo"})            # nothing to redo
    assert [e["id"] for e in await stored(room)] == [3]


async def test_undo_skips_a_change_whose_entry_a_moderator_took_away(room, join):
    alice = await join(room, "a1", ALICE)
    teacher = await join(room, "t1", TEACHER)
    await stroke(alice)                           # 1
    await stroke(alice)                           # 2
    await teacher.send({"type": "erase", "id": 2})
    await alice.send({"type": "undo"})            # 2 is gone: takes back 1
    assert await stored(room) == []


# images --------------------------------------------------------------------------


def png(width: int = 2, height: int = 2) -> bytes:
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + struct.pack(">I", 13) + b"IHDR" + header + b"\0" * 4


def image_frame(raw: bytes, **fields) -> dict:
    return {"type": "item", "kind": "image", "x": 10, "y": 10, "w": 100, "h": 50,
            "data": base64.b64encode(raw).decode(), **fields}


async def test_an_image_is_stored_once_referenced_by_src_and_sent_to_who_asks(room, join):
    alice = await join(room, "a1", ALICE)
    bob = await join(room, "b1", BOB)
    await alice.send(image_frame(png()))
    await alice.send(image_frame(png(), x=300))
    first, second = [f["item"] for f in bob.of_type("item")]
    src = hashlib.sha256(png()).hexdigest()
    assert first["src"] == second["src"] == src and "data" not in first
    assert await room.storage.get(f"image:{src}") == {
        "mime": "image/png", "data": base64.b64encode(png()).decode()}
    bob.clear()
    await bob.send({"type": "getImage", "src": src})
    assert bob.frames == [{"type": "image", "src": src, "mime": "image/png",
                           "data": base64.b64encode(png()).decode()}]
    assert alice.of_type("image") == []  # answered to the asker alone
    await bob.send({"type": "getImage", "src": "0" * 64})
    await bob.send({"type": "getImage", "src": "../x"})
    assert [f["code"] for f in bob.of_type("error")] == ["not_found", "bad_message"]


@pytest.mark.parametrize("raw", [
    pytest.param(b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
                 id="svg-with-script"),
    pytest.param(b"GIF89a" + b"\0" * 20, id="gif"),
    pytest.param(png(100_000, 100_000), id="decompression-bomb"),
    pytest.param(png() + b"\0" * 100_000, id="over-96-kB"),
])
async def test_images_other_than_small_png_or_jpeg_are_refused(room, join, raw):
    alice = await join(room, "a1", ALICE)
    alice.clear()
    await alice.send(image_frame(raw))
    assert [(f["type"], f["code"]) for f in alice.frames] == [("error", "bad_item")]
    assert await stored(room) == []


async def test_an_image_needs_data_and_src_is_never_taken_from_the_client(room, join):
    alice = await join(room, "a1", ALICE)
    alice.clear()
    await alice.send({**image_frame(png()), "data": "not base64!"})
    await alice.send({**RECT, "src": "f" * 64, "data": "AAAA"})  # ignored on a rect
    await alice.send(image_frame(png(), src="f" * 64))
    codes = [f.get("code") for f in alice.frames if f["type"] == "error"]
    assert codes == ["bad_item"]
    assert [e.get("src") for e in await stored(room)] == [None, hashlib.sha256(png()).hexdigest()]


# pages ---------------------------------------------------------------------------


async def test_entries_keep_their_page_and_page_zero_is_left_out(room, join):
    alice = await join(room, "a1", ALICE)
    await stroke(alice, page=2)
    await stroke(alice)
    await alice.send({**RECT, "page": 19})
    await alice.send({**RECT, "page": 20})
    assert [e.get("page") for e in await stored(room)] == [2, None, 19]
    assert [f["code"] for f in alice.of_type("error")] == ["bad_item"]


async def test_the_teachers_page_is_relayed_kept_and_given_to_joiners(make_host, join):
    storage = MemoryStorage()
    room = (await make_host({"board": BoardParty}, storage=storage)).room("board", "r")
    alice = await join(room, "a1", ALICE)
    teacher = await join(room, "t1", TEACHER)
    await alice.send({"type": "page", "page": 1})
    assert [f["code"] for f in alice.of_type("error")] == ["forbidden"]
    await teacher.send({"type": "page", "page": 3})
    assert alice.of_type("page") == [{"type": "page", "page": 3}]
    again = (await make_host({"board": BoardParty}, storage=storage)).room("board", "r")
    late = await join(again, "b1", BOB)
    assert [f["type"] for f in late.frames][-1:] == ["page"]
    assert late.of_type("page") == [{"type": "page", "page": 3}]


async def test_page_names_are_moderators_kept_relayed_and_given_to_every_joiner(make_host, join):
    storage = MemoryStorage()
    room = (await make_host({"board": BoardParty}, storage=storage)).room("board", "r")
    alice = await join(room, "a1", ALICE)
    teacher = await join(room, "t1", TEACHER)
    await alice.send({"type": "pageName", "page": 1, "name": "mine"})
    await teacher.send({"type": "pageName", "page": 1, "name": "<b>x</b>\nsecond line"})
    await teacher.send({"type": "pageName", "page": 1, "name": "x" * 41})
    assert [f["code"] for f in alice.of_type("error")] == ["forbidden"]
    assert [f["code"] for f in teacher.of_type("error")] == ["bad_message", "bad_message"]
    await teacher.send({"type": "pageName", "page": 1, "name": "  Forces  "})
    await teacher.send({"type": "pageName", "page": 2, "name": "Energy"})
    await teacher.send({"type": "pageName", "page": 2, "name": ""})  # cleared
    await teacher.send({"type": "pageName", "page": 0, "name": "<i>Intro</i>"})  # text, kept as is
    assert alice.of_type("pageName")[0] == {"type": "pageName", "page": 1, "name": "Forces"}
    again = (await make_host({"board": BoardParty}, storage=storage)).room("board", "r")
    late = await join(again, "b1", BOB)
    assert late.of_type("pageName") == [{"type": "pageName", "page": 0, "name": "<i>Intro</i>"},
                                        {"type": "pageName", "page": 1, "name": "Forces"}]


async def test_a_shape_being_dragged_out_is_relayed_to_others_only_and_not_stored(room, join):
    alice = await join(room, "a1", ALICE)
    bob = await join(room, "b1", BOB)
    alice.clear()
    await alice.send({**RECT, "type": "shape", "sid": "r-1"})
    await alice.send({"type": "shape", "kind": "text", "x": 1, "y": 1, "text": "no"})
    assert [f["code"] for f in alice.of_type("error")] == ["bad_item"]
    assert alice.of_type("shape") == [] and await stored(room) == []
    (shape,) = bob.of_type("shape")
    assert (shape["from"], shape["user"], shape["kind"], shape["sid"]) == ("a1", ALICE, "rect",
                                                                          "r-1")


async def test_a_move_with_w_and_h_resizes_a_box_kept_on_the_board_but_not_a_stroke(room, join):
    alice = await join(room, "a1", ALICE)
    await alice.send(RECT)                                        # 1: 100,50 200x100
    await stroke(alice)                                           # 2
    await alice.send({"type": "move", "id": 1, "dx": 0, "dy": 0, "w": 5000, "h": -20})
    await alice.send({"type": "move", "id": 2, "dx": 0, "dy": 0, "w": 50, "h": 50})
    await alice.send({"type": "move", "id": 3, "w": 10})
    resized, still = await stored(room)
    assert (resized["x"], resized["y"], resized["w"], resized["h"]) == (100, 50, 900, 1)
    assert still["points"] == [[10, 20], [30, 40]]
    assert [f["code"] for f in alice.of_type("error")] == ["bad_message"]


async def test_a_highlighter_stroke_keeps_its_alpha_clamped_and_a_pen_has_none(room, join):
    alice = await join(room, "a1", ALICE)
    await stroke(alice, alpha=0.35)
    await stroke(alice, alpha=0)
    await stroke(alice, alpha=1)
    assert [s.get("alpha") for s in await stored(room)] == [0.3, 0.1, None]
