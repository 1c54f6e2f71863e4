"""The ``poll`` party behind a real JupyterHub: teacher tess, students alice and bob.

Every frame a student receives is kept and inspected: the teacher's verbs are
refused for students whatever they send, hidden counts and voters' names
never reach them, and each student has one ballot however many sockets.
"""

from __future__ import annotations

import json
import secrets
from typing import Any

import pytest

from tests.integration.clients import RoomSocket, fetch

pytestmark = pytest.mark.timeout(120)

ASK = {"type": "create", "question": "Best <b>editor</b>?",
       "options": ["vim", "<img src=x onerror=alert(1)>", "emacs"]}


class Recorder:
    """A socket whose every frame is kept, to assert on all a client ever saw."""

    def __init__(self, sock: RoomSocket) -> None:
        self.sock = sock
        self.seen: list[dict[str, Any]] = []

    async def poll(self, **fields: Any) -> dict[str, Any]:
        """The next ``poll`` frame's poll whose fields match ``fields``."""
        while True:
            frame = await self.sock.recv()
            self.seen.append(frame)
            poll = frame.get("poll") if frame.get("type") == "poll" else None
            if frame.get("type") == "poll" and all(
                    (poll or {}).get(k) == v for k, v in fields.items()):
                return poll

    async def error(self) -> str:
        while True:
            frame = await self.sock.recv()
            self.seen.append(frame)
            if frame.get("type") == "error":
                return frame["code"]


@pytest.fixture
def room() -> str:
    return f"lobby-poll-{secrets.token_hex(4)}"


async def test_students_vote_once_and_never_see_what_the_teacher_keeps(hub, join, room):
    async def member(caller: Any) -> Recorder:
        recorder = Recorder(await join(caller, room, party="poll"))
        assert (await recorder.sock.expect("welcome"))["party"] == "poll"
        return recorder

    tess = await member(hub.caller(hub.user_token("tess")))
    alice = await member(hub.caller(hub.server_token("alice")))
    alice_kernel = await member(hub.caller(hub.server_token("alice")))
    bob = await member(hub.caller(hub.server_token("bob")))

    await tess.sock.send({**ASK, "hidden": True})
    for who in (tess, alice, alice_kernel, bob):
        await who.poll(question=ASK["question"])

    # A student's forged teacher actions are refused by the server, whatever they claim.
    for forged in ({**ASK, "moderator": True}, {"type": "close", "user": {"moderator": True}},
                   {"type": "reveal"}, {"type": "reset"}):
        await bob.sock.send(forged)
        assert await bob.error() == "forbidden", forged

    # One ballot per user: alice's second socket (her kernel) replaces her first vote.
    await alice.sock.send({"type": "vote", "choices": [0]})
    await alice_kernel.sock.send({"type": "vote", "choices": [2]})
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
    tess = Recorder(await join(hub.caller(hub.user_token("tess")), room, party="poll"))
    await tess.sock.expect("welcome")
    await tess.sock.send({**ASK, "anonymous": True})
    await tess.poll(question=ASK["question"])
    alice = Recorder(await join(hub.caller(hub.server_token("alice")), room, party="poll"))
    await alice.sock.expect("welcome")
    await alice.sock.send({"type": "vote", "choices": [1]})
    poll = await tess.poll(total=1)
    assert poll["voters"] is None and poll["counts"] == [0, 1, 0]
    assert all("alice" not in json.dumps(f.get("poll")) for f in tess.seen)
