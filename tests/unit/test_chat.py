"""The ``main`` party (chat) through a real RoomHost and MemoryStorage, fake sockets."""

from __future__ import annotations

import asyncio
import json
import time

import pytest

from partywidget.parties import ChatParty
from partywidget.rooms import Limits, Request
from partywidget.storage import MemoryStorage, SQLiteStorage

from .conftest import ALICE, BOB, TEACHER, stored

@pytest.fixture
async def room(make_host):
    return (await make_host({"main": ChatParty})).room("main", "r")


async def post(client, content, **fields) -> None:
    await client.send({"content": content, **fields})


# joining -------------------------------------------------------------------------


async def test_a_joiner_gets_welcome_then_history_then_live_messages(room, join):
    alice = await join(room, "a1", ALICE)
    await post(alice, "first")
    bob = await join(room, "b1", BOB)
    await post(alice, "second")
    welcome, history, live = bob.frames
    assert welcome == {"type": "welcome", "roomId": "r", "party": "main", "id": "b1",
                       "user": BOB, "epoch": history["epoch"], "locked": False,
                       "users": [{"id": "a1", "user": ALICE}, {"id": "b1", "user": BOB}],
                       "history": 1000}
    assert history["type"] == "history" and history["recovered"] is False
    assert [m["content"] for m in history["messages"]] == ["first"]
    assert live["type"] == "message" and live["content"] == "second"


async def test_others_see_joins_and_leaves(room, join):
    alice = await join(room, "a1", ALICE)
    bob = await join(room, "b1", BOB)
    await bob.leave()
    assert alice.frames[2:] == [{"type": "userJoined", "id": "b1", "user": BOB},
                                {"type": "userLeft", "id": "b1", "user": BOB}]
    assert bob.of_type("userJoined") == []


# the message contract ------------------------------------------------------------


async def test_a_message_carries_offset_sender_host_identity_time_and_cid(room, join):
    alice = await join(room, "a1", ALICE)
    bob = await join(room, "b1", BOB)
    before = int(time.time() * 1000)
    await alice.send({"content": {"text": "hi", "n": [1]}, "cid": "c-1",
                      "user": {"username": "mallory"}, "from": "zz", "id": 99, "timestamp": 0})
    after = int(time.time() * 1000)
    (message,) = alice.of_type("message")
    assert bob.of_type("message") == [message]  # the sender's copy is its acknowledgement
    assert set(message) == {"type", "id", "from", "user", "content", "timestamp", "cid"}
    assert message["id"] == 1 and message["from"] == "a1" and message["user"] == ALICE
    assert message["content"] == {"text": "hi", "n": [1]} and message["cid"] == "c-1"
    assert before <= message["timestamp"] <= after


async def test_offsets_grow_with_every_message(room, join):
    alice = await join(room, "a1", ALICE)
    for n in range(3):
        await post(alice, n)
    assert [m["id"] for m in alice.of_type("message")] == [1, 2, 3]


async def test_a_message_without_cid_has_no_cid_field(room, join):
    alice = await join(room, "a1", ALICE)
    await alice.send({"type": "message", "content": "x"})
    (message,) = alice.of_type("message")
    assert "cid" not in message


async def test_a_retried_cid_is_stored_once_and_repeated_to_the_sender_only(room, join):
    alice = await join(room, "a1", ALICE)
    bob = await join(room, "b1", BOB)
    await post(alice, "once", cid="c-1")
    await post(alice, "once", cid="c-1")
    first, again = alice.of_type("message")
    assert again == first and first["id"] == 1
    assert len(bob.of_type("message")) == 1
    assert len(await stored(room)) == 1


async def test_a_retry_racing_the_first_send_is_not_stored_twice(make_host, join, held_storage):
    room = (await make_host({"main": ChatParty}, storage=held_storage)).room("main", "r")
    alice = await join(room, "a1", ALICE)
    held_storage.hold = "after append"  # the first send is stored, its ack not yet sent
    first = asyncio.ensure_future(post(alice, "hi", cid="c-1"))
    await asyncio.wait_for(held_storage.held.wait(), 5)
    await post(alice, "hi", cid="c-1")  # the client retries meanwhile
    held_storage.release.set()
    await first
    assert len(await stored(room)) == 1
    assert [e["code"] for e in alice.of_type("error")] == ["duplicate"]
    assert [m["cid"] for m in alice.of_type("message")] == ["c-1"]


