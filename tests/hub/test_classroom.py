"""The classroom parties behind a real JupyterHub: teacher tess, students alice and bob.

Every frame a student receives is kept and inspected: the teacher's verbs are
refused for students whatever they send, hidden counts and others' names never
reach them, and each student has one ballot or vote however many sockets.
"""

from __future__ import annotations

import json
import secrets
from typing import Any

import pytest

from tests.integration.clients import fetch
from tests.integration.recorder import Recorder, member

pytestmark = pytest.mark.timeout(120)

ASK = {"type": "create", "question": "Best <b>editor</b>?",
       "options": ["vim", "<img src=x onerror=alert(1)>", "emacs"]}


@pytest.fixture
def room() -> str:
    return f"lobby-poll-{secrets.token_hex(4)}"


async def class_of(hub: Any, join: Any, room: str, party: str) -> list[Recorder]:
    """Teacher tess, student alice, alice's kernel and student bob in ``room``, in that order."""
    callers = [hub.caller(hub.user_token("tess")), hub.caller(hub.server_token("alice")),
               hub.caller(hub.server_token("alice")), hub.caller(hub.server_token("bob"))]
    return [await member(join, caller, room, party) for caller in callers]


async def test_students_vote_once_and_never_see_what_the_teacher_keeps(hub, join, room):
    tess, alice, alice_kernel, bob = await class_of(hub, join, room, "poll")

    await tess.sock.send({**ASK, "hidden": True})
    for who in (tess, alice, alice_kernel, bob):
        await who.poll(question=ASK["question"])

    # A student's forged teacher actions are refused by the server, whatever they claim.
    for forged in ({**ASK, "moderator": True}, {"type": "close", "user": {"moderator": True}},
                   {"type": "reveal"}, {"type": "reset"}):
        await bob.sock.send(forged)
        assert await bob.error() == "forbidden", forged

    # One ballot per user: alice's second socket (her kernel) replaces her first vote.
    # Frames of different sockets have no order between them, so each vote is seen
    # counted before the next is sent (else alice's first vote and bob's make a total of 2 too).
    await alice.sock.send({"type": "vote", "choices": [0]})
    await alice.poll(total=1, mine=[0])
    await alice_kernel.sock.send({"type": "vote", "choices": [2]})
    await alice_kernel.poll(total=1, mine=[2])
    await bob.sock.send({"type": "vote", "choices": [2]})
    assert (await tess.poll(total=2))["counts"] == [0, 0, 2]
    assert (await alice.poll(total=2, mine=[2]))["counts"] is None

    # Over HTTP too, a student gets the student's view.
    bob_caller = hub.caller(hub.server_token("bob"))
    answer = await fetch("GET", bob_caller.room_url(room, "poll", ws=False),
                         headers=bob_caller.auth_headers())
    assert answer.status == 200 and answer.json()["poll"]["counts"] is None
    assert "alice" not in answer.body.decode()

    await tess.sock.send({"type": "close"})
    await bob.poll(closed=True)
    await bob.sock.send({"type": "vote", "choices": [1]})
    assert await bob.error() == "closed"
    await tess.sock.send({"type": "reveal"})
    assert (await bob.poll(revealed=True))["counts"] == [0, 0, 2]

    # Names: only the teacher's frames carry them; none in any student frame, ever.
    teacher = await tess.poll(revealed=True)
    assert teacher["voters"] == [[], [], ["alice", "bob"]]
    for student in (alice, alice_kernel, bob):
        polls = [f["poll"] for f in student.seen if f.get("type") == "poll" and f["poll"]]
        assert polls and all(p["voters"] is None for p in polls)
        assert all("alice" not in json.dumps(p) for p in polls)


async def test_an_anonymous_poll_never_carries_names(hub, join, room):
    tess = await member(join, hub.caller(hub.user_token("tess")), room, "poll")
    await tess.sock.send({**ASK, "anonymous": True})
    await tess.poll(question=ASK["question"])
    alice = await member(join, hub.caller(hub.server_token("alice")), room, "poll")
    await alice.sock.send({"type": "vote", "choices": [1]})
    poll = await tess.poll(total=1)
    assert poll["voters"] is None and poll["counts"] == [0, 1, 0]
    assert all("alice" not in json.dumps(f.get("poll")) for f in tess.seen)


async def first_question(recorder: Recorder, holds: Any) -> dict[str, Any]:
    """The first queued question in ``recorder``'s next views once ``holds`` (bounded)."""
    for _ in range(20):
        questions = (await recorder.view("hands"))["questions"]
        if questions and holds(questions[0]):
            return questions[0]
    raise AssertionError(f"no question matched in 20 views; last: {questions}")


