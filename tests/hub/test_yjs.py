"""The ``yjs`` party on the hub service: stock providers as hub users, and a moderator's lock.

Students are not moderators here (unlike a personal server or ``serve``), so
this is where a lock bites: ``tests/node/yjs.mjs lock`` drives a teacher's
y-partyserver provider, a student's stock y-websocket provider and a third
user's provider, each with its own hub token in an ``Authorization`` header
(a ``ws`` subclass as ``WebSocketPolyfill``; the providers are unchanged).
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Callable

import pycrdt
import pytest

import partywidget
from tests.integration.clients import run_node

pytestmark = pytest.mark.timeout(120)


@pytest.fixture
def room() -> str:
    return f"class-101-notes-{secrets.token_hex(4)}"


def node_host(hub) -> str:
    return hub.rooms_url.split("://", 1)[1]


async def test_a_teacher_locks_a_document_students_edit_again_after_unlock(hub, room):
    run = await asyncio.to_thread(
        run_node, "yjs.mjs", "lock", node_host(hub), room, "hub:" + hub.user_token("tess"),
        "hub:" + hub.server_token("alice"), "hub:" + hub.server_token("bob"))
    locked = run["whileLocked"]
    # The student's two edits stayed in its own document only; the server's and
    # the watcher's did not change.
    assert locked["student"] == "before one two "
    assert locked["watcher"] == locked["server"] == "before "
    assert locked["denied"] == 1 and run["denied"] == 1  # told once, and only once
    # Awareness flowed, stamped with the hub user whatever the client set.
    assert locked["awareness"]["cursor"] == 42
    assert locked["awareness"]["user"]["username"] == "alice"
    assert run["access"] == [{"type": "access", "locked": False, "moderator": True},
                             {"type": "access", "locked": True, "moderator": True},
                             {"type": "access", "locked": False, "moderator": True}]
    assert run["studentText"] == 0  # no text frame ever reaches a y-websocket client
    # Unlocked: the student's edits (also those made while locked, which its CRDT
    # kept) reach everyone.
    after = run["afterUnlock"]
    assert after["watcher"] == after["student"] == "after before one two "


async def test_hub_users_kernels_and_a_stock_provider_converge_with_hub_names(hub, room):
    # A kernel of each student (partywidget.doc with its server's token) and the
    # teacher's stock y-partyserver provider (with a token of hers) edit one document.
    docs = [await asyncio.to_thread(partywidget.doc, room, url=hub.rooms_url,
                                    token=hub.server_token(name)) for name in ("alice", "bob")]
    try:
        for name, document in zip(("alice", "bob"), docs):
            document.get("m", type=pycrdt.Map)[name] = f"from {name}"
            document.set_awareness({"user": {"name": "Teacher"}, "cursor": name})
        written = await asyncio.to_thread(run_node, "yjs.mjs", "write", node_host(hub), room,
                                          "tess ", "hub:" + hub.user_token("tess"))
        assert written["map"] == {"alice": "from alice", "bob": "from bob"}
        assert written["text"] == "tess "
        for document in docs:
            await wait_for(lambda: str(document.get("t", type=pycrdt.Text)) == "tess ")
            assert document.get("m", type=pycrdt.Map).to_py() == written["map"]
        # Each kernel sees the other's awareness under its hub name, not the forged one.
        await wait_for(lambda: {s.get("cursor"): s["user"]["username"]
                                for s in docs[0].awareness.values()}.get("bob") == "bob")
        assert all(s["user"]["name"] != "Teacher" for s in docs[0].awareness.values())
    finally:
        for document in docs:
            document.close()


async def wait_for(check: Callable[[], bool], timeout: float = 10.0) -> None:
    """Poll ``check`` (the kernel client applies frames on its own thread) until true."""
    async with asyncio.timeout(timeout):
        while not check():
            await asyncio.sleep(0.02)
