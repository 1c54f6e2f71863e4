"""The storage contract, once, for every backend; then what only SQLite promises."""

from __future__ import annotations

import asyncio
import math
import sqlite3
import threading
from collections.abc import AsyncIterator

import pytest

from partywidget.errors import ConfigurationError, LimitExceeded, StorageError
from partywidget.storage import (LogState, MemoryStorage, RoomStorage, SQLiteStorage, Storage,
                                 open_storage)
from partywidget.storage.redis import RedisStorage
from tests.conftest import free_port
from tests.redis_server import redis_prefix

ROOM = "main/r"


@pytest.fixture(params=["memory", "sqlite", "redis"])
async def storage(request, tmp_path) -> AsyncIterator[Storage]:
    backend: Storage
    if request.param == "redis":
        server = request.getfixturevalue("redis_server")
        backend = RedisStorage(server.url, prefix=redis_prefix())
    else:
        backend = MemoryStorage() if request.param == "memory" else SQLiteStorage(
            tmp_path / "rooms.db")
    await backend.start()
    yield backend
    await backend.close()


@pytest.fixture
def sqlite_path(tmp_path) -> str:
    return str(tmp_path / "rooms.db")


async def started_sqlite(path) -> SQLiteStorage:
    backend = SQLiteStorage(path)
    await backend.start()
    return backend


# key-value -----------------------------------------------------------------------


async def test_get_of_a_missing_key_is_none(storage):
    assert await storage.get(ROOM, "nope") is None


async def test_put_if_absent_keeps_the_first_value(storage):
    assert await storage.put_if_absent(ROOM, "secret", "first") == "first"
    assert await storage.put_if_absent(ROOM, "secret", "second") == "first"
    assert await storage.get(ROOM, "secret") == "first"
    assert await storage.list(ROOM) == {"secret": "first"}


async def test_put_then_get_round_trips_json_values(storage):
    value = {"text": "héllo ✓", "n": [1, 2.5, True, None], "nested": {"a": {}}}
    await storage.put(ROOM, "k", value)
    assert await storage.get(ROOM, "k") == value
    await storage.put(ROOM, "k", 7)
    assert await storage.get(ROOM, "k") == 7


async def test_stored_values_are_copies(storage):
    value = {"list": [1]}
    await storage.put(ROOM, "k", value)
    value["list"].append(2)
    got = await storage.get(ROOM, "k")
    got["list"].append(3)
    assert await storage.get(ROOM, "k") == {"list": [1]}


@pytest.mark.parametrize("value", [b"", b"\x00\xff binary", bytearray(b"\x01\x02")])
async def test_bytes_values_round_trip_as_bytes(storage, value):
    await storage.put(ROOM, "blob", value)
    got = await storage.get(ROOM, "blob")
    assert isinstance(got, bytes) and got == bytes(value)


async def test_delete_says_whether_the_key_existed(storage):
    await storage.put(ROOM, "k", 1)
    assert await storage.delete(ROOM, "k") is True
    assert await storage.delete(ROOM, "k") is False
    assert await storage.get(ROOM, "k") is None


async def put_keys(storage, *keys):
    for key in keys:
        await storage.put(ROOM, key, key.upper())


async def test_list_returns_every_key_in_order(storage):
    await put_keys(storage, "b", "a", "c")
    assert await storage.list(ROOM) == {"a": "A", "b": "B", "c": "C"}
    assert list(await storage.list(ROOM, reverse=True)) == ["c", "b", "a"]


async def test_list_by_prefix_treats_sql_wildcards_literally(storage):
    await put_keys(storage, "a%b", "a%c", "a_b", "axb", "ab", "b%")
    assert list(await storage.list(ROOM, prefix="a%")) == ["a%b", "a%c"]
    assert list(await storage.list(ROOM, prefix="a_")) == ["a_b"]
    assert list(await storage.list(ROOM, prefix="a")) == ["a%b", "a%c", "a_b", "ab", "axb"]
    assert await storage.list(ROOM, prefix="zz") == {}