async def test_hands_and_questions_keep_names_for_the_teacher(hub, join, room):
    tess, alice, alice_kernel, bob = await class_of(hub, join, room, "hands")

    await bob.sock.send({"type": "raise"})
    await bob.view("hands", raised=1)  # queued first: two sockets' frames have no order
    await alice.sock.send({"type": "raise"})
    assert (await alice.view("hands", raised=2))["position"] == 2
    assert [h["username"] for h in (await tess.view("hands", raised=2))["hands"]] == [
        "bob", "alice"]
    await alice.sock.send({"type": "ask", "text": "<script>alert(1)</script> why?"})
    question = await first_question(bob, lambda q: True)
    assert question["text"] == "<script>alert(1)</script> why?" and "author" not in question

    # One upvote per user: alice's kernel and bob count once each.
    for voter in (bob, alice_kernel, alice):
        await voter.sock.send({"type": "upvote", "id": question["id"]})
    await first_question(tess, lambda q: q["votes"] == 2)
    # A student's forged teacher actions are refused, whatever they claim.
    for forged in ({"type": "answer", "id": question["id"], "moderator": True},
                   {"type": "dismiss", "id": question["id"]},
                   {"type": "lower", "username": "alice"}):
        await bob.sock.send(forged)
        assert await bob.error() == "forbidden", forged
    await tess.sock.send({"type": "answer", "id": question["id"]})
    await alice.view("hands", questions=[])
    await tess.sock.send({"type": "lower", "username": "bob"})
    assert (await alice.view("hands", raised=1))["position"] == 1

    # Names reach the teacher only: no student frame carries another's name.
    for student, other in ((alice, "bob"), (alice_kernel, "bob"), (bob, "alice")):
        views = [f["hands"] for f in student.seen if f.get("type") == "hands"]
        assert views and all(v["hands"] is None for v in views)
        assert all(other not in json.dumps(v) for v in views)
        assert all("author" not in q for v in views for q in v["questions"])


async def test_quiz_answers_never_reach_a_student_before_the_reveal(hub, join, room):
    questions = [{"question": "2+2?", "choices": ["3", "4"], "answer": "4"},
                 {"question": "Capital of France?", "answer": "Paris-on-Seine"}]

    tess, alice, _, bob = await class_of(hub, join, room, "quiz")
    await bob.sock.send({"type": "create", "questions": questions})
    assert await bob.error() == "forbidden"
    await tess.sock.send({"type": "create", "questions": questions})
    await alice.view("quiz", revealed=False)
    await alice.sock.send({"type": "submit", "question": 1, "value": "Lyon"})
    await bob.sock.send({"type": "submit", "question": 0, "value": "4"})
    await alice.sock.send({"type": "submit", "question": 0, "value": "3"})
    for forged in ({"type": "reveal", "moderator": True}, {"type": "close"}, {"type": "reset"}):
        await alice.sock.send(forged)
        assert await alice.error() == "forbidden", forged
    teacher = await tess.view("quiz", submitted=2)
    for _ in range(10):  # bounded: alice's second answer is at most a few frames behind
        if [s["score"] for s in teacher["scores"]] == [0, 1]:
            break
        teacher = await tess.view("quiz")
    assert [(s["username"], s["score"]) for s in teacher["scores"]] == [("alice", 0), ("bob", 1)]

    # Before the reveal: no answer, no mark, no one else's answer in any student frame.
    bob_caller = hub.caller(hub.server_token("bob"))
    answer = await fetch("GET", bob_caller.room_url(room, "quiz", ws=False),
                         headers=bob_caller.auth_headers())
    await bob.view("quiz", submitted=2)
    for text in [json.dumps(f) for f in alice.seen + bob.seen] + [answer.body.decode()]:
        assert "Paris-on-Seine" not in text and '"answer"' not in text and "scores" not in text
    assert "Lyon" not in "".join(json.dumps(f) for f in bob.seen) + answer.body.decode()

    await tess.sock.send({"type": "reveal"})
    revealed = await alice.view("quiz", revealed=True)
    assert [q["answer"] for q in revealed["questions"]] == ["4", "Paris-on-Seine"]
    assert revealed["mine"] == ["3", "Lyon"] and revealed["correct"] == [False, False]
    assert "scores" not in revealed and "bob" not in json.dumps(revealed)


async def test_only_teachers_push_snippets_and_students_get_them_as_sent(hub, join, room):
    tess = await member(join, hub.caller(hub.user_token("tess")), room, "snippets")
    alice = await member(join, hub.caller(hub.server_token("alice")), room, "snippets")
    await alice.sock.send({"type": "push", "code": "import os; os.system('rm -rf ~')",
                           "moderator": True})
    assert await alice.error() == "forbidden"
    await alice.sock.send({"type": "clear"})
    assert await alice.error() == "forbidden"
    await tess.sock.send({"type": "push", "code": "df = pd.read_csv('data.csv')"})
    (item,) = (await alice.view("snippets"))["items"]
    assert (item["code"], item["by"], item["language"]) == (
        "df = pd.read_csv('data.csv')", "tess", "python")
