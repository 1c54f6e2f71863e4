"""The ``yjs`` party through a real RoomHost and MemoryStorage, with pycrdt documents as clients."""

from __future__ import annotations

import json
from typing import Any

import pycrdt
import pytest

from partywidget.client.ysync import DocSync
from partywidget.parties import YjsParty
from partywidget.parties.yjs_store import DocumentStore
from partywidget.protocol import yjs
from partywidget.storage import MemoryStorage, RoomStorage

from .conftest import ALICE, BOB, TEACHER


class Peer:
    """A fake socket in a ``yjs`` room whose frames a pycrdt document follows."""

    def __init__(self, client) -> None:
        self.client = client
        self.doc = pycrdt.Doc()
        self.outbox: list[bytes] = []
        self.sync = DocSync(self.doc, self.outbox.append)
        self.seen = 0

    @property
    def text(self) -> str:
        return str(self.doc.get("t", type=pycrdt.Text))

    def edit(self, text: str) -> None:
        self.doc.get("t", type=pycrdt.Text).insert(0, text)

    def messages(self) -> list[yjs.YMessage]:
        return [m for f in self.client.frames if isinstance(f, bytes) for m in yjs.parse_frame(f)]

    async def pump(self) -> None:
        """Send what we queued, then apply what the room sent since last time."""
        while self.outbox:
            await self.client.send(self.outbox.pop(0))
        frames = self.client.transport.sent[self.seen:]
        self.seen += len(frames)
        for out in frames:
            if not out.is_text:
                self.sync.receive(out.data)


async def settle(*peers: Peer) -> None:
    for _ in range(4):
        for peer in peers:
            await peer.pump()


@pytest.fixture
async def host(make_host):
    return await make_host({"yjs": YjsParty})


async def connect(host, join, id, user, room="r"):
    peer = Peer(await join(host.room("yjs", room), id, user))
    peer.sync.hello()
    return peer


async def test_two_documents_converge_through_the_room(host, join):
    alice = await connect(host, join, "a", ALICE)
    bob = await connect(host, join, "b", BOB)
    alice.edit("hello ")
    bob.edit("world")
    await settle(alice, bob)
    assert alice.text == bob.text and sorted((alice.text, bob.text))[0] in ("hello world", "worldhello ")


async def test_a_late_joiner_gets_the_document(host, join):
    alice = await connect(host, join, "a", ALICE)
    alice.edit("first")
    await settle(alice)
    carol = await connect(host, join, "c", BOB)
    await settle(carol)
    assert carol.text == "first" and carol.sync.synced


async def test_joiners_share_one_encoding_of_the_document_until_it_changes(host, join):
    alice = await connect(host, join, "a", ALICE)
    alice.edit("v1")
    await settle(alice)
    first, second = [await connect(host, join, id, BOB) for id in ("b", "c")]
    await settle(first, second)

    def step2(peer):
        return next(out for out in peer.client.transport.sent
                    if out.data.startswith(bytes((0, yjs.SyncType.STEP2))))

    assert step2(first) is step2(second) and first.text == second.text == "v1"
    alice.edit("v2 ")
    await settle(alice)
    third = await connect(host, join, "d", BOB)
    await settle(third)
    assert third.text == "v2 v1" and step2(third) is not step2(first)


async def test_awareness_shows_the_real_user_and_leaves_with_the_connection(host, join):
    alice = await connect(host, join, "a", ALICE)
    bob = await connect(host, join, "b", BOB)
    alice.sync.set_awareness({"user": {"name": "Teacher"}, "cursor": 3})
    await settle(alice, bob)
    (state,) = bob.sync.states.values()
    assert state["user"]["username"] == "alice" and state["user"]["name"] == "Alice"
    assert state["cursor"] == 3
    await alice.client.leave()
    await settle(bob)
    assert bob.sync.states == {}