async def test_list_between_start_inclusive_and_end_exclusive(storage):
    await put_keys(storage, "a", "b", "c", "d")
    assert list(await storage.list(ROOM, start="b", end="d")) == ["b", "c"]
    assert list(await storage.list(ROOM, start="b")) == ["b", "c", "d"]
    assert list(await storage.list(ROOM, end="b")) == ["a"]


async def test_list_limit_counts_from_the_chosen_end(storage):
    await put_keys(storage, "a", "b", "c", "d")
    assert list(await storage.list(ROOM, limit=2)) == ["a", "b"]
    assert list(await storage.list(ROOM, limit=2, reverse=True)) == ["d", "c"]
    assert list(await storage.list(ROOM, prefix="c", limit=5)) == ["c"]
    assert await storage.list(ROOM, limit=0) == {}


async def test_find_lists_the_rooms_under_a_prefix_that_hold_a_key(storage):
    await storage.put("meta:p/a", "alarm", 12.5)
    await storage.put("meta:p/b", "other", 1)
    await storage.put("p/c", "alarm", 99)

    assert await storage.find("alarm", room_prefix="meta:") == {"meta:p/a": 12.5}
    assert await storage.find("alarm") == {"meta:p/a": 12.5, "p/c": 99}
    assert await storage.find("missing") == {}


async def test_delete_all_empties_one_room_only(storage):
    await storage.put(ROOM, "k", 1)
    await storage.put("main/other", "k", 2)
    await storage.delete_all(ROOM)
    assert await storage.list(ROOM) == {}
    assert await storage.get("main/other", "k") == 2


async def test_rooms_do_not_see_each_others_keys(storage):
    await storage.put("main/a", "k", "a")
    await storage.put("main/b", "k", "b")
    await storage.put("main/ab", "x", 1)
    assert await storage.get("main/a", "k") == "a"
    assert await storage.list("main/a") == {"k": "a"}
    assert await storage.delete("main/a", "x") is False


# room storage limits -------------------------------------------------------------


def room_storage(storage: Storage) -> RoomStorage:
    return RoomStorage(storage, ROOM)  # PartyKit's defaults: 2 KiB keys, 128 KiB values


async def test_keys_up_to_2_kib_are_accepted_and_longer_ones_refused(storage):
    room = room_storage(storage)
    await room.put("k" * 2048, 1)
    assert await room.get("k" * 2048) == 1
    for call in (room.put("k" * 2049, 1), room.get("é" * 1025), room.delete("k" * 2049)):
        with pytest.raises(LimitExceeded, match="key of at most 2048 bytes"):
            await call


async def test_values_up_to_128_kib_are_accepted_and_larger_ones_refused(storage):
    room = room_storage(storage)
    await room.put("blob", b"x" * 128 * 1024)
    await room.put("text", "x" * (128 * 1024 - 2))  # the JSON quotes count
    with pytest.raises(LimitExceeded, match="value of at most 131072 bytes"):
        await room.put("blob", b"x" * (128 * 1024 + 1))
    with pytest.raises(LimitExceeded):
        await room.put("text", "é" * (64 * 1024))  # 128 KiB of UTF-8, plus quotes
    assert await room.get("blob") == b"x" * 128 * 1024


@pytest.mark.parametrize("value", [math.nan, {1, 2}, object()])
async def test_values_that_are_not_json_are_refused(storage, value):
    with pytest.raises(ValueError):
        await room_storage(storage).put("k", value)
    assert await storage.get(ROOM, "k") is None


async def test_room_storage_lists_and_clears_its_own_room(storage):
    room = room_storage(storage)
    await room.put_many({"a": 1, "b": 2})
    await storage.put("main/other", "c", 3)
    assert await room.list() == {"a": 1, "b": 2}
    await room.delete_all()
    assert await room.list() == {} and await storage.get("main/other", "c") == 3