async def test_a_retry_from_a_new_connection_of_the_same_user_is_still_deduplicated(
        room, join):
    alice = await join(room, "a1", ALICE)
    await post(alice, "once", cid="c-1")
    await alice.leave()
    again = await join(room, "a2", ALICE)
    await post(again, "once", cid="c-1")
    assert [m["id"] for m in again.of_type("message")] == [1]
    assert len(await stored(room)) == 1


async def test_the_same_cid_from_another_user_is_another_message(room, join):
    alice = await join(room, "a1", ALICE)
    bob = await join(room, "b1", BOB)
    await post(alice, "a", cid="c-1")
    await post(bob, "b", cid="c-1")
    assert [m["content"] for m in await stored(room)] == ["a", "b"]


async def test_cids_survive_a_room_reload(make_host, join):
    storage = MemoryStorage()
    first = (await make_host({"main": ChatParty}, storage=storage)).room("main", "r")
    await post(await join(first, "a1", ALICE), "once", cid="c-1")
    second = (await make_host({"main": ChatParty}, storage=storage)).room("main", "r")
    alice = await join(second, "a1", ALICE)
    await post(alice, "once", cid="c-1")
    assert [m["id"] for m in alice.of_type("message")] == [1]
    assert len(await stored(second)) == 1


# resume --------------------------------------------------------------------------


async def three_messages(room, join) -> tuple[str, list[dict]]:
    alice = await join(room, "a1", ALICE)
    for text in ("one", "two", "three"):
        await post(alice, text)
    return alice.of_type("history")[0]["epoch"], alice.of_type("message")


async def test_resume_with_since_and_epoch_gets_exactly_the_missed_messages(room, join):
    epoch, messages = await three_messages(room, join)
    bob = await join(room, "b1", BOB, query={"since": "1", "epoch": epoch})
    (history,) = bob.of_type("history")
    assert history["recovered"] is True and history["messages"] == messages[1:]


async def test_resume_at_the_newest_message_replays_nothing(room, join):
    epoch, _ = await three_messages(room, join)
    bob = await join(room, "b1", BOB, query={"since": "3", "epoch": epoch})
    assert bob.of_type("history")[0] | {"epoch": None} == {
        "type": "history", "messages": [], "epoch": None, "recovered": True}


@pytest.mark.parametrize("query", [
    {"since": "1", "epoch": "another-epoch"},
    {"since": "1"},
    {"since": "9", "epoch": "EPOCH"},  # beyond the top: a stream this room never had
    {"since": "nope", "epoch": "EPOCH"},
    {"epoch": "EPOCH"},
])
async def test_a_resume_that_is_not_possible_gets_the_whole_history(room, join, query):
    epoch, messages = await three_messages(room, join)
    query = {k: epoch if v == "EPOCH" else v for k, v in query.items()}
    bob = await join(room, "b1", BOB, query=query)
    (history,) = bob.of_type("history")
    assert history["recovered"] is False and history["messages"] == messages


async def test_a_resume_across_a_deletion_it_did_not_see_gets_the_whole_history(room, join):
    epoch, messages = await three_messages(room, join)
    alice = room.get_connection("a1")
    await room.receive(alice, json.dumps({"type": "delete", "id": 2}))
    away = await join(room, "b1", BOB, query={"since": "3", "epoch": epoch})
    history = away.of_type("history")[0]
    assert history["recovered"] is False and [m["id"] for m in history["messages"]] == [1, 3]
    await room.receive(alice, json.dumps({"content": "four"}))
    back = await join(room, "b2", BOB, query={"since": "4", "epoch": epoch})
    assert back.of_type("history")[0] | {"epoch": None} == {
        "type": "history", "messages": [], "epoch": None, "recovered": True}


async def test_a_resume_from_a_trimmed_position_gets_the_retained_history(make_host, join):
    room = (await make_host({"main": ChatParty}, limits=Limits(history=2))).room("main", "r")
    epoch, messages = await three_messages(room, join)
    bob = await join(room, "b1", BOB, query={"since": "0", "epoch": epoch})
    (history,) = bob.of_type("history")
    assert history["recovered"] is False and history["messages"] == messages[1:]


