"""Removal, ids and the lock behind a real JupyterHub, as students attack them (issue 17).

Item 1: a participant a teacher removed is refused on the socket, on HTTP GET
and POST alike (the room core checks, not each party). Item 2: a connection
id is the ``_pk`` namespaced by the hub user, so a student who presents
another's ``_pk`` (or the id the room announced) gets a connection of their
own, and the owner's reconnects are never refused. Item 11: a locked chat
refuses a student's deletion of their own message, as a locked board does.
"""

from __future__ import annotations

import secrets

import pytest

from partywidget.rooms import CloseCode
from tests.integration.clients import fetch

pytestmark = pytest.mark.timeout(120)


@pytest.fixture
def room() -> str:
    return f"class-101-{secrets.token_hex(4)}"


async def member(join, caller, room: str, **options):
    """A socket of ``caller`` in ``room`` that has joined (welcome and history read)."""
    sock = await join(caller, room, **options)
    await sock.joined()
    return sock


async def test_a_removed_student_can_neither_read_post_nor_rejoin(hub, join, room):
    tess = await member(join, hub.caller(hub.user_token("tess")), room)
    bob_caller = hub.caller(hub.server_token("bob"))
    bob = await member(join, bob_caller, room)
    await bob.send({"content": "before removal"})
    await tess.skip_to("message")

    await tess.send({"type": "remove", "id": bob.id})
    assert await bob.close_code() == CloseCode.REMOVED

    url = bob_caller.room_url(room, ws=False)
    read = await fetch("GET", url, headers=bob_caller.auth_headers())
    post = await fetch("POST", url, body="after removal",
                       headers={**bob_caller.auth_headers(), "Content-Type": "text/plain"})
    assert (read.status, post.status) == (403, 403)
    assert read.json()["code"] == "removed"
    again = await join(bob_caller, room, query={"client": "kernel"})
    assert await again.close_code() == CloseCode.REMOVED
    # Nothing bob tried after his removal reached the room.
    _, history = await (await join(hub.caller(hub.server_token("alice")), room)).joined()
    assert [m["content"] for m in history["messages"]] == ["before removal"]


async def test_a_students_pk_never_collides_with_anothers(hub, join, room):
    alice_caller = hub.caller(hub.server_token("alice"))
    bob_caller = hub.caller(hub.server_token("bob"))
    alice = await member(join, alice_caller, room, pk="tab-1")
    same_pk = await member(join, bob_caller, room, pk="tab-1")
    assert same_pk.id != alice.id
    # Once alice's socket is gone, bob presents her _pk and her announced id...
    await alice.close()
    taken = [await member(join, bob_caller, room, pk=pk) for pk in ("tab-1", alice.id)]
    assert alice.id not in {sock.id for sock in taken}
    # ...and alice's reconnect with her _pk gets her own id back, not a 409.
    back = await join(alice_caller, room, pk="tab-1")
    welcome, _ = await back.joined()
    assert welcome["id"] == alice.id and welcome["user"]["username"] == "alice"


async def test_a_locked_chat_refuses_a_students_deletion_of_their_own_message(hub, join, room):
    tess = await member(join, hub.caller(hub.user_token("tess")), room)
    alice_caller = hub.caller(hub.server_token("alice"))
    alice = await member(join, alice_caller, room)
    await alice.send({"content": "mine", "cid": "m1"})
    mine = await alice.skip_to("message", cid="m1")
    await tess.send({"type": "lock", "locked": True})
    await alice.skip_to("locked")

    await alice.send({"type": "delete", "id": mine["id"]})
    assert (await alice.skip_to("error"))["code"] == "locked"
    stored = await fetch("GET", alice_caller.room_url(room, ws=False),
                         headers=alice_caller.auth_headers())
    assert [m["content"] for m in stored.json()["messages"]] == ["mine"]
