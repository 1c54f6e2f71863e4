"""The ``main`` party's wire contract (DESIGN.md), spoken by real ``websockets`` clients.

Every test runs against the Jupyter extension and against ``partywidget serve``.
"""

from __future__ import annotations

import getpass
import time

import pytest

from .clients import fetch

#: A message's timestamp is the server's clock in ms; allow for slow machines.
CLOCK_SLACK_MS = 60_000


def assert_user(user: dict) -> None:
    """The identity the host attaches: names for display, never client-chosen."""
    for key in ("username", "name", "display_name", "initials"):
        assert isinstance(user[key], str) and user[key], (key, user)
    assert "color" in user


async def test_a_joiner_gets_welcome_then_history(room_server, room, join):
    sock = await join(room_server, room)
    welcome, history = await sock.joined()

    assert welcome["roomId"] == room
    assert welcome["party"] == "main"
    assert welcome["id"] == sock.id
    assert_user(welcome["user"])
    assert welcome["users"] == [{"id": sock.id, "user": welcome["user"]}]
    assert isinstance(welcome["epoch"], str) and welcome["epoch"]
    assert welcome["locked"] is False
    assert history == {"type": "history", "messages": [], "epoch": welcome["epoch"],
                       "recovered": False}


async def test_a_message_reaches_everyone_sender_included(room_server, room, join):
    alice = await join(room_server, room)
    alice_welcome, _ = await alice.joined()
    bob = await join(room_server, room)
    bob_welcome, _ = await bob.joined()
    assert {u["id"] for u in bob_welcome["users"]} == {alice.id, bob.id}
    assert await alice.expect("userJoined") == {"type": "userJoined", "id": bob.id,
                                                "user": bob_welcome["user"]}

    before = int(time.time() * 1000)
    await alice.send({"content": {"text": "hello", "n": [1, 2]}, "cid": "cid-1"})
    echoed, received = await alice.expect("message"), await bob.expect("message")

    assert echoed == received
    assert echoed["id"] == 1
    assert echoed["from"] == alice.id
    assert echoed["user"] == alice_welcome["user"]
    assert echoed["content"] == {"text": "hello", "n": [1, 2]}
    assert abs(echoed["timestamp"] - before) < CLOCK_SLACK_MS
    assert echoed["cid"] == "cid-1"


async def test_ids_grow_and_cid_is_only_echoed_when_sent(room_server, room, join):
    sock = await join(room_server, room)
    await sock.joined()
    await sock.send({"content": "first"})
    await sock.send({"type": "message", "content": "second"})
    first, second = await sock.expect("message"), await sock.expect("message")

    assert (first["content"], second["content"]) == ("first", "second")
    assert second["id"] > first["id"]
    assert "cid" not in first and "cid" not in second


async def test_a_late_joiner_gets_the_history_oldest_first(room_server, room, join):
    writer = await join(room_server, room)
    welcome, _ = await writer.joined()
    sent = []
    for n in range(3):
        await writer.send({"content": f"m{n}", "cid": f"c{n}"})
        sent.append(await writer.expect("message"))

    late = await join(room_server, room)
    late_welcome, history = await late.joined()

    assert late_welcome["epoch"] == welcome["epoch"]
    assert history["messages"] == sent
    assert [m["content"] for m in history["messages"]] == ["m0", "m1", "m2"]
    assert history["recovered"] is False


async def test_identity_comes_from_the_host_never_from_the_message(room_server, room, join):
    sock = await join(room_server, room)
    welcome, _ = await sock.joined()
    await sock.send({"content": "hi", "user": {"username": "mallory"}, "from": "someone-else",
                     "id": 999, "timestamp": 0})
    message = await sock.expect("message")

    assert message["user"] == welcome["user"]
    assert message["from"] == sock.id
    assert message["id"] == 1
    assert message["timestamp"] > 0


