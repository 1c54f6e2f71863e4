"""The ``poll`` party through a real RoomHost and MemoryStorage, fake sockets."""

from __future__ import annotations

import pytest

from partywidget.parties import PollParty
from partywidget.rooms import Request
from partywidget.storage import MemoryStorage

from .conftest import ALICE, BOB, TEACHER

ASK = {"type": "create", "question": "2+2?", "options": ["3", "4", "5"]}


@pytest.fixture
def storage():
    return MemoryStorage()


@pytest.fixture
async def host(make_host, storage):
    return await make_host({"poll": PollParty}, storage=storage)


@pytest.fixture
def room(host):
    return host.room("poll", "r")


def last_poll(client):
    return client.of_type("poll")[-1]["poll"]


async def test_a_joiner_gets_welcome_then_no_poll_until_a_teacher_asks(room, join):
    alice = await join(room, "a1", ALICE)
    welcome, frame = alice.frames
    assert welcome["type"] == "welcome" and welcome["user"] == ALICE
    assert frame == {"type": "poll", "poll": None}
    teacher = await join(room, "t1", TEACHER)
    await teacher.send({**ASK, "anonymous": False})
    poll = last_poll(alice)
    assert poll["question"] == "2+2?" and poll["options"] == ["3", "4", "5"]
    assert (poll["closed"], poll["revealed"], poll["total"], poll["mine"]) == (False, True, 0, [])


async def test_students_cannot_ask_close_reveal_or_reset(room, join):
    teacher = await join(room, "t1", TEACHER)
    await teacher.send(ASK)
    alice = await join(room, "a1", ALICE)
    for frame in (ASK, {"type": "close"}, {"type": "reveal"}, {"type": "reset"}):
        alice.clear()
        await alice.send(frame)
        assert [f["code"] for f in alice.of_type("error")] == ["forbidden"]
        assert alice.of_type("poll") == []  # nothing changed, nobody told
    assert last_poll(teacher)["closed"] is False


async def test_one_ballot_per_user_whatever_the_tabs_and_kernels(room, join):
    teacher = await join(room, "t1", TEACHER)
    await teacher.send(ASK)
    tab = await join(room, "a1", ALICE)
    kernel = await join(room, "a2", {**ALICE, "kernel": True})
    bob = await join(room, "b1", BOB)
    await tab.send({"type": "vote", "choices": [0]})
    await kernel.send({"type": "vote", "choices": [1]})  # replaces the tab's vote
    await bob.send({"type": "vote", "choices": [1]})
    poll = last_poll(teacher)
    assert (poll["counts"], poll["total"]) == ([0, 2, 0], 2)
    assert poll["voters"] == [[], ["Alice", "Bob"], []]
    assert last_poll(tab)["mine"] == [1] and last_poll(bob)["mine"] == [1]
    await tab.send({"type": "vote", "choices": []})  # withdrawn
    assert last_poll(teacher)["counts"] == [0, 1, 0] and last_poll(kernel)["mine"] == []


async def test_votes_follow_the_polls_rules(room, join):
    teacher = await join(room, "t1", TEACHER)
    alice = await join(room, "a1", ALICE)
    await alice.send({"type": "vote", "choices": [0]})
    await teacher.send(ASK)
    for choices in ([0, 1], [3], [-1], [True], [0, 0], "0"):
        await alice.send({"type": "vote", "choices": choices})
    await teacher.send({"type": "close"})
    await alice.send({"type": "vote", "choices": [1]})
    codes = [f["code"] for f in alice.of_type("error")]
    assert codes == ["no_poll"] + ["bad_vote"] * 6 + ["closed"]
    assert last_poll(teacher)["total"] == 0


async def test_multiple_choice_polls_take_several_options(room, join):
    teacher = await join(room, "t1", TEACHER)
    await teacher.send({**ASK, "multiple": True})
    alice = await join(room, "a1", ALICE)
    await alice.send({"type": "vote", "choices": [2, 0]})
    assert last_poll(teacher)["counts"] == [1, 0, 1] and last_poll(alice)["mine"] == [0, 2]