async def test_a_joiner_gets_the_awareness_states_already_there(host, join):
    alice = await connect(host, join, "a", ALICE)
    alice.sync.set_awareness({"cursor": 1})
    await settle(alice)
    bob = await connect(host, join, "b", BOB)
    await settle(bob)
    assert [s["user"]["username"] for s in bob.sync.states.values()] == ["alice"]


async def alice_pointing_with(host, join, other_id: str) -> tuple[Peer, Peer]:
    """Alice with an awareness state, and another peer that has seen it."""
    alice = await connect(host, join, "a", ALICE)
    other = await connect(host, join, other_id, BOB)
    alice.sync.set_awareness({"cursor": 1})
    await settle(alice, other)
    return alice, other


async def send_awareness(peer: Peer, client_id: int, clock: int, state: str) -> None:
    await peer.client.send(yjs.Awareness((yjs.AwarenessEntry(client_id, clock, state),))
                           .serialize())


async def test_nobody_can_change_or_remove_another_clients_awareness(host, join):
    alice, mallory = await alice_pointing_with(host, join, "m")
    cid = alice.doc.client_id
    for state in ('{"cursor":99}', "null"):
        await send_awareness(mallory, cid, 50, state)
    watcher = await connect(host, join, "w", BOB)
    await settle(watcher)
    assert watcher.sync.states[cid]["cursor"] == 1
    assert watcher.sync.states[cid]["user"]["username"] == "alice"


async def test_a_late_echo_of_a_removed_state_does_not_bring_it_back(host, join):
    alice, bob = await alice_pointing_with(host, join, "b")
    cid = alice.doc.client_id
    await alice.client.leave()
    # y-websocket re-sends every awareness change it applied: bob's echo of alice's
    # last state arrives after alice left.
    await send_awareness(bob, cid, 1, '{"cursor":1}')
    watcher = await connect(host, join, "w", BOB)
    await settle(watcher)
    assert watcher.sync.states == {}


async def test_the_document_survives_an_unload(make_host, join):
    storage = MemoryStorage()
    host = await make_host({"yjs": YjsParty}, storage=storage)
    alice = await connect(host, join, "a", ALICE)
    alice.edit("kept")
    await settle(alice)
    await host.close()
    host2 = await make_host({"yjs": YjsParty}, storage=storage)
    bob = await connect(host2, join, "b", BOB)
    await settle(bob)
    assert bob.text == "kept"


async def test_compaction_keeps_the_document_and_drops_the_updates(make_host, join):
    storage = MemoryStorage()
    host = await make_host({"yjs": YjsParty}, storage=storage)
    alice = await connect(host, join, "a", ALICE)
    for i in range(YjsParty.compact_updates + 3):
        alice.edit(str(i % 10))
        await settle(alice)
    room = host.room("yjs", "r")
    keys = await room.storage.list(prefix="yjs:u:")
    assert 0 < len(keys) < 10  # the first 500 were compacted
    expected = alice.text
    await alice.client.leave()  # the last one out compacts the rest
    assert await room.storage.list(prefix="yjs:u:") == {}
    await host.close()
    host2 = await make_host({"yjs": YjsParty}, storage=storage)
    bob = await connect(host2, join, "b", BOB)
    await settle(bob)
    assert bob.text == expected


async def test_a_large_update_is_stored_in_chunks_and_reloads(make_host, join):
    storage = MemoryStorage()
    host = await make_host({"yjs": YjsParty}, storage=storage)
    alice = await connect(host, join, "a", ALICE)
    alice.edit("x" * 600_000)
    await settle(alice)
    keys = await host.room("yjs", "r").storage.list(prefix="yjs:u:")
    assert len(keys) > 1
    await host.close()
    host2 = await make_host({"yjs": YjsParty}, storage=storage)
    bob = await connect(host2, join, "b", BOB)
    await settle(bob)
    assert len(bob.text) == 600_000


