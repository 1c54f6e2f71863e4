"""SQLite storage, the embedded default: one file, WAL, group commit off the loop.

Design (see the SQLite notes in docs/performance.md):

* One **writer thread** owns the only write connection. Coroutines enqueue
  operations; the thread drains whatever is queued and runs it as one
  ``BEGIN IMMEDIATE ... COMMIT`` (group commit), a room's queued appends as
  one offset ``UPDATE``, one ``INSERT`` and one trim; if an operation raises, the
  batch runs again with a savepoint per operation, so it fails alone. Futures
  resolve only after ``COMMIT`` returns, so "persist, then offset, then
  broadcast" holds.
* One **reader thread** with its own connection serves reads concurrently
  (WAL readers never wait for the writer).
* ``synchronous=NORMAL`` in WAL mode: every committed transaction survives a
  crash of the process (``kill -9``); the newest commits may be lost on power
  loss. ``durability="full"`` trades throughput for power-loss safety.
* The database and its ``-wal``/``-shm`` files are the owner's only (0600,
  and 0700 for a directory we create): rooms hold what people wrote, and on a
  hub whose students are local accounts a world-readable file would show
  every room to every student (:func:`_restrict_files`).
* A room's ``streams`` row is written with its first append, never by a
  read: looking at a room name costs no storage (``read``/``state`` of a
  missing row answer with the room's unwritten epoch, which that first append
  stores). Rows left at ``top = 0`` by older versions are collected at start.
* Offsets come from a per-room ``top`` counter updated in the same transaction,
  never from ``rowid``, so deleting the newest entry never makes its offset
  reusable.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import queue
import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..errors import StorageError
from .base import LogEntry, LogState, Storage, UnwrittenEpochs, encode_value, new_epoch

__all__ = ["SQLiteStorage"]

log = logging.getLogger("partywidget")

SCHEMA = """
CREATE TABLE IF NOT EXISTS kv (
    room TEXT NOT NULL, key TEXT NOT NULL, value BLOB,
    PRIMARY KEY (room, key)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS streams (
    room TEXT PRIMARY KEY, epoch TEXT NOT NULL,
    top INTEGER NOT NULL DEFAULT 0, floor INTEGER NOT NULL DEFAULT 0,
    removal_mark INTEGER NOT NULL DEFAULT 0) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS log (
    room TEXT NOT NULL, seq INTEGER NOT NULL, entry TEXT NOT NULL,
    PRIMARY KEY (room, seq)) WITHOUT ROWID;
"""

_Op = Callable[[sqlite3.Connection], Any]
_STOP = object()


#: Files SQLite keeps next to a WAL database, which hold the same rows.
SIDE_FILES = ("-wal", "-shm", "-journal")


def _restrict_files(path: Path) -> None:
    """Make the database the owner's only before SQLite opens it.

    SQLite creates ``-wal`` and ``-shm`` with the database file's own mode, so
    creating the database 0600 (whatever the umask) covers them; files left
    by an older version with wider modes are narrowed.
    """
    path.parent.mkdir(parents=True, mode=0o700, exist_ok=True)  # an existing one is kept as is
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        _narrow(path, os.fstat(fd).st_mode, lambda: os.fchmod(fd, 0o600))
    finally:
        os.close(fd)
    for suffix in SIDE_FILES:
        side = path.with_name(path.name + suffix)
        try:
            _narrow(side, side.stat().st_mode, lambda: side.chmod(0o600))
        except FileNotFoundError:
            pass


def _narrow(path: Path, mode: int, chmod: Callable[[], None]) -> None:
    if mode & 0o077:
        log.info("%s was readable by others (mode %o): narrowing it to 0600", path, mode & 0o777)
        chmod()


def _connect(path: str, durability: str) -> sqlite3.Connection:
    db = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=30.0)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute(f"PRAGMA synchronous={'FULL' if durability == 'full' else 'NORMAL'}")
    db.execute("PRAGMA busy_timeout=30000")
    return db


class _Worker(threading.Thread):
    """A thread that runs queued operations on its own connection, in batches."""

    def __init__(self, name: str, db: sqlite3.Connection, write: bool) -> None:
        super().__init__(name=name, daemon=True)
        self.db = db
        self.write = write
        self.jobs: queue.SimpleQueue[Any] = queue.SimpleQueue()

    def submit(self, op: _Op) -> asyncio.Future[Any]:
        future = asyncio.get_running_loop().create_future()
        self.jobs.put((op, future))
        return future

    def stop(self) -> None:
        self.jobs.put(_STOP)

    def run(self) -> None:
        while True:
            batch = [self.jobs.get()]
            while True:
                try:
                    batch.append(self.jobs.get_nowait())
                except queue.Empty:
                    break
            stopping = any(job is _STOP for job in batch)
            jobs = [job for job in batch if job is not _STOP]
            if jobs:
                results = self._run_batch(jobs) if self.write else self._run_each(jobs)
                _resolve(results)
            if stopping:
                self.db.close()
                return

    def _run_each(self, jobs: list[Any]) -> list[tuple[asyncio.Future[Any], bool, Any]]:
        results = []
        for op, future in jobs:
            try:
                results.append((future, True, op(self.db)))
            except Exception as exc:  # handed to the awaiting coroutine
                results.append((future, False, exc))
        return results

    def _run_batch(self, jobs: list[Any]) -> list[tuple[asyncio.Future[Any], bool, Any]]:
        # Optimistic first: one transaction without a savepoint per operation
        # (two statements each, a fifth of an append's cost). Operations almost
        # never fail; when one does, the whole transaction is rolled back and
        # the batch runs again with savepoints, so the failing one fails alone.
        try:
            return self._transaction(jobs, isolated=False)
        except _OperationFailed:
            return self._transaction(jobs, isolated=True)

    def _transaction(self, jobs: list[Any],
                     isolated: bool) -> list[tuple[asyncio.Future[Any], bool, Any]]:
        db = self.db
        results: list[tuple[asyncio.Future[Any], bool, Any]] = []
        try:
            db.execute("BEGIN IMMEDIATE")
            if not isolated:
                try:
                    results = _run_grouped(db, jobs)
                except Exception:
                    db.execute("ROLLBACK")
                    raise _OperationFailed from None
                jobs = []
            for op, future in jobs:
                db.execute("SAVEPOINT op")
                try:
                    value = op(db)
                except Exception as exc:
                    db.execute("ROLLBACK TO op")
                    results.append((future, False, exc))
                else:
                    results.append((future, True, value))
                db.execute("RELEASE op")
            db.execute("COMMIT")
        except sqlite3.Error as exc:
            # COMMIT (or BEGIN) failed: nothing in the batch is durable, so no
            # operation may report success (no broadcast of unstored messages).
            if db.in_transaction:
                db.execute("ROLLBACK")
            log.error("sqlite batch of %d operations failed: %s", len(jobs), exc)
            error = StorageError(f"storage write failed: {exc}")
            results = [(future, False, error) for _, future in jobs]
        return results


def _run_grouped(db: sqlite3.Connection,
                 jobs: list[Any]) -> list[tuple[asyncio.Future[Any], bool, Any]]:
    """Run ``jobs`` in order, each room's run of appends as one :func:`_append_all`.

    Appends to different rooms touch different rows, so between two other
    operations (which may touch anything, and stay where they were) the
    appends can be grouped by room; within a room they keep submission order,
    so offsets still increase in the order the appends were made.
    """
    results: list[tuple[asyncio.Future[Any], bool, Any]] = []
    # Per room: (index in results, append); results keep job order, so the
    # futures still resolve in submission order.
    pending: dict[str, list[tuple[int, _Append]]] = {}

    def flush() -> None:
        for appends in pending.values():
            offsets = _append_all(db, [op for _, op in appends])
            for (index, _), offset in zip(appends, offsets):
                results[index] = (results[index][0], True, offset)
        pending.clear()

    for op, future in jobs:
        if isinstance(op, _Append):
            pending.setdefault(op.room, []).append((len(results), op))
            results.append((future, False, None))  # filled in by flush()
            continue
        flush()
        results.append((future, True, op(db)))
    flush()
    return results


def _append_all(db: sqlite3.Connection, appends: list[_Append]) -> list[int]:
    """Append one room's entries in order: one offset ``UPDATE``, one ``INSERT``, one trim.

    Same result as appending one by one: the i-th append (0-based) takes
    offset ``top + i + 1`` and raises the floor to at least that offset minus
    its ``keep``, so the floor ends at ``top + max(i + 1 - keep_i)``.
    """
    room = appends[0].room
    count = len(appends)
    rise = max(i + 1 - op.keep for i, op in enumerate(appends))
    args = (count, rise, room)
    row = db.execute(_NEXT_OFFSETS, args).fetchone()
    if row is None:  # the room's first append: store its stream, with the epoch readers saw
        _ensure_stream(db, room, appends[0].epochs(room))
        row = db.execute(_NEXT_OFFSETS, args).fetchone()
    top, floor = row
    first = top - count + 1
    offsets = list(range(first, top + 1))
    db.executemany("INSERT INTO log (room, seq, entry) VALUES (?, ?, ?)",
                   [(room, offset, op.entry) for offset, op in zip(offsets, appends)])
    if floor == first - 1 + rise:  # the floor moved up to the length bound: trim
        db.execute("DELETE FROM log WHERE room = ? AND seq <= ?", (room, floor))
    return offsets


class _Append:
    """One log append, as data: the writer groups a room's queued appends (see _run_grouped)."""

    __slots__ = ("room", "entry", "keep", "epochs")

    def __init__(self, room: str, entry: str, keep: int, epochs: UnwrittenEpochs) -> None:
        self.room = room
        self.entry = entry
        self.keep = keep
        #: Asked only by the room's first append (no hash on the hot path).
        self.epochs = epochs

    def __call__(self, db: sqlite3.Connection) -> int:
        return _append_all(db, [self])[0]


class _OperationFailed(Exception):
    """An operation raised in an optimistic batch: run the batch again, isolated."""


def _resolve(results: list[tuple[asyncio.Future[Any], bool, Any]]) -> None:
    by_loop: dict[asyncio.AbstractEventLoop, list[tuple[asyncio.Future[Any], bool, Any]]] = {}
    for item in results:
        by_loop.setdefault(item[0].get_loop(), []).append(item)
    for loop, items in by_loop.items():
        try:
            loop.call_soon_threadsafe(_settle, items)
        except RuntimeError:  # the loop closed while we worked; nobody is waiting
            pass


def _settle(items: list[tuple[asyncio.Future[Any], bool, Any]]) -> None:
    for future, ok, value in items:
        if future.done():
            continue
        if ok:
            future.set_result(value)
        else:
            future.set_exception(value)


def _decode(raw: Any) -> Any:
    if raw is None or isinstance(raw, bytes):
        return raw
    return json.loads(raw)


#: Reads one room's :class:`LogState` (the columns in its field order).
_STATE = "SELECT epoch, top, floor, removal_mark FROM streams WHERE room = ?"


#: Takes the next ``count`` offsets of one room's log and raises its floor to
#: at least ``top + rise`` (old ``top``); no row means no stream yet.
_NEXT_OFFSETS = ("UPDATE streams SET top = top + ?, floor = max(floor, top + ?) "
                 "WHERE room = ? RETURNING top, floor")


def _create_schema(db: sqlite3.Connection) -> None:
    db.executescript(SCHEMA)
    # Files written before removal marks existed lack the column; 0 is right
    # for them (no removal is known, as before).
    columns = {row[1] for row in db.execute("PRAGMA table_info(streams)")}
    if "removal_mark" not in columns:
        db.execute("ALTER TABLE streams ADD COLUMN removal_mark INTEGER NOT NULL DEFAULT 0")
    # Earlier versions stored a stream for every room read or joined: rows
    # that never got an entry (top 0) hold no offset to protect, so they go.
    db.execute("DELETE FROM streams WHERE top = 0")


def _ensure_stream(db: sqlite3.Connection, room: str, epoch: str) -> None:
    db.execute("INSERT OR IGNORE INTO streams (room, epoch) VALUES (?, ?)", (room, epoch))


class SQLiteStorage(Storage):
    """All rooms in one SQLite file (default: ``partywidget.db`` in the Jupyter data dir)."""

    def __init__(self, path: str | Path, *, durability: str = "normal") -> None:
        if durability not in ("normal", "full"):
            raise ValueError(f"expected durability 'normal' or 'full', got {durability!r}")
        self.path = Path(path)
        self.durability = durability
        self._writer: _Worker | None = None
        self._reader: _Worker | None = None
        self._unwritten = UnwrittenEpochs()

    @property
    def description(self) -> str:
        return f"sqlite:///{self.path} (WAL, synchronous={self.durability})"

    async def start(self) -> None:
        if self._writer is not None:
            return
        await asyncio.to_thread(_restrict_files, self.path)
        path = str(self.path)
        writer_db = await asyncio.to_thread(_connect, path, self.durability)
        await asyncio.to_thread(_create_schema, writer_db)
        reader_db = await asyncio.to_thread(_connect, path, self.durability)
        self._writer = _Worker("partywidget-sqlite-writer", writer_db, write=True)
        self._reader = _Worker("partywidget-sqlite-reader", reader_db, write=False)
        self._writer.start()
        self._reader.start()

    async def close(self) -> None:
        for worker in (self._writer, self._reader):
            if worker is not None:
                worker.stop()
                await asyncio.to_thread(worker.join, 10)
        self._writer = self._reader = None

    def _write(self, op: _Op) -> asyncio.Future[Any]:
        if self._writer is None:
            raise StorageError("storage is not started (call start()) or already closed")
        return self._writer.submit(op)

    def _read(self, op: _Op) -> asyncio.Future[Any]:
        if self._reader is None:
            raise StorageError("storage is not started (call start()) or already closed")
        return self._reader.submit(op)

    # key-value ---------------------------------------------------------------

    async def get(self, room: str, key: str) -> Any | None:
        row = await self._read(lambda db: db.execute(
            "SELECT value FROM kv WHERE room = ? AND key = ?", (room, key)).fetchone())
        return None if row is None else _decode(row[0])

    async def put(self, room: str, key: str, value: Any) -> None:
        encoded = encode_value(value, max_bytes=1 << 62)
        await self._write(lambda db: db.execute(
            "INSERT OR REPLACE INTO kv (room, key, value) VALUES (?, ?, ?)", (room, key, encoded)))

    async def put_if_absent(self, room: str, key: str, value: Any) -> Any:
        # INSERT OR IGNORE is atomic in SQLite's writer lock, across processes too.
        encoded = encode_value(value, max_bytes=1 << 62)
        await self._write(lambda db: db.execute(
            "INSERT OR IGNORE INTO kv (room, key, value) VALUES (?, ?, ?)", (room, key, encoded)))
        return await self.get(room, key)

    async def delete(self, room: str, key: str) -> bool:
        return await self._write(lambda db: db.execute(
            "DELETE FROM kv WHERE room = ? AND key = ?", (room, key)).rowcount > 0)

    async def list(self, room: str, *, prefix: str | None = None, start: str | None = None,
                   end: str | None = None, limit: int | None = None,
                   reverse: bool = False) -> dict[str, Any]:
        sql = ["SELECT key, value FROM kv WHERE room = ?"]
        args: list[Any] = [room]
        if prefix:
            # Range scan on the primary key; `substr` guards against LIKE wildcards.
            sql.append("AND key >= ? AND substr(key, 1, ?) = ?")
            args += [prefix, len(prefix), prefix]
        if start is not None:
            sql.append("AND key >= ?")
            args.append(start)
        if end is not None:
            sql.append("AND key < ?")
            args.append(end)
        sql.append("ORDER BY key DESC" if reverse else "ORDER BY key")
        if limit is not None:
            sql.append("LIMIT ?")
            args.append(max(0, int(limit)))
        query = " ".join(sql)
        rows = await self._read(lambda db: db.execute(query, args).fetchall())
        return {key: _decode(value) for key, value in rows}

    async def delete_all(self, room: str) -> None:
        await self._write(lambda db: db.execute("DELETE FROM kv WHERE room = ?", (room,)))

    async def find(self, key: str, *, room_prefix: str = "") -> dict[str, Any]:
        rows = await self._read(lambda db: db.execute(
            "SELECT room, value FROM kv WHERE key = ? AND substr(room, 1, ?) = ?",
            (key, len(room_prefix), room_prefix)).fetchall())
        return {room: _decode(value) for room, value in rows}

    # log ---------------------------------------------------------------------

    async def append(self, room: str, entry: str, *, keep: int) -> int:
        return await self._write(_Append(room, entry, keep, self._unwritten))

    async def read(self, room: str, *, after: int = 0) -> tuple[LogState, list[LogEntry]]:
        def op(db: sqlite3.Connection) -> tuple[LogState | None, list[LogEntry]]:
            # One read transaction, so the state and the entries agree.
            db.execute("BEGIN")
            try:
                row = db.execute(_STATE, (room,)).fetchone()
                rows = db.execute(
                    "SELECT seq, entry FROM log WHERE room = ? AND seq > ? ORDER BY seq",
                    (room, after)).fetchall()
            finally:
                db.execute("COMMIT")
            return (LogState(*row) if row else None), rows

        state, rows = await self._read(op)
        # No row, no entries (one snapshot): a room never written to. Nothing
        # is stored for it; its first append stores the epoch reported here.
        return (state, rows) if state is not None else (LogState(self._unwritten(room)), [])

    async def state(self, room: str) -> LogState:
        row = await self._read(lambda db: db.execute(_STATE, (room,)).fetchone())
        return LogState(*row) if row is not None else LogState(self._unwritten(room))

    async def remove(self, room: str, offset: int) -> bool:
        def op(db: sqlite3.Connection) -> bool:
            if not db.execute("DELETE FROM log WHERE room = ? AND seq = ?",
                              (room, offset)).rowcount:
                return False
            db.execute("UPDATE streams SET removal_mark = top + 1 WHERE room = ?", (room,))
            return True

        return await self._write(op)

    async def reset(self, room: str) -> LogState:
        def op(db: sqlite3.Connection) -> LogState:
            epoch = new_epoch()
            _ensure_stream(db, room, epoch)
            db.execute("DELETE FROM log WHERE room = ?", (room,))
            db.execute("UPDATE streams SET epoch = ?, floor = top, removal_mark = 0 "
                       "WHERE room = ?", (epoch, room))
            return LogState(*db.execute(_STATE, (room,)).fetchone())

        return await self._write(op)