# log -----------------------------------------------------------------------------


@pytest.mark.parametrize("offset", [0, -1, 2**63, 2**70, -(2**70)])
async def test_a_room_log_answers_offsets_out_of_range_as_missing(storage, offset):
    # Clients name offsets (`since`, the id to delete): no number may break a backend.
    log = room_storage(storage).log
    await log.append("e")
    assert await log.remove(offset) is False
    _, entries = await log.read(after=offset)
    assert entries == ([] if offset > 0 else [(1, "e")])


async def test_append_returns_growing_offsets_and_read_returns_entries_after(storage):
    offsets = [await storage.append(ROOM, f"e{n}", keep=100) for n in range(3)]
    assert offsets == [1, 2, 3]
    state, entries = await storage.read(ROOM)
    assert (state.top, state.floor) == (3, 0)
    assert entries == [(1, "e0"), (2, "e1"), (3, "e2")]
    assert (await storage.read(ROOM, after=2))[1] == [(3, "e2")]
    assert (await storage.read(ROOM, after=3))[1] == []


async def test_an_empty_log_has_a_stable_epoch(storage):
    first = await storage.state(ROOM)
    state, entries = await storage.read(ROOM)
    assert entries == [] and state == first == LogState(first.epoch, 0, 0)
    await storage.append(ROOM, "e", keep=10)
    assert (await storage.state(ROOM)).epoch == first.epoch


async def test_logs_of_different_rooms_are_independent(storage):
    await storage.append("main/a", "a1", keep=10)
    assert await storage.append("main/b", "b1", keep=10) == 1
    assert (await storage.read("main/a"))[1] == [(1, "a1")]
    assert (await storage.state("main/a")).epoch != (await storage.state("main/b")).epoch


async def test_trimming_to_keep_moves_the_floor(storage):
    for n in range(5):
        await storage.append(ROOM, f"e{n + 1}", keep=3)
    state, entries = await storage.read(ROOM)
    assert (state.top, state.floor) == (5, 2)
    assert entries == [(3, "e3"), (4, "e4"), (5, "e5")]


async def test_removing_the_newest_entry_never_makes_its_offset_reusable(storage):
    for n in range(3):
        await storage.append(ROOM, f"e{n + 1}", keep=10)
    assert await storage.remove(ROOM, 3) is True
    assert await storage.remove(ROOM, 3) is False
    assert await storage.append(ROOM, "e4", keep=10) == 4
    state, entries = await storage.read(ROOM)
    assert entries == [(1, "e1"), (2, "e2"), (4, "e4")] and state.top == 4


async def test_a_removal_marks_every_earlier_position_as_not_resumable(storage):
    for n in range(3):
        await storage.append(ROOM, f"e{n + 1}", keep=10)
    assert (await storage.state(ROOM)).removal_mark == 0
    assert await storage.remove(ROOM, 2) is True
    state = await storage.state(ROOM)
    assert state.removal_mark == 4  # a client must have seen offset 4 to have seen it
    assert not state.can_resume(3, state.epoch)
    await storage.remove(ROOM, 99)  # removing nothing changes nothing
    assert (await storage.state(ROOM)).removal_mark == 4
    await storage.append(ROOM, "e4", keep=10)
    state, _ = await storage.read(ROOM)
    assert state.can_resume(4, state.epoch) and not state.can_resume(3, state.epoch)
    after_reset = await storage.reset(ROOM)
    assert after_reset.removal_mark == 0  # the new epoch has had no removal


async def test_reset_starts_a_new_epoch_and_offsets_keep_growing(storage):
    await storage.append(ROOM, "old1", keep=10)
    await storage.append(ROOM, "old2", keep=10)
    before = await storage.state(ROOM)
    after = await storage.reset(ROOM)
    assert after.epoch != before.epoch and (after.top, after.floor) == (2, 2)
    assert (await storage.read(ROOM))[1] == []
    assert await storage.append(ROOM, "new", keep=10) == 3
    state, entries = await storage.read(ROOM)
    assert entries == [(3, "new")] and state.epoch == after.epoch