async def test_a_mime_bundle_is_stored_and_delivered_live_and_in_history(room, join):
    alice = await join(room, "a1", ALICE)
    bundle = {"image/png": "iVBORw0KGgo=", "text/plain": "<Figure>"}
    await post(alice, "<Figure>", cid="fig-1", mime=bundle)
    (live,) = alice.of_type("message")
    assert live["mime"] == bundle and live["content"] == "<Figure>"
    bob = await join(room, "b1", BOB)
    (history,) = bob.of_type("history")
    assert history["messages"] == [live]


async def test_a_reply_stores_the_id_it_answers(room, join):
    alice = await join(room, "a1", ALICE)
    await post(alice, "question?")
    await post(alice, "answer", reply_to=1)
    assert [m.get("reply_to") for m in alice.of_type("message")] == [None, 1]
    assert (await stored(room))[1]["reply_to"] == 1


async def test_history_epoch_and_cids_survive_a_restart_on_sqlite(make_host, join, tmp_path):
    path = tmp_path / "rooms.db"
    before = await make_host({"main": ChatParty}, storage=SQLiteStorage(path))
    alice = await join(before.room("main", "r"), "a1", ALICE)
    await post(alice, "kept", cid="c-1")
    epoch = alice.of_type("history")[0]["epoch"]
    await before.close()

    after = (await make_host({"main": ChatParty}, storage=SQLiteStorage(path))).room("main", "r")
    bob = await join(after, "b1", BOB, query={"since": "0", "epoch": epoch})
    history = bob.of_type("history")[0]
    assert history["recovered"] is True and history["epoch"] == epoch
    assert [(m["id"], m["content"]) for m in history["messages"]] == [(1, "kept")]
    again = await join(after, "a2", ALICE)
    await post(again, "kept", cid="c-1")  # the retry of a send acknowledged before the restart
    await post(again, "new")
    assert [m["id"] for m in again.of_type("message")] == [1, 2]


async def test_a_history_larger_than_the_queue_bound_still_reaches_a_joiner(make_host, join):
    limits = Limits(max_buffered_bytes=10_000)
    room = (await make_host({"main": ChatParty}, limits=limits)).room("main", "r")
    alice = await join(room, "a1", ALICE)
    for n in range(20):
        await post(alice, f"{n:02d}" + "x" * 1000)
    bob = await join(room, "b1", BOB)
    assert bob.close_code is None
    assert len(bob.of_type("history")[0]["messages"]) == 20


# joiner backlog ------------------------------------------------------------------


@pytest.mark.parametrize("point", ["before read", "after read"])
async def test_a_message_sent_while_a_joiner_reads_history_arrives_once_after_it(
        make_host, join, point, held_storage):
    storage = held_storage
    room = (await make_host({"main": ChatParty}, storage=storage)).room("main", "r")
    alice = await join(room, "a1", ALICE)
    await post(alice, "before")
    storage.hold = point
    joining = asyncio.ensure_future(join(room, "b1", BOB))
    await asyncio.wait_for(storage.held.wait(), 5)
    await post(alice, "during")
    storage.release.set()
    bob = await joining
    await post(alice, "after")
    kinds = [f["type"] for f in bob.frames]
    assert kinds[:2] == ["welcome", "history"] and set(kinds[2:]) == {"message"}
    seen = [m["content"] for m in bob.of_type("history")[0]["messages"]]
    seen += [m["content"] for m in bob.of_type("message")]
    assert seen == ["before", "during", "after"]


async def test_a_message_stored_before_the_joiner_read_but_announced_after_arrives_once(
        make_host, join, held_storage):
    storage = held_storage
    room = (await make_host({"main": ChatParty}, storage=storage)).room("main", "r")
    alice = await join(room, "a1", ALICE)
    storage.hold = "after append"  # stored, its broadcast not yet sent (a slow commit ack)
    sending = asyncio.ensure_future(post(alice, "racing"))
    await asyncio.wait_for(storage.held.wait(), 5)
    joining = asyncio.ensure_future(join(room, "b1", BOB))
    await asyncio.wait({joining}, timeout=0.05)  # the joiner reads "racing" from storage
    storage.release.set()
    await sending
    bob = await joining
    seen = [m["content"] for m in bob.of_type("history")[0]["messages"]]
    seen += [m["content"] for m in bob.of_type("message")]
    assert seen == ["racing"]