async def test_the_query_marks_kernels_but_never_changes_the_username(room_server, room, join):
    plain = await join(room_server, room)
    plain_user = (await plain.expect("welcome"))["user"]
    kernel = await join(room_server, room, query={"client": "kernel", "name": "\u202eA\u200bda",
                                                  "username": "mallory"})
    kernel_user = (await kernel.expect("welcome"))["user"]

    assert kernel_user["kernel"] is True and "kernel" not in plain_user
    assert kernel_user["username"] != "mallory"
    if room_server.kind == "jupyter":
        # The identity provider names the user; a query name is a label beside it.
        assert kernel_user["username"] == plain_user["username"]
        assert kernel_user["display_name"] == plain_user["display_name"]
        assert kernel_user["label"] == "Ada" and "label" not in plain_user
    else:
        # Dev-mode guests may choose a display name, marked unverified, cleaned as labels.
        assert kernel_user["display_name"] == "Ada" and kernel_user["verified"] is False


@pytest.mark.parametrize("asked, shown", [
    ("\u202egnp.exe\u202c calc-bot", "gnp.exe calc-bot"),  # no bidi override reorders it
    ("<img src=x onerror=alert(1)>", "<img src=x onerror=alert(1)>"),  # text, never markup
    ("a\nb\u200b\x00  c", "a b c"),  # one line: no control, zero-width or NUL characters
    ("x" * 500, "x" * 40),  # bounded
    ("\u200b \t", None),  # nothing left: no label
])
async def test_a_bot_label_is_cleaned_text_beside_the_verified_user(shared_jupyter, room, join,
                                                                   asked, shown):
    sock = await join(shared_jupyter, room, query={"client": "kernel", "name": asked})
    welcome, _ = await sock.joined()
    user = welcome["user"]
    await sock.send({"content": "hi"})
    message = await sock.expect("message")

    assert user.get("label") == shown
    assert user["username"] == user["display_name"] == getpass.getuser()
    assert message["user"] == user  # the label rides along in messages as in presence


async def test_a_retried_cid_is_stored_and_broadcast_once(room_server, room, join):
    sock = await join(room_server, room)
    await sock.joined()
    await sock.send({"content": "once", "cid": "retry-me"})
    first = await sock.expect("message")
    await sock.send({"content": "once", "cid": "retry-me"})
    repeat = await sock.expect("message")

    assert repeat == first
    stored = (await fetch("GET", room_server.room_url(room, ws=False),
                          headers=room_server.auth_headers())).json()
    assert [m["id"] for m in stored["messages"]] == [first["id"]]


@pytest.mark.parametrize("how", ["close handshake", "dropped TCP"])
async def test_leaving_is_announced_to_the_others(room_server, room, join, how):
    stays = await join(room_server, room)
    await stays.joined()
    leaves = await join(room_server, room)
    leaves_welcome, _ = await leaves.joined()
    await stays.expect("userJoined")

    if how == "close handshake":
        await leaves.close()
    else:
        leaves.ws.transport.abort()  # a laptop lid closing: no close frame, a reset

    assert await stays.expect("userLeft") == {"type": "userLeft", "id": leaves.id,
                                              "user": leaves_welcome["user"]}


BAD_FRAMES = {
    "not JSON": ("hello there", "bad_json"),
    "NaN": ('{"content": NaN}', "bad_json"),
    "Infinity": ('{"content": Infinity}', "bad_json"),
    "not an object": ("[1, 2, 3]", "bad_message"),
    "a string": ('"content"', "bad_message"),
    "too deep": ('{"content": ' + "[" * 200 + "]" * 200 + "}", "too_deep"),
    "no content": ('{"text": "hi"}', "bad_message"),
    "unknown type": ('{"type": "shout", "content": "hi"}', "bad_message"),
    "bad cid": ('{"content": "hi", "cid": 42}', "bad_message"),
}