async def test_concurrent_appends_get_unique_offsets_in_submission_order(storage):
    offsets = await asyncio.gather(*(storage.append(ROOM, f"e{n}", keep=1000)
                                     for n in range(500)))
    assert offsets == list(range(1, 501))
    _, entries = await storage.read(ROOM)
    assert entries == [(n + 1, f"e{n}") for n in range(500)]


# recovery table (the delivery contract) ------------------------------------------

WINDOW = LogState("E", top=10, floor=4, removal_mark=6)


@pytest.mark.parametrize(("since", "epoch", "resumable"), [
    (7, "E", True),     # inside the retained window: replay 8..10
    (6, "E", True),     # the client saw offset 6, so it saw the removal made before it
    (5, "E", False),    # an entry was removed after 5 was current: a replay would miss it
    (10, "E", True),    # same position as the top: nothing to replay
    (3, "E", False),    # trimmed: 4 is gone, a replay would be partial
    (0, "E", False),
    (11, "E", False),   # beyond the top: the client saw a stream we never had
    (7, "F", False),    # another epoch: history was lost or reset
    (7, None, False),
])
def test_can_resume_follows_the_recovery_table(since, epoch, resumable):
    assert WINDOW.can_resume(since, epoch) is resumable


def test_a_log_without_removals_resumes_from_its_floor():
    assert LogState("E", top=10, floor=4).can_resume(4, "E")
    assert LogState("E", top=3).can_resume(0, "E")


# SQLite only ---------------------------------------------------------------------


async def test_sqlite_keeps_everything_across_close_and_reopen(sqlite_path):
    first = await started_sqlite(sqlite_path)
    await first.put(ROOM, "k", {"v": 1})
    for n in range(4):
        await first.append(ROOM, f"e{n + 1}", keep=3)
    await first.remove(ROOM, 4)
    before = await first.state(ROOM)
    await first.close()

    second = await started_sqlite(sqlite_path)
    try:
        state, entries = await second.read(ROOM)
        assert state == before == LogState(before.epoch, 4, 1, removal_mark=5)
        assert entries == [(2, "e2"), (3, "e3")]
        assert await second.get(ROOM, "k") == {"v": 1}
        assert await second.append(ROOM, "e5", keep=3) == 5
    finally:
        await second.close()


async def test_sqlite_epoch_of_a_reset_survives_reopen(sqlite_path):
    first = await started_sqlite(sqlite_path)
    await first.append(ROOM, "e", keep=3)
    reset = await first.reset(ROOM)
    await first.close()
    second = await started_sqlite(sqlite_path)
    try:
        assert await second.state(ROOM) == reset
    finally:
        await second.close()


class WriterGate:
    """Holds the SQLite writer thread inside one operation until released.

    Everything submitted meanwhile queues up, so the writer drains it as one
    batch: the group commit becomes observable without timing anything.
    """

    def __init__(self, storage: SQLiteStorage) -> None:
        self.storage = storage
        self.entered = threading.Event()
        self.release = threading.Event()
        self.statements: list[str] = []

    def _hold(self, db: sqlite3.Connection) -> None:
        db.set_trace_callback(self.statements.append)
        self.entered.set()
        self.release.wait(10)

    async def hold(self) -> asyncio.Future[None]:
        """Return once the writer is held; await the result after ``release``."""
        held = self.storage._write(self._hold)
        await asyncio.to_thread(self.entered.wait, 10)
        return held

    @staticmethod
    async def queued() -> None:
        """Let tasks submit, and submissions reach the writer's queue (two loop turns)."""
        for _ in range(2):
            await asyncio.sleep(0)

    @property
    def commits(self) -> int:
        """Transactions committed since the writer was held (its own included)."""
        return sum(1 for s in self.statements if s.strip().upper() == "COMMIT")