async def test_a_joiner_that_leaves_while_its_history_is_read_never_appears_to_others(
        make_host, join, held_storage):
    storage = held_storage
    room = (await make_host({"main": ChatParty}, storage=storage)).room("main", "r")
    alice = await join(room, "a1", ALICE)
    storage.hold = "before read"
    joining = asyncio.ensure_future(join(room, "b1", BOB))
    await asyncio.wait_for(storage.held.wait(), 5)
    await room.disconnect(room.get_connection("b1"))  # the socket dropped mid-join
    storage.release.set()
    await joining
    presence = [f["type"] for f in alice.frames if f["type"] in ("userJoined", "userLeft")]
    assert presence in ([], ["userLeft"])  # never a join after the leave: no ghost


# bad messages --------------------------------------------------------------------


@pytest.mark.parametrize(("frame", "code"), [
    pytest.param("[1, 2]", "bad_message", id="array"),
    pytest.param('"just a string"', "bad_message", id="string"),
    pytest.param("not json", "bad_json", id="not-json"),
    pytest.param('{"content": NaN}', "bad_json", id="nan"),
    pytest.param('{"content": 1e999}', "bad_json", id="overflows-to-infinity"),
    pytest.param('{"content": "\\ud800"}', "bad_json", id="lone-surrogate"),
    pytest.param("[" * 100 + "]" * 100, "too_deep", id="too-deep"),
    pytest.param('{"text": "no content field"}', "bad_message", id="no-content"),
    pytest.param('{"content": "x", "cid": 5}', "bad_message", id="cid-not-a-string"),
    pytest.param('{"content": "x", "cid": ""}', "bad_message", id="cid-empty"),
    pytest.param('{"content": "x", "cid": "%s"}' % ("c" * 129), "bad_message", id="cid-too-long"),
    pytest.param('{"type": "dance", "content": "x"}', "bad_message", id="unknown-type"),
    pytest.param('{"type": "delete", "id": "1"}', "bad_message", id="delete-id-not-int"),
    pytest.param('{"type": "delete", "id": true}', "bad_message", id="delete-id-boolean"),
    pytest.param('{"content": "x", "mime": "png"}', "bad_message", id="mime-not-an-object"),
    pytest.param('{"content": "x", "mime": {}}', "bad_message", id="mime-empty"),
    pytest.param('{"content": "x", "mime": {"application/javascript": "alert(1)"}}',
                 "bad_message", id="mime-script-type"),
    pytest.param('{"content": "x", "mime": {"text/html": {"a": 1}}}', "bad_message",
                 id="mime-value-not-a-string"),
    pytest.param('{"content": "x", "mime": {"image/png": "%s"}}' % ("A" * 140_000), "too_large",
                 id="mime-too-large"),
    pytest.param('{"content": "%s"}' % ("x" * 140_000), "too_large", id="too-large"),
    # 70 k characters but 140 kB of UTF-8: the limit is in bytes
    pytest.param('{"content": "%s"}' % ("é" * 70_000), "too_large", id="too-large-utf8"),
])
async def test_a_bad_message_gets_an_error_and_nothing_is_stored(room, join, frame, code):
    alice = await join(room, "a1", ALICE)
    bob = await join(room, "b1", BOB)
    alice.clear()
    bob.clear()
    await alice.send(frame)
    (error,) = alice.frames
    assert error["type"] == "error" and error["code"] == code and error["message"]
    assert bob.frames == [] and await stored(room) == [] and alice.close_code is None


# typing --------------------------------------------------------------------------


async def test_typing_reaches_the_others_once_per_interval_and_is_never_stored(room, join):
    alice = await join(room, "a1", ALICE)
    bob = await join(room, "b1", BOB)
    alice.clear()
    bob.clear()
    for _ in range(5):  # a flood within TYPING_INTERVAL: one frame relayed
        await alice.send('{"type": "typing"}')
    assert bob.frames == [{"type": "typing", "id": "a1", "user": ALICE}]
    assert alice.frames == [] and await stored(room) == []
    late = await join(room, "c1", BOB)
    assert late.of_type("typing") == []  # ephemeral: not in any join


