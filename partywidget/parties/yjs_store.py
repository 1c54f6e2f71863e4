"""A Yjs document kept in a room's key-value storage: an update log compacted into snapshots.

Layout, under the room's own keys (any backend: memory, SQLite, Redis):

* ``yjs:u:<seq>:<n>:<i>``: chunk ``i`` of ``n`` of update number ``seq``
  (16 digits, so keys sort by ``seq``);
* ``yjs:s:<gen>:<i>``: chunk ``i`` of snapshot generation ``gen``, the whole
  document as one update;
* ``yjs:snapshot``: ``{"gen", "chunks", "upto"}``, the current snapshot and
  the last update number it contains.

Values are chunked under the storage's value bound (PartyKit's 128 KiB).
Applying a Yjs update twice changes nothing, so no step needs a transaction:
a crash between writing a snapshot and deleting the updates it contains
leaves both, and loading applies both. An update whose chunks are not all
there (a crash while it was written) was never relayed, and is skipped.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from ..storage import RoomStorage

__all__ = ["DocumentStore"]

log = logging.getLogger("partywidget")

UPDATE_PREFIX = "yjs:u:"
SNAPSHOT_PREFIX = "yjs:s:"
SNAPSHOT_KEY = "yjs:snapshot"


def _chunks(data: bytes, size: int) -> list[bytes]:
    return [data[i:i + size] for i in range(0, len(data), size)] or [b""]


class DocumentStore:
    """Append updates, load the document's updates, replace them with one snapshot."""

    def __init__(self, storage: RoomStorage, chunk_bytes: int) -> None:
        self.storage = storage
        self.chunk_bytes = chunk_bytes
        self._next = 1
        self._snapshot: dict[str, Any] = {"gen": 0, "chunks": 0, "upto": 0}
        #: Updates and their bytes stored since the snapshot: when to compact.
        self.pending_updates = 0
        self.pending_bytes = 0
        #: Bytes of the snapshot: with ``pending_bytes``, the stored size of the document.
        self.snapshot_bytes = 0

    @property
    def stored_bytes(self) -> int:
        return self.snapshot_bytes + self.pending_bytes

    async def load(self) -> list[bytes]:
        """Every stored update, the snapshot first (apply them all, in order)."""
        snapshot = await self.storage.get(SNAPSHOT_KEY)
        updates: list[bytes] = []
        if isinstance(snapshot, dict):
            self._snapshot = snapshot
            stored = await self.storage.list(prefix=f"{SNAPSHOT_PREFIX}{snapshot['gen']}:")
            if len(stored) == snapshot["chunks"]:
                data = b"".join(stored[key] for key in sorted(stored))
                self.snapshot_bytes = len(data)
                updates.append(data)
            else:
                log.error("yjs document %s: snapshot %s has %d of %d chunks", self.storage,
                          snapshot["gen"], len(stored), snapshot["chunks"])
        parts: dict[int, list[tuple[int, bytes]]] = {}
        counts: dict[int, int] = {}
        for key, value in (await self.storage.list(prefix=UPDATE_PREFIX)).items():
            seq, n, i = (int(x) for x in key[len(UPDATE_PREFIX):].split(":"))
            parts.setdefault(seq, []).append((i, value))
            counts[seq] = n
        for seq in sorted(parts):
            self._next = max(self._next, seq + 1)
            if len(parts[seq]) == counts[seq]:
                data = b"".join(chunk for _, chunk in sorted(parts[seq]))
                updates.append(data)
                self.pending_updates += 1
                self.pending_bytes += len(data)
        self._next = max(self._next, int(self._snapshot["upto"]) + 1)
        return updates

    async def append(self, update: bytes) -> None:
        """Store one update; returns once the storage has it (relay only after)."""
        seq = self._next
        self._next += 1
        chunks = _chunks(update, self.chunk_bytes)
        self.pending_updates += 1
        self.pending_bytes += len(update)
        await self.storage.put_many({f"{UPDATE_PREFIX}{seq:016d}:{len(chunks)}:{i}": chunk
                                     for i, chunk in enumerate(chunks)})

    async def compact(self, document: bytes) -> None:
        """Store ``document`` (the whole doc as one update) and drop what it replaces.

        ``document`` must contain every update appended so far.
        """
        upto = self._next - 1
        old_gen = int(self._snapshot["gen"])
        gen = old_gen + 1
        chunks = _chunks(document, self.chunk_bytes)
        await self.storage.put_many({f"{SNAPSHOT_PREFIX}{gen}:{i:06d}": chunk
                                     for i, chunk in enumerate(chunks)})
        self._snapshot = {"gen": gen, "chunks": len(chunks), "upto": upto}
        await self.storage.put(SNAPSHOT_KEY, self._snapshot)
        self.snapshot_bytes = len(document)
        self.pending_updates = self.pending_bytes = 0
        stale = await self.storage.list(prefix=UPDATE_PREFIX)
        await self._delete(key for key in stale
                           if int(key[len(UPDATE_PREFIX):].split(":")[0]) <= upto)
        await self._delete(await self.storage.list(prefix=f"{SNAPSHOT_PREFIX}{old_gen}:"))

    async def _delete(self, keys: Iterable[str]) -> None:
        for key in list(keys):
            await self.storage.delete(key)