async def test_sqlite_group_commit_writes_a_burst_in_one_transaction(sqlite_path):
    storage = await started_sqlite(sqlite_path)
    gate = WriterGate(storage)
    try:
        held = await gate.hold()
        appends = [asyncio.ensure_future(storage.append(ROOM, f"e{n}", keep=2000))
                   for n in range(1000)]
        await gate.queued()  # every append is queued behind the held operation
        gate.release.set()
        await held
        assert await asyncio.gather(*appends) == list(range(1, 1001))
        assert gate.commits == 2  # the held operation's batch, then all 1000 appends
    finally:
        gate.release.set()
        await storage.close()


#: Appends a writer groups by room, with interleaved rooms, a reset and a remove
#: between them, a length bound passed mid-burst and a differing keep.
GROUPED_SCRIPT = [("append", room, n, keep) for n, (room, keep) in enumerate(
    [("a", 3), ("b", 100), ("a", 3), ("a", 3), ("b", 100), ("a", 1), ("a", 3)])]
GROUPED_SCRIPT += [("reset", "b"), ("remove", "a", 6)]
GROUPED_SCRIPT += [("append", room, n, keep) for n, (room, keep) in enumerate(
    [("a", 3), ("b", 3), ("a", 3), ("b", 3), ("a", 1), ("a", 3)], start=7)]


def submit_grouped(backend: Storage) -> list[asyncio.Future]:
    calls = {"append": lambda room, n, keep: backend.append(room, f"e{n}", keep=keep),
             "reset": backend.reset, "remove": backend.remove}
    return [asyncio.ensure_future(calls[op](*args)) for op, *args in GROUPED_SCRIPT]


async def grouped_outcome(backend: Storage, futures: list[asyncio.Future]) -> list:
    results = [(r.top, r.floor) if isinstance(r, LogState) else r
               for r in await asyncio.gather(*futures)]
    for room in "ab":
        state, entries = await backend.read(room)
        results.append((state.top, state.floor, state.removal_mark, entries))
    return results


async def grouped_one_by_one() -> list:
    """What :data:`GROUPED_SCRIPT` gives appended one by one (the memory backend)."""
    memory = MemoryStorage()
    await memory.start()
    try:
        return await grouped_outcome(memory, submit_grouped(memory))
    finally:
        await memory.close()


async def test_sqlite_appends_grouped_in_one_batch_match_one_by_one(sqlite_path):
    # The writer stores a room's queued appends with one offset UPDATE, one
    # INSERT and one trim: it must give exactly what appending one by one gives.
    expected = await grouped_one_by_one()
    storage = await started_sqlite(sqlite_path)
    gate = WriterGate(storage)
    try:
        held = await gate.hold()
        futures = submit_grouped(storage)
        await gate.queued()
        gate.release.set()
        await held
        assert await grouped_outcome(storage, futures) == expected
        assert gate.commits == 2  # the held operation's batch, then the whole script
    finally:
        gate.release.set()
        await storage.close()


async def test_sqlite_a_failing_operation_fails_alone_in_its_batch(sqlite_path):
    storage = await started_sqlite(sqlite_path)
    gate = WriterGate(storage)
    try:
        held = await gate.hold()
        before = asyncio.ensure_future(storage.append(ROOM, "before", keep=10))
        bad = asyncio.ensure_future(storage._write(
            lambda db: (db.execute("INSERT INTO log (room, seq, entry) VALUES ('x', 1, 'a')"),
                        db.execute("SELECT * FROM no_such_table"))))
        after = asyncio.ensure_future(storage.put(ROOM, "k", "after"))
        await gate.queued()
        gate.release.set()
        await held
        assert await before == 1
        with pytest.raises(sqlite3.OperationalError):
            await bad
        await after
        assert gate.commits == 2
        assert (await storage.read("x"))[1] == []  # the failed operation left nothing
        assert (await storage.read(ROOM))[1] == [(1, "before")]
        assert await storage.get(ROOM, "k") == "after"
    finally:
        gate.release.set()
        await storage.close()


