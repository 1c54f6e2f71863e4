"""The ``board`` party over real sockets, against both hosts.

Finished strokes are stored and acknowledged to everyone (sender included);
strokes being drawn and cursors go to the others only and are never stored;
erase/undo and clear reach everyone; a late joiner gets the state.
"""

from __future__ import annotations

STROKE = {"points": [[10, 10], [200.25, 300], [2000, -5]], "color": "#ff0000", "width": 4}


async def test_strokes_are_stored_and_live_drawing_is_relayed_to_the_others(room_server, room,
                                                                            join):
    alice = await join(room_server, room, party="board")
    welcome, state = await alice.expect("welcome"), await alice.expect("state")
    bob = await join(room_server, room, party="board")
    await bob.expect("welcome")
    await bob.expect("state")
    await alice.expect("userJoined")
    assert state == {"type": "state", "strokes": [], "epoch": welcome["epoch"],
                     "recovered": False}

    await alice.send({"type": "draw", "sid": "s1", **STROKE})
    drawing = await bob.expect("draw")
    await bob.send({"type": "cursor", "x": 500, "y": 9999})
    cursor = await alice.expect("cursor")
    await alice.send({"type": "stroke", "sid": "s1", **STROKE})
    # Alice's own draw never came back: her next frame after the cursor is the ack.
    acked, relayed = await alice.expect("stroke"), await bob.expect("stroke")

    assert drawing["from"] == alice.id and drawing["sid"] == "s1"
    assert cursor == {"type": "cursor", "id": bob.id, "user": cursor["user"], "x": 500,
                      "y": 625}
    assert acked == relayed
    stroke = acked["stroke"]
    assert stroke["from"] == alice.id and stroke["user"] == welcome["user"]
    # Points are clamped into the 1000 x 625 board.
    assert stroke["points"] == [[10, 10], [round(200.25, 1), 300], [1000, 0]]
    assert (stroke["color"], stroke["width"], stroke["sid"]) == ("#ff0000", 4, "s1")

    late = await join(room_server, room, party="board")
    await late.expect("welcome")
    assert (await late.expect("state"))["strokes"] == [stroke]


async def test_undo_and_clear_reach_everyone(room_server, room, join):
    alice = await join(room_server, room, party="board")
    welcome = await alice.expect("welcome")
    await alice.expect("state")
    bob = await join(room_server, room, party="board")
    await bob.expect("welcome")
    await bob.expect("state")
    for _ in range(2):
        await alice.send({"type": "stroke", **STROKE})
    ids = [(await alice.skip_to("stroke"))["stroke"]["id"] for _ in range(2)]

    await alice.send({"type": "undo"})
    erased = await bob.skip_to("erased")
    await bob.send({"type": "clear"})
    cleared = await alice.skip_to("cleared")
    await alice.send({"type": "stroke", "points": [[1, 1]]})
    after = (await alice.skip_to("stroke"))["stroke"]
    late = await join(room_server, room, party="board")
    await late.expect("welcome")
    state = await late.expect("state")

    assert erased["id"] == ids[1]  # undo takes back her newest stroke
    assert cleared["epoch"] != welcome["epoch"]  # a clear starts a new stored stream
    assert after["id"] > ids[1]  # offsets are never reused, not even after a clear
    assert state["strokes"] == [after] and state["epoch"] == cleared["epoch"]