async def test_typing_is_dropped_while_the_room_is_locked_to_the_typist(room, join):
    teacher = await join(room, "t1", TEACHER)
    alice = await join(room, "a1", ALICE)
    await teacher.send('{"type": "lock"}')
    teacher.clear()
    await alice.send('{"type": "typing"}')
    assert teacher.frames == [] and alice.of_type("error") == []


# moderation ----------------------------------------------------------------------


async def test_a_participant_can_delete_their_own_message_only(room, join):
    alice = await join(room, "a1", ALICE)
    bob = await join(room, "b1", BOB)
    await post(alice, "alice's")
    await post(bob, "bob's")
    alice.clear()
    await alice.send({"type": "delete", "id": 2})
    assert alice.frames[0]["code"] == "forbidden"
    await alice.send({"type": "delete", "id": 1})
    assert alice.frames[1:] == [{"type": "deleted", "id": 1}]
    assert bob.frames[-1] == {"type": "deleted", "id": 1}
    assert [m["content"] for m in await stored(room)] == ["bob's"]


async def test_a_moderator_can_delete_anyones_message(room, join):
    alice = await join(room, "a1", ALICE)
    teacher = await join(room, "t1", TEACHER)
    await post(alice, "oops")
    await teacher.send({"type": "delete", "id": 1})
    assert alice.frames[-1] == {"type": "deleted", "id": 1} and await stored(room) == []


@pytest.mark.parametrize("frame", [{"type": "clear"}, {"type": "lock", "locked": True}])
async def test_only_moderators_can_clear_or_lock(room, join, frame):
    alice = await join(room, "a1", ALICE)
    await post(alice, "keep me")
    alice.clear()
    await alice.send(frame)
    assert [f["code"] for f in alice.frames] == ["forbidden"]
    assert len(await stored(room)) == 1 and room.party.locked is False


async def test_a_moderator_clear_empties_history_under_a_new_epoch(room, join):
    alice = await join(room, "a1", ALICE)
    teacher = await join(room, "t1", TEACHER)
    old_epoch = alice.of_type("history")[0]["epoch"]
    await post(alice, "gone")
    await teacher.send({"type": "clear"})
    (cleared,) = alice.of_type("cleared")
    assert cleared["epoch"] != old_epoch and await stored(room) == []
    await post(alice, "after")
    assert alice.of_type("message")[-1]["id"] == 2  # offsets keep growing
    late = await join(room, "l1", BOB, query={"since": "1", "epoch": old_epoch})
    history = late.of_type("history")[0]
    assert history["recovered"] is False and history["epoch"] == cleared["epoch"]
    assert [m["content"] for m in history["messages"]] == ["after"]


@pytest.mark.parametrize("removal", [{"type": "clear"}, {"type": "delete", "id": 1}])
async def test_a_late_retry_of_a_removed_message_is_not_stored_again(room, join, removal):
    alice = await join(room, "a1", ALICE)
    teacher = await join(room, "t1", TEACHER)
    await post(alice, "sent once", cid="c-1")
    await teacher.send(removal)
    alice.clear()
    await post(alice, "sent once", cid="c-1")  # its acknowledgement was lost: a retry
    assert await stored(room) == []
    assert [e["code"] for e in alice.of_type("error")] == ["duplicate"]


async def test_a_lock_makes_the_room_read_only_except_for_moderators(room, join):
    alice = await join(room, "a1", ALICE)
    teacher = await join(room, "t1", TEACHER)
    await teacher.send({"type": "lock", "locked": True})
    assert alice.of_type("locked") == [{"type": "locked", "locked": True}]
    await post(alice, "blocked")
    assert alice.of_type("error")[-1]["code"] == "locked"
    await post(teacher, "announcement")
    assert [m["content"] for m in await stored(room)] == ["announcement"]
    latecomer = await join(room, "b1", BOB)
    assert latecomer.of_type("welcome")[0]["locked"] is True
    await teacher.send({"type": "lock", "locked": False})
    await post(alice, "free again")
    assert [m["content"] for m in await stored(room)] == ["announcement", "free again"]


# HTTP ----------------------------------------------------------------------------