async def test_sqlite_refuses_use_before_start_and_after_close(sqlite_path):
    storage = SQLiteStorage(sqlite_path)
    with pytest.raises(StorageError, match="not started"):
        await storage.get(ROOM, "k")
    await storage.start()
    await storage.close()
    with pytest.raises(StorageError, match="not started"):
        await storage.append(ROOM, "e", keep=1)


async def test_sqlite_opens_a_file_written_before_removal_marks_existed(sqlite_path):
    old = sqlite3.connect(sqlite_path)
    old.executescript("""
        CREATE TABLE streams (room TEXT PRIMARY KEY, epoch TEXT NOT NULL,
            top INTEGER NOT NULL DEFAULT 0, floor INTEGER NOT NULL DEFAULT 0) WITHOUT ROWID;
        CREATE TABLE log (room TEXT NOT NULL, seq INTEGER NOT NULL, entry TEXT NOT NULL,
            PRIMARY KEY (room, seq)) WITHOUT ROWID;
        INSERT INTO streams VALUES ('main/r', 'old-epoch', 2, 0);
        INSERT INTO log VALUES ('main/r', 1, 'e1'), ('main/r', 2, 'e2');
    """)
    old.close()
    storage = await started_sqlite(sqlite_path)
    try:
        state, entries = await storage.read(ROOM)
        assert state == LogState("old-epoch", 2, 0, 0) and entries == [(1, "e1"), (2, "e2")]
        await storage.remove(ROOM, 2)
        assert (await storage.state(ROOM)).removal_mark == 3
    finally:
        await storage.close()


def test_sqlite_refuses_an_unknown_durability(sqlite_path):
    with pytest.raises(ValueError, match="durability"):
        SQLiteStorage(sqlite_path, durability="sometimes")


# storage URLs --------------------------------------------------------------------


@pytest.mark.parametrize(("url", "kind", "path"), [
    ("memory:", MemoryStorage, None),
    ("memory", MemoryStorage, None),
    ("", SQLiteStorage, "/data/partywidget.db"),
    ("sqlite:///abs/rooms.db", SQLiteStorage, "/abs/rooms.db"),
    ("sqlite:rel.db", SQLiteStorage, "rel.db"),
    ("rooms.sqlite3", SQLiteStorage, "rooms.sqlite3"),
])
def test_open_storage_understands_storage_urls(url, kind, path):
    backend = open_storage(url, default_dir="/data")
    assert type(backend) is kind
    if path is not None:
        assert str(backend.path) == path


@pytest.mark.parametrize("url", ["redis-ish://x", "rooms.txt", "postgres://db"])
def test_open_storage_refuses_unknown_urls(url):
    with pytest.raises(ConfigurationError, match="expected a storage URL"):
        open_storage(url)


# what a room name costs (issue 17) -------------------------------------------------


def stored_rows(path: str) -> dict[str, int]:
    """Rows per table of a SQLite room database, read as another process would."""
    with sqlite3.connect(path) as db:
        return {table: db.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
                for table in ("streams", "log", "kv")}


async def test_reading_logs_never_written_stores_nothing(sqlite_path):
    backend = await started_sqlite(sqlite_path)
    try:
        for n in range(50):
            await backend.read(f"main/look-{n}")
            await backend.state(f"main/look-{n}")
            assert not await backend.remove(f"main/look-{n}", 1)
            await backend.get(f"main/look-{n}", "locked")
        assert stored_rows(sqlite_path) == {"streams": 0, "log": 0, "kv": 0}
    finally:
        await backend.close()


