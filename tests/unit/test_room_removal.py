"""A moderator's removal, kept by the room core for every party and every path in.

Issue 17, item 1: the check lives in :class:`Room` (joins, HTTP), not in each
party, and the removal is stored, so it outlives the room's unloading and the
host's restart.
"""

from __future__ import annotations

from partywidget.parties import ChatParty
from partywidget.rooms import CloseCode, Party, Request, Response
from partywidget.storage import SQLiteStorage

from .conftest import ALICE, TEACHER


class Open(Party):
    """A custom party that checks nothing itself."""

    async def on_request(self, request):
        return Response.json({"hello": request.user["username"]})


def get(user) -> Request:
    return Request("GET", "http://test/parties/p/r", user)


async def test_a_removed_user_is_refused_by_a_party_that_checks_nothing(make_host, join):
    room = (await make_host(Open)).room("p", "r")
    alice = await join(room, "a1", ALICE)
    other_tab = await join(room, "a2", ALICE)
    teacher = await join(room, "t", TEACHER)

    await room.remove_user("alice")

    assert (alice.close_code, other_tab.close_code, teacher.close_code) == (
        CloseCode.REMOVED, CloseCode.REMOVED, None)
    assert not (await join(room, "a3", ALICE)).joined
    assert (await room.request(get(ALICE))).status == 403
    assert (await room.request(get(TEACHER))).status == 200
    # A moderator who shares a removed name is never turned away.
    assert (await join(room, "t2", {**ALICE, "moderator": True})).joined


async def test_a_removal_survives_unloading_and_restarting_the_host(make_host, join, tmp_path):
    path = tmp_path / "rooms.db"
    host = await make_host({"main": ChatParty}, storage=SQLiteStorage(path))
    room = host.room("main", "r")
    await join(room, "a", ALICE)
    teacher = await join(room, "t", TEACHER)
    await teacher.send({"type": "remove", "id": "a"})
    await host.close()

    restarted = await make_host({"main": ChatParty}, storage=SQLiteStorage(path))
    room = restarted.room("main", "r")
    back = await join(room, "a", ALICE)
    assert (back.joined, back.close_code) == (False, CloseCode.REMOVED)
    refused = await room.request(Request("POST", "http://test/parties/main/r", ALICE,
                                         body=b"sneaking back"))
    assert refused.status == 403
    _, entries = await room.storage.log.read()
    assert entries == []
