"""The ``hands`` party through a real RoomHost and MemoryStorage, fake sockets."""

from __future__ import annotations

import pytest

from partywidget.parties import HandsParty
from partywidget.protocol.hands import MAX_OPEN_PER_USER
from partywidget.rooms import Limits
from partywidget.storage import MemoryStorage

from .conftest import ALICE, BOB, TEACHER


@pytest.fixture
def storage():
    return MemoryStorage()


@pytest.fixture
async def room(make_host, storage):
    return (await make_host({"hands": HandsParty}, storage=storage)).room("hands", "r")


def last(client):
    return client.of_type("hands")[-1]["hands"]


def errors(client):
    return [f["code"] for f in client.of_type("error")]


async def test_hands_go_up_in_order_and_students_see_only_their_place(room, join):
    teacher = await join(room, "t1", TEACHER)
    alice = await join(room, "a1", ALICE)
    bob = await join(room, "b1", BOB)
    assert last(alice) == {"raised": 0, "position": None, "hands": None, "questions": []}
    await bob.send({"type": "raise"})
    await alice.send({"type": "raise"})
    await bob.send({"type": "raise"})  # already up: keeps its place
    assert (last(alice)["raised"], last(alice)["position"], last(bob)["position"]) == (2, 2, 1)
    assert last(alice)["hands"] is None and "Bob" not in str(alice.of_type("hands"))
    assert [h["name"] for h in last(teacher)["hands"]] == ["Bob", "Alice"]
    await bob.send({"type": "lower"})
    assert last(alice)["position"] == 1 and last(bob)["position"] is None


async def test_only_teachers_lower_someone_elses_hand(room, join):
    teacher = await join(room, "t1", TEACHER)
    alice = await join(room, "a1", ALICE)
    bob = await join(room, "b1", BOB)
    await alice.send({"type": "raise"})
    await bob.send({"type": "lower", "username": "alice"})
    assert errors(bob) == ["forbidden"] and last(alice)["position"] == 1
    await teacher.send({"type": "lower", "username": "alice"})
    assert last(alice)["raised"] == 0


async def test_questions_queue_with_one_upvote_per_user(room, join):
    teacher = await join(room, "t1", TEACHER)
    alice = await join(room, "a1", ALICE)
    alice_kernel = await join(room, "a2", {**ALICE, "kernel": True})
    bob = await join(room, "b1", BOB)
    await alice.send({"type": "ask", "text": "  Why <b>zero</b>-based?  "})
    await bob.send({"type": "ask", "text": "What is a tuple?"})
    first, second = last(bob)["questions"]
    assert (first["text"], first["mine"], second["mine"]) == ("Why <b>zero</b>-based?", False, True)
    assert "author" not in first and last(teacher)["questions"][0]["author"] == "Alice"
    for voter in (bob, alice, alice_kernel, alice):  # alice's tabs and kernel: one vote
        await voter.send({"type": "upvote", "id": second["id"]})
    assert last(bob)["questions"][1]["votes"] == 2 and last(alice)["questions"][1]["voted"]
    await alice_kernel.send({"type": "upvote", "id": second["id"], "up": False})
    assert last(bob)["questions"][1]["votes"] == 1


async def test_teachers_answer_and_dismiss_authors_withdraw_students_cannot(room, join):
    teacher = await join(room, "t1", TEACHER)
    alice = await join(room, "a1", ALICE)
    bob = await join(room, "b1", BOB)
    for text in ("one", "two", "three"):
        await alice.send({"type": "ask", "text": text})
    ids = [q["id"] for q in last(alice)["questions"]]
    await bob.send({"type": "answer", "id": ids[0]})
    await bob.send({"type": "dismiss", "id": ids[0]})
    await alice.send({"type": "answer", "id": ids[0]})  # even one's own: teachers answer
    assert errors(bob) == ["forbidden", "forbidden"] and errors(alice) == ["forbidden"]
    await alice.send({"type": "dismiss", "id": ids[1]})  # withdrawing one's own
    await teacher.send({"type": "answer", "id": ids[0]})
    assert [q["text"] for q in last(bob)["questions"]] == ["three"]
    await teacher.send({"type": "dismiss", "id": ids[0]})
    await bob.send({"type": "upvote", "id": 999})
    assert errors(teacher) == ["not_found"] and errors(bob)[-1] == "not_found"
    await alice.send({"type": "ask", "text": "four"})
    assert last(alice)["questions"][-1]["id"] == ids[-1] + 1  # ids are never reused


async def test_bad_frames_and_floods_are_refused(make_host, join):
    host = await make_host({"hands": HandsParty}, limits=Limits(max_value_bytes=3000))
    room = host.room("hands", "r")
    alice = await join(room, "a1", ALICE)
    for bad in ({"type": "ask", "text": " "}, {"type": "ask", "text": "x" * 501},
                {"type": "ask"}, {"type": "upvote", "id": "1"}, {"type": "lower", "username": 1},
                {"type": "shout"}):
        await alice.send(bad)
    assert errors(alice) == ["bad_question"] * 3 + ["bad_message"] * 3
    for n in range(MAX_OPEN_PER_USER + 1):
        await alice.send({"type": "ask", "text": f"q{n}"})
    assert errors(alice)[-1] == "too_many" and len(last(alice)["questions"]) == MAX_OPEN_PER_USER
    refused = []
    for n in range(80):  # a flood of identities raising hands fills the room, not the storage
        voter = await join(room, f"v{n}", {"username": f"guest-{n:04}"})
        await voter.send({"type": "raise"})
        refused += errors(voter)
        await voter.leave()
    assert refused and set(refused) == {"too_large"}
    assert last(alice)["raised"] == 80 - len(refused)


async def test_the_queue_survives_a_restart(make_host, storage, join):
    first = await make_host({"hands": HandsParty}, storage=storage)
    alice = await join(first.room("hands", "r"), "a1", ALICE)
    await alice.send({"type": "raise"})
    await alice.send({"type": "ask", "text": "still there?"})
    await first.close()
    second = await make_host({"hands": HandsParty}, storage=storage)
    again = await join(second.room("hands", "r"), "a9", ALICE)
    state = last(again)
    assert state["position"] == 1 and [q["text"] for q in state["questions"]] == ["still there?"]
    assert state["questions"][0]["mine"] is True