async def test_memory_keeps_nothing_for_names_only_looked_at():
    storage = MemoryStorage()
    for n in range(50):
        await storage.read(f"main/look-{n}")
        await storage.state(f"main/look-{n}")
        await storage.remove(f"main/look-{n}", 1)
        await storage.put(f"main/kv-{n}", "k", 1)
        await storage.delete(f"main/kv-{n}", "k")
    assert storage._logs == {} and storage._kv == {}


async def test_the_first_append_keeps_the_epoch_a_reader_saw(storage):
    seen, _ = await storage.read(ROOM)
    assert await storage.append(ROOM, "e1", keep=10) == 1
    state, entries = await storage.read(ROOM)
    assert state.epoch == seen.epoch and state.can_resume(0, seen.epoch)
    assert entries == [(1, "e1")]


async def test_empty_streams_left_by_older_versions_are_collected(sqlite_path):
    with sqlite3.connect(sqlite_path) as db:
        db.executescript("""
            CREATE TABLE streams (room TEXT PRIMARY KEY, epoch TEXT NOT NULL,
                top INTEGER NOT NULL DEFAULT 0, floor INTEGER NOT NULL DEFAULT 0,
                removal_mark INTEGER NOT NULL DEFAULT 0) WITHOUT ROWID;
            INSERT INTO streams VALUES ('main/looked-at', 'e0', 0, 0, 0);
            INSERT INTO streams VALUES ('main/emptied', 'e1', 3, 3, 0);
        """)
    backend = await started_sqlite(sqlite_path)
    try:
        assert stored_rows(sqlite_path)["streams"] == 1
        # A stream that had entries keeps its top: its offsets are never reused.
        assert await backend.state("main/emptied") == LogState("e1", 3, 3)
    finally:
        await backend.close()


# Redis only: several processes share one database ---------------------------------


@pytest.fixture
async def two_redis(redis_server) -> AsyncIterator[tuple[RedisStorage, RedisStorage]]:
    """Two backends on one database, as two room hosts would have (separate clients)."""
    prefix = redis_prefix()
    pair = (RedisStorage(redis_server.url, prefix=prefix),
            RedisStorage(redis_server.url, prefix=prefix))
    for backend in pair:
        await backend.start()
    yield pair
    for backend in pair:
        await backend.close()


async def test_redis_appends_from_two_hosts_never_share_an_offset(two_redis):
    a, b = two_redis
    results = await asyncio.gather(*(backend.append(ROOM, f"{name}{n}", keep=1000)
                                     for n in range(200) for name, backend in
                                     (("a", a), ("b", b))))
    assert sorted(results) == list(range(1, 401))
    state, entries = await b.read(ROOM)
    assert state.top == 400 and len(entries) == 400
    assert [e for _, e in entries if e.startswith("a")] == [f"a{n}" for n in range(200)]


async def test_redis_append_once_stores_a_key_once_whichever_host_gets_it(two_redis):
    a, b = two_redis
    assert await a.append_once(ROOM, "first", keep=10, key="alice\x00c1") == (1, True)
    assert await b.append_once(ROOM, "retry", keep=10, key="alice\x00c1") == (1, False)
    assert await b.append_once(ROOM, "other", keep=10, key="bob\x00c1") == (2, True)
    assert await a.append_once(ROOM, "plain", keep=10, key=None) == (3, True)
    assert (await a.read(ROOM))[1] == [(1, "first"), (2, "other"), (3, "plain")]


async def test_redis_appends_sent_together_run_as_one_script_call_per_room(two_redis):
    # The writer sends one room's queued appends as one call of the append
    # script (never moved past a reset or remove of the log): the outcome is
    # what appending one by one gives, and a key repeated in the call is stored once.
    a, _ = two_redis
    expected = await grouped_one_by_one()
    plans: list[list[list[int]]] = []
    plan = a._plan
    a._plan = lambda batch: plans.append(plan(batch)) or plans[-1]
    await a.append("warm", "x", keep=1)  # the writer is idle: the script queues at once
    futures = submit_grouped(a)
    assert await grouped_outcome(a, futures) == expected
    assert max(len(ops) for sent in plans for ops in sent) > 1
    assert await asyncio.gather(*(a.append_once("c", f"e{n}", keep=10, key=key) for n, key in
                                  enumerate(["k1", "k2", "k1", None, "k2"]))) == [
        (1, True), (2, True), (1, False), (3, True), (2, False)]
    assert (await a.read("c"))[1] == [(1, "e0"), (2, "e1"), (3, "e3")]


