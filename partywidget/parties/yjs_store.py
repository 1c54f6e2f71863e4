"""A Yjs document kept in a room's key-value storage: an update log compacted into snapshots.

Layout, under the room's own keys (any backend: memory, SQLite, Redis):

* ``yjs:u:<seq>:<writer>:<n>:<i>``: chunk ``i`` of ``n`` of update ``seq``
  written by ``writer``;
* ``yjs:s:<gen>:<writer>:<n>:<i>``: chunk ``i`` of ``n`` of a snapshot, the
  whole document as one update.

``writer`` is drawn afresh each time a process loads the room, so processes
sharing the storage (``serve --redis``) never write the same key, and no key
names "the current snapshot": every complete snapshot and update is applied
on load. Applying a Yjs update twice changes nothing, so no step needs a
transaction. A compaction deletes only what it knows its document contains:
what it loaded and what it appended itself, never what another process wrote
since (that process compacts its own). A crash between writing a snapshot and
deleting what it replaces leaves both. Values are chunked under the storage's
value bound (PartyKit's 128 KiB); an entry whose chunks are not all there (a
crash while it was written) was never relayed, and is skipped.

Documents stored by the first layout (no writer in the keys, see
:mod:`.yjs_legacy`) are read on load, written again in this layout, and only
then their old keys deleted: two processes loading at once both copy them
(applying twice changes nothing) and deleting a missing key is no error.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from typing import Any

from ..storage import RoomStorage
from . import yjs_legacy

__all__ = ["DocumentStore"]

UPDATE_PREFIX = "yjs:u:"
SNAPSHOT_PREFIX = "yjs:s:"


def _chunks(data: bytes, size: int) -> list[bytes]:
    return [data[i:i + size] for i in range(0, len(data), size)] or [b""]


def _complete(stored: dict[str, Any], prefix: str) -> list[tuple[int, bytes, list[str]]]:
    """``(seq, data, keys)`` of every entry under ``prefix`` with all its chunks, by ``seq``."""
    parts: dict[tuple[int, str], list[tuple[int, str, bytes]]] = {}
    counts: dict[tuple[int, str], int] = {}
    for key, value in stored.items():
        if yjs_legacy.is_legacy(key, prefix):
            continue
        seq, writer, n, i = key[len(prefix):].split(":")
        parts.setdefault((int(seq), writer), []).append((int(i), key, value))
        counts[(int(seq), writer)] = int(n)
    return [(entry[0], b"".join(chunk for _, _, chunk in sorted(parts[entry])),
             [key for _, key, _ in parts[entry]])
            for entry in sorted(parts) if len(parts[entry]) == counts[entry]]


class DocumentStore:
    """Append updates, load the document's updates, replace them with one snapshot."""

    def __init__(self, storage: RoomStorage, chunk_bytes: int) -> None:
        self.storage = storage
        self.chunk_bytes = chunk_bytes
        self.writer = secrets.token_hex(4)
        self._next = 1
        self._gen = 0
        #: Keys whose contents are in the document this process holds: what a compaction drops.
        self._contained: list[str] = []
        #: Updates and their bytes stored since the snapshot: when to compact.
        self.pending_updates = 0
        self.pending_bytes = 0
        #: Bytes of the snapshots loaded or written: with ``pending_bytes``, the document's size.
        self.snapshot_bytes = 0

    @property
    def stored_bytes(self) -> int:
        return self.snapshot_bytes + self.pending_bytes

    async def load(self) -> list[bytes]:
        """Every stored update, the snapshots first (apply them all, in order)."""
        # The old layout's pointer is read before the listings and deleted after
        # its entries are copied, so a concurrent migration never hides them.
        meta = await self.storage.get(yjs_legacy.META_KEY)
        # Updates before snapshots: another process's compaction writes its
        # snapshot before it deletes the updates in it, so whatever it does
        # between the two listings, each update is in one of them.
        stored_updates = await self.storage.list(prefix=UPDATE_PREFIX)
        snapshots = await self.storage.list(prefix=SNAPSHOT_PREFIX)
        updates: list[bytes] = []
        for gen, data, keys in _complete(snapshots, SNAPSHOT_PREFIX):
            self._gen = max(self._gen, gen)
            self._holds_snapshot(data, keys)
            updates.append(data)
        for seq, data, keys in _complete(stored_updates, UPDATE_PREFIX):
            self._next = max(self._next, seq + 1)
            self._holds_update(data, keys)
            updates.append(data)
        legacy = yjs_legacy.fold(meta, snapshots, stored_updates, SNAPSHOT_PREFIX, UPDATE_PREFIX)
        if legacy.snapshot is not None:
            self._gen += 1
            keys = await self._put(SNAPSHOT_PREFIX, self._gen, legacy.snapshot)
            self._holds_snapshot(legacy.snapshot, keys)
            updates.insert(0, legacy.snapshot)
        for data in legacy.updates:
            await self.append(data)
            updates.append(data)
        await self._delete(legacy.stale)
        if legacy.drop_meta:
            await self.storage.delete(yjs_legacy.META_KEY)
        return updates

    def _holds_snapshot(self, data: bytes, keys: list[str]) -> None:
        """Count a snapshot the document contains, stored under ``keys``."""
        self.snapshot_bytes += len(data)
        self._contained += keys

    def _holds_update(self, data: bytes, keys: list[str]) -> None:
        """Count an update the document contains, stored under ``keys``."""
        self.pending_updates += 1
        self.pending_bytes += len(data)
        self._contained += keys

    async def append(self, update: bytes) -> None:
        """Store one update; returns once the storage has it (relay only after)."""
        seq = self._next
        self._next += 1
        self._holds_update(update, await self._put(UPDATE_PREFIX, seq, update))

    async def compact(self, document: bytes) -> None:
        """Store ``document`` (the whole doc as one update) and drop what it replaces.

        ``document`` must contain every update loaded or appended so far.
        """
        # Updates appended while the snapshot is written are not in it: they
        # stay listed (after the swap) and go with the next compaction.
        replaced, self._contained = self._contained, []
        self._gen += 1
        try:
            written = await self._put(SNAPSHOT_PREFIX, self._gen, document)
        except BaseException:  # nothing replaced: the next compaction drops them
            self._contained[:0] = replaced
            raise
        self._contained[:0] = written
        self.snapshot_bytes = len(document)
        self.pending_updates = self.pending_bytes = 0
        await self._delete(replaced)

    async def _put(self, prefix: str, seq: int, data: bytes) -> list[str]:
        chunks = _chunks(data, self.chunk_bytes)
        entries = {f"{prefix}{seq:016d}:{self.writer}:{len(chunks)}:{i:06d}": chunk
                   for i, chunk in enumerate(chunks)}
        await self.storage.put_many(entries)
        return list(entries)

    async def _delete(self, keys: Iterable[str]) -> None:
        for key in keys:
            await self.storage.delete(key)
