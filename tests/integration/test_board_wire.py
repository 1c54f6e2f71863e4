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


async def test_items_move_undo_redo_and_images_over_the_wire(room_server, room, join):
    alice = await join(room_server, room, party="board")
    await alice.expect("welcome")
    await alice.expect("state")
    bob = await join(room_server, room, party="board")
    await bob.expect("welcome")
    await bob.expect("state")
    await alice.send({"type": "item", "kind": "note", "x": 10, "y": 10, "w": 100, "h": 80,
                      "text": "hello", "sid": "n1"})
    note = (await bob.skip_to("item"))["item"]
    await alice.send({"type": "move", "id": note["id"], "dx": 50, "dy": 0})
    assert (await bob.skip_to("erased"))["id"] == note["id"]
    moved = (await bob.skip_to("item"))["item"]
    await alice.send({"type": "undo"})
    assert (await bob.skip_to("erased"))["id"] == moved["id"]
    back = (await bob.skip_to("item"))["item"]
    await alice.send({"type": "redo"})
    assert (await bob.skip_to("erased"))["id"] == back["id"]
    again = (await bob.skip_to("item"))["item"]
    # A 1 x 1 PNG, stored once and fetched by its src.
    pixel = ("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGP4z8AAAAMBAQDJ/pLvAAAAAE"
             "lFTkSuQmCC")
    await alice.send({"type": "item", "kind": "image", "x": 0, "y": 0, "w": 10, "h": 10,
                      "data": pixel})
    image = (await bob.skip_to("item"))["item"]
    await bob.send({"type": "getImage", "src": image["src"]})
    fetched = await bob.skip_to("image")

    assert (note["x"], moved["x"], back["x"], again["x"]) == (10, 60, 10, 60)
    assert again["sid"] == "n1" and again["text"] == "hello"
    assert fetched == {"type": "image", "src": image["src"], "mime": "image/png",
                       "data": pixel}
