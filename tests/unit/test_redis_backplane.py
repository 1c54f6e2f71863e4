"""The Redis backplane against a real redis-server: presence, expiry claims, pub/sub."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from partywidget.errors import StorageError
from partywidget.protocol.outgoing import Outgoing
from partywidget.rooms.backplane import Broadcast
from partywidget.storage.redis import RedisStorage
from partywidget.storage.redis_backplane import RedisBackplane
from tests.redis_server import redis_prefix

ROOM = "main/r"


@pytest.fixture
async def planes(redis_server) -> AsyncIterator[list[RedisBackplane]]:
    """Two processes' backplanes (each with its own storage client) on one prefix."""
    prefix = redis_prefix()
    made = []
    for _ in range(2):
        storage = RedisStorage(redis_server.url, prefix=prefix)
        await storage.start()
        plane = RedisBackplane(storage)
        await plane.start()
        made.append(plane)
    yield made
    for plane in made:
        await plane.close()
        await plane.storage.close()


async def test_members_of_every_process_are_listed_and_removed_only_by_their_own(planes):
    a, b = planes
    await a.add_member(ROOM, "c1", {"id": "c1", "user": {"username": "alice"}})
    await b.add_member(ROOM, "c2", {"id": "c2", "user": {"username": "bob"}})
    assert sorted(m["id"] for m in await a.members(ROOM)) == ["c1", "c2"]
    await a.remove_member(ROOM, "c2")  # not a's: a newer connection elsewhere keeps it
    await b.remove_member(ROOM, "c1")
    assert sorted(m["id"] for m in await b.members(ROOM)) == ["c1", "c2"]
    await a.remove_member(ROOM, "c1")
    assert [m["id"] for m in await b.members(ROOM)] == ["c2"]


async def test_members_of_a_process_whose_heartbeat_expired_are_claimed_once(planes):
    a, b = planes
    await a.add_member(ROOM, "c1", {"id": "c1", "user": {"username": "alice"}})
    await b.add_member(ROOM, "c2", {"id": "c2", "user": {"username": "bob"}})
    await a.storage.client.delete(a._key("proc", a.id))  # a's heartbeat key expired
    assert [m["id"] for m in await b.members(ROOM)] == ["c2"]
    claims = await asyncio.gather(a.claim_lost(ROOM), b.claim_lost(ROOM))
    assert sorted(m["id"] for claim in claims for m in claim) == ["c1"]
    assert await b.claim_lost(ROOM) == []


async def test_a_broadcast_reaches_every_subscribed_process_in_publish_order(planes):
    a, b = planes
    heard: dict[str, list[Broadcast | None]] = {"a": [], "b": []}
    await a.subscribe(ROOM, heard["a"].append)
    await b.subscribe(ROOM, heard["b"].append)
    for n in range(1, 21):
        a.publish(ROOM, Broadcast(Outgoing.of(f"m{n}"), ("x",), n))
    for _ in range(500):  # bounded: 20 messages over loopback
        if len(heard["a"]) == len(heard["b"]) == 20:
            break
        await asyncio.sleep(0.01)
    for got in heard.values():
        assert [item.offset for item in got] == list(range(1, 21))
        assert got[0].message.data == b"m1" and got[0].exclude == ("x",)
    await b.unsubscribe(ROOM, heard["b"].append)
    a.publish(ROOM, Broadcast(Outgoing.of("late"), (), 21))
    for _ in range(500):
        if len(heard["a"]) == 21:
            break
        await asyncio.sleep(0.01)
    assert len(heard["b"]) == 20


async def wait_for_count(got: list, n: int) -> None:
    for _ in range(500):  # bounded: a few messages over loopback
        if len(got) >= n:
            return
        await asyncio.sleep(0.01)


async def test_a_burst_crosses_as_few_batches_in_order_and_not_back_to_its_sender(planes):
    a, b = planes
    a.max_batch_bytes = 40  # the 10-byte bodies below: four per batch at most
    raw = a.storage.client.pubsub()  # what actually crosses Redis on the room's channel
    await raw.subscribe(a._key("room", ROOM))
    await raw.get_message(timeout=5)  # the subscribe confirmation
    heard: dict[str, list[Broadcast | None]] = {"a": [], "b": []}
    await a.subscribe(ROOM, heard["a"].append)
    await b.subscribe(ROOM, heard["b"].append)
    for n in range(1, 21):  # one burst: no await between the broadcasts
        a.publish(ROOM, Broadcast(Outgoing.of(f"m{n:09d}"), (f"c{n}",), n, origin=a.id))
    await wait_for_count(heard["b"], 20)
    assert [item.offset for item in heard["b"]] == list(range(1, 21))
    assert all(item.message.data == b"m%09d" % item.offset and item.exclude == (f"c{item.offset}",)
               for item in heard["b"])
    published = []
    while (message := await raw.get_message(timeout=0.2)) is not None:
        published.append(message)
    assert len(published) == 5  # one burst: batches of four, each under its byte bound
    await raw.aclose()
    b.publish(ROOM, Broadcast(Outgoing.of("back"), (), 21, origin=b.id))
    await wait_for_count(heard["a"], 1)
    assert [item.offset for item in heard["a"]] == [21]  # a never heard its own burst


async def test_a_broadcast_that_cannot_be_encoded_fails_alone_not_its_pipeline(planes):
    a, b = planes
    heard: list[Broadcast | None] = []
    await b.subscribe("main/other", heard.append)
    stored = asyncio.ensure_future(a.storage.append("main/other", "kept", keep=10))
    a.publish(ROOM, Broadcast(signal={"when": {1}}, origin=a.id))  # a set: not JSON
    a.publish("main/other", Broadcast(Outgoing.of("fine"), origin=a.id))
    assert await stored == 1  # written in the same pipeline as the bad batch
    await wait_for_count(heard, 1)
    assert heard[0].message.data == b"fine"


@pytest.mark.parametrize("garbage", [b'p9\n["x"]\n', b'p9\n[{"t":1,"n":-1}]\n', b"\xff\n[]\n"])
async def test_the_reader_survives_a_malformed_message_and_delivers_the_next(planes, garbage):
    a, b = planes
    heard: list[Broadcast | None] = []
    await b.subscribe(ROOM, heard.append)
    await a.storage.client.publish(a._key("room", ROOM), garbage)
    a.publish(ROOM, Broadcast(Outgoing.of("next"), origin=a.id))
    await wait_for_count(heard, 1)
    assert [item.message.data for item in heard] == [b"next"]
    assert b.unready() == ""


async def test_a_publish_refused_by_stopped_storage_leaves_no_batch_behind(planes):
    a, b = planes
    heard: list[Broadcast | None] = []
    await b.subscribe(ROOM, heard.append)
    await a.storage.close()
    with pytest.raises(StorageError):
        a.publish(ROOM, Broadcast(Outgoing.of("lost"), origin=a.id))
    await a.storage.start()
    a.publish(ROOM, Broadcast(Outgoing.of("sent"), origin=a.id))  # not queued behind "lost"
    await wait_for_count(heard, 1)
    assert [item.message.data for item in heard] == [b"sent"]