def http(method: str, *, path: str = "", body: bytes = b"", content_type: str = "",
         query: dict[str, str] | None = None) -> Request:
    headers = {"Content-Type": content_type} if content_type else {}
    return Request(method, "http://test/parties/main/r", ALICE, path=path, query=query or {},
                   headers=headers, body=body)


async def test_http_get_returns_the_history(room, join):
    epoch, messages = await three_messages(room, join)
    response = await room.request(http("GET"))
    assert response.status == 200
    assert response.headers["Content-Type"].startswith("application/json")
    assert json.loads(response.body) == {"type": "history", "messages": messages,
                                         "epoch": epoch, "recovered": False}
    resumed = await room.request(http("GET", query={"since": "2", "epoch": epoch}))
    assert json.loads(resumed.body)["messages"] == messages[2:]


async def test_http_post_of_json_adds_a_message_everyone_sees(room, join):
    bob = await join(room, "b1", BOB)
    response = await room.request(http("POST", body=b'{"content": {"x": 1}, "cid": "h1"}',
                                       content_type="application/json; charset=utf-8"))
    assert response.status == 201
    message = json.loads(response.body)
    assert message["user"] == ALICE and message["content"] == {"x": 1} and message["from"] is None
    assert bob.of_type("message") == [message]


@pytest.mark.parametrize("content_type", ["Application/JSON", "application/json ;charset=UTF-8"])
async def test_http_post_reads_the_media_type_case_insensitively(room, content_type):
    response = await room.request(http("POST", body=b'{"content": [1]}',
                                       content_type=content_type))
    assert response.status == 201 and json.loads(response.body)["content"] == [1]


@pytest.mark.parametrize("content_type", ["", "text/plain", "application/jsonl"])
async def test_http_post_of_anything_but_json_takes_the_body_as_text(room, content_type):
    response = await room.request(http("POST", body=b'{"content": [1]}',
                                       content_type=content_type))
    assert response.status == 201 and json.loads(response.body)["content"] == '{"content": [1]}'


async def test_http_post_of_text_adds_the_text_as_content(room):
    response = await room.request(http("POST", body="héllo".encode(), content_type="text/plain"))
    assert response.status == 201 and json.loads(response.body)["content"] == "héllo"
    assert [m["content"] for m in await stored(room)] == ["héllo"]


@pytest.mark.parametrize(("body", "code"), [(b"[1]", "bad_message"), (b"{", "bad_json"),
                                            (b'{"nope": 1}', "bad_message")])
async def test_http_post_of_bad_json_is_a_400(room, body, code):
    response = await room.request(http("POST", body=body, content_type="application/json"))
    assert response.status == 400 and json.loads(response.body)["code"] == code
    assert await stored(room) == []


async def test_http_methods_other_than_get_and_post_are_405(room):
    response = await room.request(http("DELETE"))
    assert response.status == 405 and json.loads(response.body)["code"] == "method_not_allowed"


async def test_http_sub_paths_are_404(room):
    response = await room.request(http("GET", path="export"))
    assert response.status == 404 and json.loads(response.body)["code"] == "not_found"


# edits and reactions -------------------------------------------------------------


async def test_an_author_edits_their_message_live_and_in_history(room, join):
    alice = await join(room, "a1", ALICE)
    bob = await join(room, "b1", BOB)
    await post(alice, "helo")
    await alice.send({"type": "edit", "id": 1, "content": "hello"})
    edited = bob.frames[-1]
    assert edited["type"] == "edited" and edited["id"] == 2 and edited["target"] == 1
    assert edited["content"] == "hello" and edited["user"] == ALICE
    late = await join(room, "c1", TEACHER)
    assert [m["type"] for m in late.frames[1]["messages"]] == ["message", "edited"]


async def test_nobody_edits_another_users_message_not_even_a_moderator(room, join):
    alice = await join(room, "a1", ALICE)
    teacher = await join(room, "t1", TEACHER)
    await post(alice, "mine")
    alice.clear()
    await teacher.send({"type": "edit", "id": 1, "content": "yours now"})
    assert teacher.frames[-1]["code"] == "forbidden" and alice.frames == []