async def test_a_locked_document_drops_others_updates_and_says_so_once(host, join):
    teacher = await connect(host, join, "t", TEACHER)
    alice = await connect(host, join, "a", ALICE)
    await teacher.client.send(json.dumps({"type": "lock", "locked": True}))
    assert teacher.client.of_type("locked") == [{"type": "locked", "locked": True}]
    alice.edit("no")
    alice.edit("still no")
    await settle(alice, teacher)
    assert teacher.text == ""
    denied = [m for m in alice.messages() if isinstance(m, yjs.PermissionDenied)]
    assert len(denied) == 1 and denied[0].reason.startswith("locked")
    assert not any(isinstance(f, str) for f in alice.client.frames)
    teacher.edit("yes")
    await settle(teacher, alice)
    assert "yes" in alice.text


async def test_only_moderators_lock_and_they_are_answered_in_text(host, join):
    alice = await connect(host, join, "a", ALICE)
    await alice.client.send("__YPS:" + json.dumps({"type": "lock"}))
    assert alice.client.of_type("error")[0]["code"] == "forbidden"


async def test_a_malformed_binary_frame_is_refused_in_binary(host, join):
    alice = await connect(host, join, "a", ALICE)
    await alice.client.send(b"\x09\x09")
    assert not any(isinstance(f, str) for f in alice.client.frames)
    assert any(isinstance(m, yjs.PermissionDenied) and m.reason.startswith("bad_message")
               for m in alice.messages())
    assert alice.client.close_code is None


async def test_a_state_vector_pycrdt_cannot_read_is_refused_in_binary(host, join):
    alice = await connect(host, join, "a", ALICE)
    await alice.client.send(yjs.SyncStep1(b"\xff\xff\xff").serialize())
    assert any(isinstance(m, yjs.PermissionDenied) and m.reason.startswith("bad_message")
               for m in alice.messages())
    assert alice.client.close_code is None


async def test_a_rate_limited_client_is_asked_to_resync_not_sent_json(make_host, join):
    from partywidget.rooms import Limits

    class Slow(YjsParty):
        messages_per_second = 1.0
        message_burst = 1

    host = await make_host({"yjs": Slow}, limits=Limits())
    alice = await connect(host, join, "a", ALICE)
    bob = await connect(host, join, "b", BOB)
    await settle(alice, bob)  # spends the burst
    alice.edit("dropped at first")
    await alice.pump()
    assert not any(isinstance(f, str) for f in alice.client.frames)
    assert isinstance(alice.messages()[-1], yjs.SyncStep1)


async def test_clients_that_ask_are_told_who_may_edit_on_connect_and_on_every_lock(host, join):
    room = host.room("yjs", "r")
    teacher = Peer(await join(room, "t", TEACHER, query={yjs.CONTROLS_PARAM: "1"}))
    alice = Peer(await join(room, "a", ALICE, query={yjs.CONTROLS_PARAM: "1"}))
    stock = await connect(host, join, "b", BOB)  # no ?controls=1: binary frames only
    access = yjs.YPS_PREFIX + '{"type":"access","locked":%s,"moderator":%s}'
    assert alice.client.frames[-1] == access % ("false", "false")
    assert teacher.client.frames[-1] == access % ("false", "true")
    await teacher.client.send(yjs.YPS_PREFIX + json.dumps({"type": "lock", "locked": True}))
    assert alice.client.frames[-1] == access % ("true", "false")
    assert yjs.Access(True, False).read_only and not yjs.Access(True, True).read_only
    await teacher.client.send(json.dumps({"type": "lock", "locked": False}))
    assert alice.client.frames[-1] == access % ("false", "false")
    assert not any(isinstance(f, str) for f in stock.client.frames)


