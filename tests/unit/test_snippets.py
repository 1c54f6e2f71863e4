"""The ``snippets`` party through a real RoomHost and MemoryStorage, fake sockets."""

from __future__ import annotations

import pytest

from partywidget.parties import SnippetsParty
from partywidget.rooms import Limits
from partywidget.storage import MemoryStorage

from .conftest import ALICE, TEACHER


@pytest.fixture
def storage():
    return MemoryStorage()


@pytest.fixture
async def room(make_host, storage):
    return (await make_host({"snippets": SnippetsParty}, storage=storage)).room("snippets", "r")


def items(client):
    return client.of_type("snippets")[-1]["snippets"]["items"]


async def test_a_teacher_pushes_and_everyone_gets_the_history(room, join):
    teacher = await join(room, "t1", TEACHER)
    alice = await join(room, "a1", ALICE)
    await teacher.send({"type": "push", "code": "print('<b>hi</b>')"})
    await teacher.send({"type": "push", "code": "# Title", "language": "markdown"})
    pushed = items(alice)
    assert [(s["id"], s["code"], s["language"]) for s in pushed] == [
        (1, "print('<b>hi</b>')", "python"), (2, "# Title", "markdown")]
    assert pushed[0]["by"] == "teacher" and items(teacher) == pushed
    late = await join(room, "a2", ALICE)
    assert items(late) == pushed


async def test_students_cannot_push_or_clear(room, join):
    teacher = await join(room, "t1", TEACHER)
    await teacher.send({"type": "push", "code": "x = 1"})
    alice = await join(room, "a1", ALICE)
    alice.clear()
    for frame in ({"type": "push", "code": "import os", "moderator": True}, {"type": "clear"}):
        await alice.send(frame)
    assert [f["code"] for f in alice.of_type("error")] == ["forbidden", "forbidden"]
    assert alice.of_type("snippets") == []
    await teacher.send({"type": "clear"})
    assert items(alice) == []


async def test_bad_snippets_are_refused(room, join):
    teacher = await join(room, "t1", TEACHER)
    for bad in ({"code": " "}, {"code": "x" * 20_001}, {"code": "x", "language": "<script>"},
                {"code": ["x"]}):
        await teacher.send({"type": "push", **bad})
    assert [f["code"] for f in teacher.of_type("error")] == ["bad_snippet"] * 4


async def test_the_history_keeps_the_newest_snippets_that_fit(make_host, join):
    host = await make_host({"snippets": SnippetsParty}, limits=Limits(max_value_bytes=2000))
    teacher = await join(host.room("snippets", "r"), "t1", TEACHER)
    for n in range(20):
        await teacher.send({"type": "push", "code": f"# snippet {n}\n" + "x" * 200})
    kept = items(teacher)
    assert teacher.of_type("error") == [] and 1 < len(kept) < 20
    assert kept[-1]["id"] == 20 and [s["id"] for s in kept] == list(range(21 - len(kept), 21))


async def test_the_history_survives_a_restart(make_host, storage, join):
    first = await make_host({"snippets": SnippetsParty}, storage=storage)
    teacher = await join(first.room("snippets", "r"), "t1", TEACHER)
    await teacher.send({"type": "push", "code": "x = 1"})
    await first.close()
    second = await make_host({"snippets": SnippetsParty}, storage=storage)
    again = await join(second.room("snippets", "r"), "a1", ALICE)
    assert [s["code"] for s in items(again)] == ["x = 1"]
    teacher = await join(second.room("snippets", "r"), "t2", TEACHER)
    await teacher.send({"type": "push", "code": "y = 2"})
    assert [s["id"] for s in items(again)] == [1, 2]  # ids go on growing