@pytest.mark.parametrize("frame, code", [
    ({"type": "edit", "id": 99, "content": "x"}, "not_found"),
    ({"type": "edit", "id": 2, "content": "x"}, "bad_message"),
    ({"type": "react", "id": 2, "emoji": "👍"}, "bad_message"),
    ({"type": "delete", "id": 2}, "bad_message"),
    ({"type": "react", "id": 1, "emoji": "<b>"}, "bad_message"),
    ({"type": "react", "id": 1, "emoji": "👍", "on": 1}, "bad_message"),
    ({"type": "edit", "id": "1", "content": "x"}, "bad_message"),
])
async def test_edits_and_reactions_of_forged_ids_or_bad_emoji_are_refused(room, join, frame, code):
    alice = await join(room, "a1", ALICE)
    await post(alice, "hi")
    await alice.send({"type": "react", "id": 1, "emoji": "👍"})
    alice.clear()
    await alice.send(frame)
    assert [f.get("code") for f in alice.frames] == [code]
    assert len(await stored(room)) == 2


async def test_a_reaction_is_one_per_user_per_emoji_and_can_be_taken_back(room, join):
    alice = await join(room, "a1", ALICE)
    bob = await join(room, "b1", BOB)
    await post(alice, "hi")
    bob.clear()
    for _ in range(2):
        await bob.send({"type": "react", "id": 1, "emoji": "👍"})
    await bob.send({"type": "react", "id": 1, "emoji": "👍", "on": False})
    await bob.send({"type": "react", "id": 1, "emoji": "👍", "on": False})
    assert [(f["type"], f["emoji"], f["on"]) for f in bob.frames] == [
        ("reacted", "👍", True), ("reacted", "👍", False)]


async def test_a_message_holds_a_bounded_set_of_reactions(room, join):
    alice = await join(room, "a1", ALICE)
    await post(alice, "hi")
    emoji = [chr(0x1F600 + n) for n in range(21)]
    for e in emoji:
        await alice.send({"type": "react", "id": 1, "emoji": e})
    assert alice.frames[-1]["code"] == "too_many_reactions"
    await alice.send({"type": "react", "id": 1, "emoji": emoji[0], "on": False})
    await alice.send({"type": "react", "id": 1, "emoji": emoji[20]})
    assert alice.frames[-1]["type"] == "reacted"


async def test_edits_and_reactions_are_refused_while_locked(room, join):
    alice = await join(room, "a1", ALICE)
    teacher = await join(room, "t1", TEACHER)
    await post(alice, "hi")
    await teacher.send({"type": "lock", "locked": True})
    alice.clear()
    await alice.send({"type": "edit", "id": 1, "content": "x"})
    await alice.send({"type": "react", "id": 1, "emoji": "👍"})
    assert [f.get("code") for f in alice.frames] == ["locked", "locked"]


async def test_deleting_a_message_removes_its_edits_and_reactions(room, join):
    alice = await join(room, "a1", ALICE)
    await post(alice, "rude")
    await alice.send({"type": "edit", "id": 1, "content": "ruder"})
    await alice.send({"type": "react", "id": 1, "emoji": "👍"})
    await post(alice, "kept")
    await alice.send({"type": "delete", "id": 1})
    assert [m["content"] for m in await stored(room)] == ["kept"]


async def test_reaction_state_survives_a_room_reload(make_host, join):
    storage = MemoryStorage()
    first = (await make_host({"main": ChatParty}, storage=storage)).room("main", "r")
    alice = await join(first, "a1", ALICE)
    await post(alice, "hi")
    await alice.send({"type": "react", "id": 1, "emoji": "👍"})
    second = (await make_host({"main": ChatParty}, storage=storage)).room("main", "r")
    alice = await join(second, "a2", ALICE)
    alice.clear()
    await alice.send({"type": "react", "id": 1, "emoji": "👍"})
    assert alice.frames == []


async def test_what_is_tracked_for_trimmed_messages_is_forgotten(make_host, join):
    room = (await make_host({"main": ChatParty}, limits=Limits(history=3))).room("main", "r")
    alice = await join(room, "a1", ALICE)
    for n in range(6):
        await post(alice, f"m{n}")
        await alice.send({"type": "react", "id": 2 * n + 1, "emoji": "\U0001F44D"})
    party = room.party
    assert len(party.changes) <= 4 and set(party.reactions) <= set(party.changes)
    assert max(party.changes) == 11