async def test_hidden_results_reach_students_only_once_revealed(room, join):
    teacher = await join(room, "t1", TEACHER)
    await teacher.send({**ASK, "hidden": True})
    alice = await join(room, "a1", ALICE)
    await alice.send({"type": "vote", "choices": [1]})
    assert last_poll(alice)["counts"] is None and last_poll(alice)["total"] == 1
    assert last_poll(teacher)["counts"] == [0, 1, 0]
    await teacher.send({"type": "reveal"})
    assert last_poll(alice)["counts"] == [0, 1, 0] and last_poll(alice)["revealed"] is True


async def test_students_never_see_names_and_nobody_does_in_anonymous_polls(room, join):
    teacher = await join(room, "t1", TEACHER)
    await teacher.send(ASK)
    alice = await join(room, "a1", ALICE)
    await alice.send({"type": "vote", "choices": [1]})
    assert last_poll(alice)["voters"] is None
    await teacher.send({**ASK, "anonymous": True})
    await alice.send({"type": "vote", "choices": [1]})
    assert last_poll(teacher)["voters"] is None
    assert all("Alice" not in str(f) for f in teacher.of_type("poll")[-2:])


async def test_close_then_reset_drops_ballots_and_reopens(room, join):
    teacher = await join(room, "t1", TEACHER)
    await teacher.send(ASK)
    alice = await join(room, "a1", ALICE)
    await alice.send({"type": "vote", "choices": [1]})
    await teacher.send({"type": "close"})
    assert last_poll(alice)["closed"] is True
    await teacher.send({"type": "reset"})
    poll = last_poll(alice)
    assert (poll["closed"], poll["total"], poll["mine"], poll["question"]) == (
        False, 0, [], "2+2?")


async def test_bad_polls_are_refused_with_bad_poll(room, join):
    teacher = await join(room, "t1", TEACHER)
    for bad in ({"options": ["only one"]}, {"options": ["a", "a"]}, {"question": " "},
                {"options": ["x" * 201, "y"]}, {"options": [1, 2]}):
        await teacher.send({**ASK, **bad})
    assert [f["code"] for f in teacher.of_type("error")] == ["bad_poll"] * 5


async def test_the_poll_and_its_ballots_survive_a_restart(make_host, storage, join):
    first = await make_host({"poll": PollParty}, storage=storage)
    teacher = await join(first.room("poll", "r"), "t1", TEACHER)
    await teacher.send(ASK)
    alice = await join(first.room("poll", "r"), "a1", ALICE)
    await alice.send({"type": "vote", "choices": [2]})
    await first.close()
    second = await make_host({"poll": PollParty}, storage=storage)
    again = await join(second.room("poll", "r"), "a9", ALICE)
    assert last_poll(again)["mine"] == [2] and last_poll(again)["counts"] == [0, 0, 1]


async def test_http_get_answers_with_the_requesters_view(room, join):
    teacher = await join(room, "t1", TEACHER)
    await teacher.send({**ASK, "hidden": True})
    alice = await join(room, "a1", ALICE)
    await alice.send({"type": "vote", "choices": [1]})
    url = "http://test/parties/poll/r"
    student = await room.request(Request("GET", url, BOB))
    assert student.status == 200 and b'"counts":null' in student.body and b"Alice" not in student.body
    moderator = await room.request(Request("GET", url, TEACHER))
    assert b"Alice" in moderator.body
    post = await room.request(Request("POST", url, TEACHER, body=b"{}"))
    assert post.status == 405


async def test_a_flood_of_identities_fills_the_poll_not_the_storage(make_host, join):
    from partywidget.rooms import Limits

    host = await make_host({"poll": PollParty}, limits=Limits(max_value_bytes=2000))
    room = host.room("poll", "r")
    teacher = await join(room, "t1", TEACHER)
    await teacher.send(ASK)
    refused = []
    for n in range(60):
        voter = await join(room, f"v{n}", {"username": f"guest-{n:04}"})
        await voter.send({"type": "vote", "choices": [0]})
        refused += [f["code"] for f in voter.of_type("error")]
        await voter.leave()
    assert refused and set(refused) == {"too_large"}
    assert last_poll(teacher)["total"] == 60 - len(refused)