async def test_redis_remembers_a_bounded_number_of_keys(two_redis):
    a, _ = two_redis
    a.remember = 3
    for n in range(5):
        await a.append_once(ROOM, f"e{n}", keep=10, key=f"k{n}")
    assert await a.append_once(ROOM, "again", keep=10, key="k4") == (5, False)
    assert await a.append_once(ROOM, "again", keep=10, key="k0") == (6, True)  # forgotten
    assert await a.client.hlen(a.key("cid", ROOM)) == 3


async def test_redis_writes_survive_scripts_being_flushed(two_redis):
    # A restarted Redis (without its script cache) answers NOSCRIPT: the op
    # did not run, so it is sent again once the scripts are loaded.
    a, _ = two_redis
    await a.append(ROOM, "before", keep=10)
    await a.client.script_flush()
    assert await a.append(ROOM, "after", keep=10) == 2
    assert (await a.read(ROOM))[1] == [(1, "before"), (2, "after")]


async def test_redis_unreachable_at_start_names_the_url():
    backend = RedisStorage(f"redis://user:secret@127.0.0.1:{free_port()}/0")
    with pytest.raises(ConfigurationError, match=r"cannot reach Redis at "
                                                 r"redis://user:\*\*\*@127\.0\.0\.1") as info:
        await backend.start()
    assert "secret" not in str(info.value)


def test_open_storage_points_redis_urls_to_their_own_setting():
    with pytest.raises(ConfigurationError, match="redis_url"):
        open_storage("redis://127.0.0.1:6379/2")


async def test_two_redis_hosts_starting_at_once_agree_on_one_secret(two_redis):
    # Connection ids and guest names must match across processes (issue 17,
    # item 2 with issue 12): both hosts end with the first secret stored.
    from partywidget.rooms.identity import ConnectionIds

    first, second = await asyncio.gather(*(ConnectionIds.load(s) for s in two_redis))
    assert first.connection_id("ada", "pk") == second.connection_id("ada", "pk")
    assert first.guest_tag("pk") == second.guest_tag("pk")


async def test_a_redis_write_that_times_out_fails_and_the_next_gets_its_own_reply(redis_server):
    # The writer's own connection (docs/scaling.md, "Third round"): a round trip
    # cut off by its timeout leaves a reply unread; the next batch must not read
    # it as its own, so the connection is dropped and the next one starts afresh.
    backend = RedisStorage(redis_server.url, prefix=redis_prefix())
    await backend.start()
    try:
        assert await backend.append(ROOM, "a", keep=10) == 1
        backend.timeout = 0.2
        await backend.client.execute_command("CLIENT", "PAUSE", 10_000, "WRITE")
        try:
            with pytest.raises(StorageError):
                await backend.append(ROOM, "b", keep=10)
        finally:
            await backend.client.execute_command("CLIENT", "UNPAUSE")
        backend.timeout = 30.0
        offset = await backend.append(ROOM, "c", keep=10)
        _, entries = await backend.read(ROOM)
        # The offset "c" was acknowledged with is the one it is stored at (a stale
        # reply would be "b"'s). "b" may or may not have run (Redis drops a paused
        # command whose client left), but never twice: a timeout is not retried.
        assert dict(entries)[offset] == "c"
        assert [text for _, text in entries] in (["a", "c"], ["a", "b", "c"])
    finally:
        await backend.close()