async def test_two_writers_sharing_storage_keep_each_others_updates_through_compaction():
    # As two `serve --redis` processes: each compacts what its own document holds,
    # never the other's newer keys.
    storage = MemoryStorage()
    await storage.start()
    docs, stores = [pycrdt.Doc(), pycrdt.Doc()], []
    for _ in docs:
        stores.append(DocumentStore(RoomStorage(storage, "yjs/r"), 64))
        assert await stores[-1].load() == []
    for n, (doc, store) in enumerate(zip(docs, stores)):
        text = doc.get("t", type=pycrdt.Text)
        with doc.new_transaction():
            text.insert(0, f"writer{n} " * 20)  # several chunks of 64 bytes
        await store.append(doc.get_update())
    await stores[0].compact(docs[0].get_update())  # writer 1's update is not in it
    loaded = pycrdt.Doc()
    for update in await DocumentStore(RoomStorage(storage, "yjs/r"), 64).load():
        loaded.apply_update(update)
    text = str(loaded.get("t", type=pycrdt.Text))
    assert "writer0" in text and "writer1" in text


async def test_on_unlock_a_client_whose_edits_were_dropped_is_asked_for_them(host, join):
    # Its later edits build on the dropped ones: without them they could not apply.
    teacher = await connect(host, join, "t", TEACHER)
    alice = await connect(host, join, "a", ALICE)
    await settle(alice, teacher)
    await teacher.client.send(json.dumps({"type": "lock", "locked": True}))
    alice.edit("during ")
    await settle(alice, teacher)
    assert teacher.text == ""
    await teacher.client.send(json.dumps({"type": "lock", "locked": False}))
    alice.edit("after ")
    await settle(alice, teacher)
    assert teacher.text == alice.text == "after during "


class FailingOnce(MemoryStorage):
    """MemoryStorage whose next ``put`` fails (a full disk, Redis gone for a moment)."""

    fail = False

    async def put(self, room: str, key: str, value: object) -> None:
        if self.fail:
            self.fail = False
            raise OSError("disk full")
        await super().put(room, key, value)


async def test_a_failed_compaction_leaves_what_it_would_replace_for_the_next_one():
    storage = FailingOnce()
    await storage.start()
    store, doc = DocumentStore(RoomStorage(storage, "yjs/r"), 64), pycrdt.Doc()
    await store.load()
    with doc.new_transaction():
        doc.get("t", type=pycrdt.Text).insert(0, "kept " * 30)
    await store.append(doc.get_update())
    updates = set(await RoomStorage(storage, "yjs/r").list(prefix="yjs:u:"))
    storage.fail = True
    with pytest.raises(OSError):
        await store.compact(doc.get_update())
    await store.compact(doc.get_update())
    left = await RoomStorage(storage, "yjs/r").list(prefix="yjs:")
    assert updates and not updates & set(left)  # the update's chunks went with the retry
    loaded = pycrdt.Doc()
    for update in await DocumentStore(RoomStorage(storage, "yjs/r"), 64).load():
        loaded.apply_update(update)
    assert str(loaded.get("t", type=pycrdt.Text)) == "kept " * 30


async def test_a_compaction_between_the_listings_of_a_load_hides_no_update():
    # Another process compacts (snapshot written, then its updates deleted)
    # exactly while this one loads: every update is in one of the two listings.
    storage = MemoryStorage()
    await storage.start()
    writer, doc = DocumentStore(RoomStorage(storage, "yjs/r"), 64), pycrdt.Doc()
    await writer.load()
    with doc.new_transaction():
        doc.get("t", type=pycrdt.Text).insert(0, "seen ")
    await writer.append(doc.get_update())
    compacted: list[bool] = []

    class CompactingMeanwhile(RoomStorage):
        async def list(self, *, prefix: str | None = None, **kwargs: Any) -> dict[str, Any]:
            found = await super().list(prefix=prefix, **kwargs)
            if not compacted:  # after the first listing: the other process compacts now
                compacted.append(True)
                await writer.compact(doc.get_update())
            return found

    reader_storage = CompactingMeanwhile(storage, "yjs/r")
    loaded = pycrdt.Doc()
    for update in await DocumentStore(reader_storage, 64).load():
        loaded.apply_update(update)
    assert str(loaded.get("t", type=pycrdt.Text)) == "seen "
