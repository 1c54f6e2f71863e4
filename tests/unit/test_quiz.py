"""The ``quiz`` party through a real RoomHost and MemoryStorage, fake sockets."""

from __future__ import annotations

import pytest

from partywidget.parties import QuizParty
from partywidget.protocol.quiz import correct
from partywidget.storage import MemoryStorage

from .conftest import ALICE, BOB, TEACHER

QUESTIONS = [{"question": "2+2?", "choices": ["3", "4"], "answer": "4"},
             {"question": "Capital of France?", "answer": "Paris"},
             {"question": "pi to two places?", "answer": 3.14}]
SET = {"type": "create", "questions": QUESTIONS}


@pytest.fixture
def storage():
    return MemoryStorage()


@pytest.fixture
async def room(make_host, storage):
    return (await make_host({"quiz": QuizParty}, storage=storage)).room("quiz", "r")


def last(client):
    return client.of_type("quiz")[-1]["quiz"]


def wire(client) -> str:
    """Every text frame the client received, as sent."""
    return "\n".join(m.text for m in client.transport.sent if m.is_text)


async def answer(client, question, value):
    await client.send({"type": "submit", "question": question, "value": value})


async def test_answers_never_reach_students_before_the_reveal(room, join):
    teacher = await join(room, "t1", TEACHER)
    alice = await join(room, "a1", ALICE)
    await teacher.send(SET)
    await answer(alice, 1, "London")
    await answer(alice, 0, "4")
    bob = await join(room, "b1", BOB)
    for student in (alice, bob):
        assert "Paris" not in wire(student) and "3.14" not in wire(student)
        assert '"answer"' not in wire(student) and last(student)["correct"] is None
        assert "scores" not in last(student)
    assert [q["answer"] for q in last(teacher)["questions"]] == ["4", "Paris", "3.14"]
    await teacher.send({"type": "reveal"})
    view = last(alice)
    assert [q["answer"] for q in view["questions"]] == ["4", "Paris", "3.14"]
    assert view["mine"] == ["4", "London", None] and view["correct"] == [True, False, None]
    assert "London" not in wire(bob)  # nor another student's answers, ever


async def test_the_teacher_gets_every_students_score(room, join):
    teacher = await join(room, "t1", TEACHER)
    alice = await join(room, "a1", ALICE)
    alice_kernel = await join(room, "a2", {**ALICE, "kernel": True})
    bob = await join(room, "b1", BOB)
    await teacher.send(SET)
    await answer(alice, 0, "3")
    await answer(alice_kernel, 0, "4")  # the same user: replaces the answer
    await answer(alice, 2, "3.140")
    await answer(bob, 1, "  paris ")
    scores = last(teacher)["scores"]
    assert [(s["username"], s["score"]) for s in scores] == [("alice", 2), ("bob", 1)]
    assert scores[0]["answers"] == ["4", None, "3.140"]
    assert scores[1]["correct"] == [None, True, None]
    assert last(teacher)["submitted"] == 2


async def test_students_cannot_set_close_reveal_or_reset(room, join):
    teacher = await join(room, "t1", TEACHER)
    await teacher.send(SET)
    alice = await join(room, "a1", ALICE)
    for frame in (SET, {"type": "close"}, {"type": "reveal", "moderator": True},
                  {"type": "reset"}):
        alice.clear()
        await alice.send(frame)
        assert [f["code"] for f in alice.of_type("error")] == ["forbidden"]
        assert alice.of_type("quiz") == []


async def test_answers_follow_the_quizs_rules(room, join):
    teacher = await join(room, "t1", TEACHER)
    alice = await join(room, "a1", ALICE)
    await answer(alice, 0, "4")
    await teacher.send(SET)
    await answer(alice, 0, "5")  # not a choice
    await answer(alice, 7, "4")
    await answer(alice, 1, "")
    await teacher.send({"type": "close"})
    await answer(alice, 1, "Paris")
    codes = [f["code"] for f in alice.of_type("error")]
    assert codes == ["no_quiz", "bad_answer", "bad_answer", "bad_answer", "closed"]
    await teacher.send({"type": "reset"})
    await answer(alice, 1, "Paris")
    assert last(alice)["mine"] == [None, "Paris", None] and last(alice)["closed"] is False


async def test_bad_quizzes_are_refused(room, join):
    teacher = await join(room, "t1", TEACHER)
    for bad in ([], [{"question": "q"}], [{"question": "q", "choices": ["a", "b"], "answer": "c"}],
                [{"question": "q", "choices": ["a"], "answer": "a"}], ["q?"]):
        await teacher.send({"type": "create", "questions": bad})
    assert [f["code"] for f in teacher.of_type("error")] == ["bad_quiz"] * 5


async def test_the_quiz_and_answers_survive_a_restart(make_host, storage, join):
    first = await make_host({"quiz": QuizParty}, storage=storage)
    teacher = await join(first.room("quiz", "r"), "t1", TEACHER)
    await teacher.send(SET)
    alice = await join(first.room("quiz", "r"), "a1", ALICE)
    await answer(alice, 1, "Paris")
    await first.close()
    second = await make_host({"quiz": QuizParty}, storage=storage)
    again = await join(second.room("quiz", "r"), "t9", TEACHER)
    assert last(again)["scores"][0]["score"] == 1


def test_marking_compares_numbers_as_numbers_and_text_without_case():
    assert correct("4", "4.0") and correct("3.14", " 3.140 ") and not correct("4", "4.1")
    assert correct("Paris", "  PARIS") and not correct("Paris", "Pari")
    assert not correct("nan", "nan")