@pytest.mark.parametrize("frame,code", BAD_FRAMES.values(), ids=BAD_FRAMES.keys())
async def test_a_bad_message_gets_an_error_and_stores_nothing(room_server, room, join, frame,
                                                              code):
    sock = await join(room_server, room)
    await sock.joined()
    await sock.send(frame)
    error = await sock.expect("error")

    assert error["code"] == code
    assert isinstance(error["message"], str) and error["message"]
    # The connection lives on, and the refused frame took no offset.
    await sock.send({"content": "after"})
    assert (await sock.expect("message"))["id"] == 1
    stored = (await fetch("GET", room_server.room_url(room, ws=False),
                          headers=room_server.auth_headers())).json()
    assert [m["content"] for m in stored["messages"]] == ["after"]


async def test_rooms_are_separate(room_server, room, join):
    here = await join(room_server, room)
    welcome, _ = await here.joined()
    elsewhere = await join(room_server, room + "-other")
    await elsewhere.joined()
    await elsewhere.send({"content": "not for you"})
    await elsewhere.expect("message")
    await here.send({"content": "mine"})

    # The first frame `here` sees after joining is its own message, id 1 of its room.
    assert (await here.expect("message")) | {"timestamp": 0} == {
        "type": "message", "id": 1, "from": here.id, "user": welcome["user"],
        "content": "mine", "timestamp": 0}


async def test_moderation_deletes_clears_and_locks_for_everyone(room_server, room, join):
    # Everyone a personal Jupyter server or dev-mode `serve` admits is a moderator.
    mod = await join(room_server, room)
    welcome, _ = await mod.joined()
    other = await join(room_server, room)
    await other.joined()
    for n in range(2):
        await mod.send({"content": f"m{n}"})
    ids = [(await mod.skip_to("message"))["id"] for _ in range(2)]

    await mod.send({"type": "delete", "id": ids[0]})
    assert await other.skip_to("deleted") == {"type": "deleted", "id": ids[0]}
    stored = (await fetch("GET", room_server.room_url(room, ws=False),
                          headers=room_server.auth_headers())).json()
    assert [m["id"] for m in stored["messages"]] == [ids[1]]

    await mod.send({"type": "lock", "locked": True})
    assert await other.skip_to("locked") == {"type": "locked", "locked": True}
    await mod.send({"type": "clear"})
    cleared = await other.skip_to("cleared")
    assert cleared["epoch"] != welcome["epoch"]
    await mod.send({"content": "after clear"})
    assert (await other.skip_to("message"))["id"] > ids[1]  # offsets never reused

    late = await join(room_server, room)
    late_welcome, history = await late.joined()
    assert late_welcome["locked"] is True
    assert [m["content"] for m in history["messages"]] == ["after clear"]


async def test_edits_and_reactions_reach_both_clients_and_a_late_joiner(room_server, room, join):
    """Two sockets (the server knows one user: authorship is in tests/unit)."""
    alice = await join(room_server, room)
    await alice.joined()
    bob = await join(room_server, room)
    await bob.joined()
    await alice.send({"content": "helo"})
    first = await alice.skip_to("message")

    await alice.send({"type": "edit", "id": first["id"], "content": "hello"})
    # Acknowledged before bob reacts: two senders' frames have no order of their own
    # (bob may be on another process, test_redis_three.py), only the offsets they get.
    edit = await alice.skip_to("edited")
    await bob.send({"type": "react", "id": first["id"], "emoji": "\U0001F44D"})
    await bob.send({"type": "react", "id": first["id"], "emoji": "<img src=x>"})
    assert (await bob.skip_to("error"))["code"] == "bad_message"
    reaction = await alice.skip_to("reacted")
    assert (edit["target"], edit["content"]) == (first["id"], "hello")
    assert (reaction["target"], reaction["emoji"], reaction["on"]) == (first["id"], "\U0001F44D",
                                                                       True)
    assert reaction["id"] > edit["id"] > first["id"]

    late = await join(room_server, room)
    _, history = await late.joined()
    assert [m["type"] for m in history["messages"]] == ["message", "edited", "reacted"]
