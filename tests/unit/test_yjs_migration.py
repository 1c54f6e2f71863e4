"""Documents stored by the first ``yjs`` key layout load, whole and once, after the upgrade."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pycrdt
import pytest

from partywidget.parties.yjs_store import DocumentStore
from partywidget.storage import RoomStorage, SQLiteStorage, Storage
from partywidget.storage.redis import RedisStorage
from tests.redis_server import redis_prefix

ROOM = "yjs/r"
CHUNK = 64  # several chunks per entry, as large documents have


@pytest.fixture(params=["sqlite", "redis"])
async def backend(request, tmp_path) -> AsyncIterator[Storage]:
    storage: Storage
    if request.param == "redis":
        storage = RedisStorage(request.getfixturevalue("redis_server").url, prefix=redis_prefix())
    else:
        storage = SQLiteStorage(tmp_path / "rooms.db")
    await storage.start()
    yield storage
    await storage.close()


def chunks(data: bytes) -> list[bytes]:
    return [data[i:i + CHUNK] for i in range(0, len(data), CHUNK)]


async def store_old_layout(storage: RoomStorage) -> str:
    """Write a document exactly as partywidget's first layout did; return its text.

    Snapshot generation 2 holds updates 1-3 (``upto``), update 3 is still
    listed (a crash before its deletion), update 4 came after; a stale
    generation 1 chunk and half of update 5 (a crash while writing) remain.
    """
    doc = pycrdt.Doc()
    text = doc.get("t", type=pycrdt.Text)
    with doc.new_transaction():
        text.insert(0, "snapshot text " * 10)
    step3 = doc.get_update()
    await storage.put_many({f"yjs:u:{3:016d}:{len(chunks(step3))}:{i}": c
                            for i, c in enumerate(chunks(step3))})
    snapshot = doc.get_update()
    await storage.put_many({f"yjs:s:2:{i:06d}": c for i, c in enumerate(chunks(snapshot))})
    await storage.put("yjs:s:1:000000", b"stale")
    await storage.put("yjs:snapshot", {"gen": 2, "chunks": len(chunks(snapshot)), "upto": 3})
    before = doc.get_state()
    with doc.new_transaction():
        text.insert(len(text), " and update four")
    step4 = doc.get_update(before)
    await storage.put_many({f"yjs:u:{4:016d}:{len(chunks(step4))}:{i}": c
                            for i, c in enumerate(chunks(step4))})
    await storage.put(f"yjs:u:{5:016d}:2:0", b"\x00")
    return str(text)


async def loaded_text(storage: RoomStorage) -> str:
    doc = pycrdt.Doc()
    for update in await DocumentStore(storage, CHUNK).load():
        doc.apply_update(update)
    return str(doc.get("t", type=pycrdt.Text))


async def test_an_old_layout_document_loads_whole_and_moves_to_the_new_layout(backend):
    storage = RoomStorage(backend, ROOM)
    expected = await store_old_layout(storage)
    assert await loaded_text(storage) == expected
    keys = list(await storage.list(prefix="yjs:"))
    assert keys and all(key.count(":") == 5 for key in keys)  # yjs:<kind>:<seq>:<writer>:<n>:<i>
    assert await loaded_text(storage) == expected  # from the new layout alone, not doubled


async def test_two_processes_migrating_at_once_keep_one_copy_of_the_text(backend):
    storage = RoomStorage(backend, ROOM)
    expected = await store_old_layout(storage)
    assert await asyncio.gather(loaded_text(storage), loaded_text(storage)) == [expected] * 2
    assert await storage.get("yjs:snapshot") is None
    assert await loaded_text(storage) == expected


async def test_a_migrated_document_compacts_to_one_snapshot(backend):
    storage = RoomStorage(backend, ROOM)
    expected = await store_old_layout(storage)
    store, doc = DocumentStore(storage, CHUNK), pycrdt.Doc()
    for update in await store.load():
        doc.apply_update(update)
    await store.compact(doc.get_update())
    assert await storage.list(prefix="yjs:u:") == {}
    assert await loaded_text(storage) == expected
