"""The Storage interface every backend implements, and the per-room view of it.

A backend stores two things per room:

* a key-value map (PartyKit's ``room.storage``: ``get/put/delete/list``);
* an append-only **log** of text entries with per-room offsets, which is what
  chat history and board strokes are made of. Appending is O(1) work, whatever
  the log's length: the article's "get the whole list, push, slice, put it
  back" is exactly what this replaces.

Log contract (the delivery contract of docs/protocol.md):

* ``append`` persists before it returns; the offset it returns is larger than
  every offset this room's log ever returned, even after ``remove``/``reset``
  (offsets are never reused);
* ``epoch`` names the stored stream and changes only when history is lost or
  reset, so a client can tell "I missed nothing" from "start over";
* every offset ``<= floor`` is gone (trimmed by the length bound, or reset);
  offsets above ``floor`` are retained unless ``remove``d one by one;
* ``remove`` sets ``removal_mark`` to ``top + 1``: a client that has not seen
  that offset may have missed the removal, so it cannot resume (a replay of
  what follows would leave the removed entry on its screen);
* reading a log never written to stores nothing (a room name must not cost
  storage until someone writes to it): it reports ``top == 0`` and the epoch
  :class:`UnwrittenEpochs` gives the room, which the first append then
  stores, so a client that joined the empty room can resume after it.
"""

from __future__ import annotations

import abc
import contextlib
import hashlib
import hmac
import json
import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from ..errors import LimitExceeded

__all__ = ["LogEntry", "LogState", "RoomLog", "RoomStorage", "Storage", "UnwrittenEpochs",
           "new_epoch"]

#: One stored log entry: (offset, text).
LogEntry = tuple[int, str]


def new_epoch() -> str:
    """A fresh stream identity."""
    return secrets.token_hex(8)


class UnwrittenEpochs:
    """The epoch of each log not written yet, the same on every read, stored by nobody.

    A keyed hash of the room name with a secret drawn when the storage is
    made: stable for the life of the storage object, so a join before the
    first append and the append agree; unguessable and new after a restart,
    so an epoch from another process or database never matches by accident.
    """

    __slots__ = ("_key",)

    def __init__(self) -> None:
        self._key = secrets.token_bytes(16)

    def __call__(self, room: str) -> str:
        return hmac.new(self._key, room.encode(), hashlib.sha256).hexdigest()[:16]


@dataclass(frozen=True)
class LogState:
    """Where a room's log stands: identity, newest offset, and what is gone."""

    epoch: str
    top: int = 0
    floor: int = 0
    #: ``top + 1`` when an entry was last removed (0: never in this epoch).
    removal_mark: int = 0

    def can_resume(self, since: int, epoch: str | None) -> bool:
        """True when exactly the entries after ``since`` can be replayed.

        The recovery table of the delivery contract: wrong epoch, a position
        beyond the top, one already trimmed, or one from before a removal
        cannot be resumed; the same position as the top can (with nothing to
        replay).
        """
        return (epoch == self.epoch and max(self.floor, self.removal_mark) <= since
                and since <= self.top)


class Storage(abc.ABC):
    """A backend shared by all rooms of one host. Keys are namespaced by room.

    Every method is a coroutine that never blocks the event loop; values are
    JSON-serialisable objects or ``bytes``.
    """

    #: Called with the seconds each log append took (the room host's latency
    #: histogram); a no-op until a host sets it.
    append_observer: Callable[[float], None] = staticmethod(lambda seconds: None)

    async def start(self) -> None:
        """Open files or connections; called once before first use."""

    async def close(self) -> None:
        """Flush and release everything; the storage is unusable afterwards."""

    @property
    def description(self) -> str:
        """Where data lives, for the server log (``sqlite:///path``, ``memory:``)."""
        return type(self).__name__

    # key-value ---------------------------------------------------------------

    @abc.abstractmethod
    async def get(self, room: str, key: str) -> Any | None: ...

    @abc.abstractmethod
    async def put(self, room: str, key: str, value: Any) -> None: ...

    async def put_if_absent(self, room: str, key: str, value: Any) -> Any:
        """Store ``value`` unless ``key`` holds one; return what ``key`` holds after.

        Atomic where several processes share the storage (backends override
        this), so they agree on one value, as on a host's secret. The default
        suits storage only one process writes (``memory:``).
        """
        stored = await self.get(room, key)
        if stored is None:
            await self.put(room, key, value)
            return value
        return stored

    @abc.abstractmethod
    async def delete(self, room: str, key: str) -> bool: ...

    @abc.abstractmethod
    async def list(
        self,
        room: str,
        *,
        prefix: str | None = None,
        start: str | None = None,
        end: str | None = None,
        limit: int | None = None,
        reverse: bool = False,
    ) -> dict[str, Any]: ...

    @abc.abstractmethod
    async def delete_all(self, room: str) -> None: ...

    @abc.abstractmethod
    async def find(self, key: str, *, room_prefix: str = "") -> dict[str, Any]:
        """``{room: value}`` for every room named ``room_prefix...`` that holds ``key``.

        How a host finds work pending in rooms that are not loaded (stored alarms).
        """

    # log ---------------------------------------------------------------------

    @abc.abstractmethod
    async def append(self, room: str, entry: str, *, keep: int) -> int:
        """Persist ``entry`` and return its offset; keep at most ``keep`` offsets."""

    async def append_once(self, room: str, entry: str, *, keep: int,
                          key: str | None) -> tuple[int, bool]:
        """Append unless ``key`` was appended before: ``(offset, True)``, or the
        earlier entry's ``(offset, False)``.

        How a retried ``cid`` is stored once when several processes share the
        storage. Backends used by one process only leave this to the party
        (which remembers its cids in memory) and always append.
        """
        return await self.append(room, entry, keep=keep), True

    @abc.abstractmethod
    async def read(self, room: str, *, after: int = 0) -> tuple[LogState, list[LogEntry]]:
        """The log state and every retained entry with an offset above ``after``."""

    @abc.abstractmethod
    async def state(self, room: str) -> LogState: ...

    @abc.abstractmethod
    async def remove(self, room: str, offset: int) -> bool:
        """Delete one entry (moderation, undo); its offset is never reused.

        A removal that deleted something sets ``removal_mark`` to ``top + 1``.
        """

    @abc.abstractmethod
    async def reset(self, room: str) -> LogState:
        """Drop the whole log and start a new epoch; offsets keep growing."""


def encode_value(value: Any, max_bytes: int) -> str | bytes:
    """Encode a storage value once, checking its size (PartyKit: 128 KiB)."""
    encoded: str | bytes
    if isinstance(value, (bytes, bytearray, memoryview)):
        encoded = bytes(value)
        size = len(encoded)
    else:
        try:
            encoded = json.dumps(value, separators=(",", ":"), ensure_ascii=False,
                                 allow_nan=False)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"expected a JSON-serialisable value or bytes: {exc}") from None
        size = len(encoded.encode("utf-8"))
    if size > max_bytes:
        raise LimitExceeded(f"expected a value of at most {max_bytes} bytes, got {size}")
    return encoded


def check_key(key: str, max_bytes: int) -> None:
    if not isinstance(key, str):
        raise TypeError(f"expected a str key, got {type(key).__name__}")
    size = len(key.encode("utf-8"))
    if size > max_bytes:
        raise LimitExceeded(f"expected a key of at most {max_bytes} bytes, got {size}")


#: The largest offset a log can hold: SQLite's INTEGER is a signed 64-bit number.
MAX_OFFSET = 2**63 - 1


#: A room's input gate (``partywidget.rooms.gate``): entered for every storage call.
Gate = contextlib.AbstractContextManager[Any]
_NO_GATE: Gate = contextlib.nullcontext()


class RoomLog:
    """One room's log: ``append`` returns the offset after the entry is durable.

    Offsets asked for here often come from clients (``since``, the ``id`` to
    delete or erase), so any integer is answered: outside ``1..MAX_OFFSET``
    there is simply no entry, on every backend.
    """

    __slots__ = ("_storage", "_room", "keep", "_gate")

    def __init__(self, storage: Storage, room: str, keep: int, gate: Gate = _NO_GATE) -> None:
        self._storage = storage
        self._room = room
        self.keep = keep
        self._gate = gate

    async def append(self, entry: str) -> int:
        with self._gate:
            start = time.perf_counter()
            offset = await self._storage.append(self._room, entry, keep=self.keep)
            self._storage.append_observer(time.perf_counter() - start)
            return offset

    async def append_once(self, entry: str, key: str | None) -> tuple[int, bool]:
        with self._gate:
            start = time.perf_counter()
            done = await self._storage.append_once(self._room, entry, keep=self.keep, key=key)
            self._storage.append_observer(time.perf_counter() - start)
            return done

    async def read(self, after: int = 0) -> tuple[LogState, list[LogEntry]]:
        with self._gate:
            return await self._storage.read(self._room, after=min(max(after, 0), MAX_OFFSET))

    async def state(self) -> LogState:
        with self._gate:
            return await self._storage.state(self._room)

    async def remove(self, offset: int) -> bool:
        if not 0 < offset <= MAX_OFFSET:
            return False
        with self._gate:
            return await self._storage.remove(self._room, offset)

    async def reset(self) -> LogState:
        with self._gate:
            return await self._storage.reset(self._room)


class RoomStorage:
    """``self.room.storage`` in a party: PartyKit's storage API for one room.

    ``get/put/delete/list/delete_all`` with PartyKit's key (2 KiB) and value
    (128 KiB) bounds, plus ``log``, the append-only history with offsets.
    Every call holds the room's input gate (``gate``) while it runs, so events
    wait for it, as in Durable Objects.
    """

    __slots__ = ("_storage", "_room", "_max_key", "_max_value", "_gate", "log")

    def __init__(self, storage: Storage, room: str, *, max_key_bytes: int = 2048,
                 max_value_bytes: int = 128 * 1024, history: int = 1000,
                 gate: Gate = _NO_GATE) -> None:
        self._storage = storage
        self._room = room
        self._max_key = max_key_bytes
        self._max_value = max_value_bytes
        self._gate = gate
        self.log = RoomLog(storage, room, history, gate)

    async def get(self, key: str) -> Any | None:
        check_key(key, self._max_key)
        with self._gate:
            return await self._storage.get(self._room, key)

    async def put(self, key: str, value: Any) -> None:
        check_key(key, self._max_key)
        encode_value(value, self._max_value)
        with self._gate:
            await self._storage.put(self._room, key, value)

    async def put_many(self, entries: Mapping[str, Any]) -> None:
        with self._gate:  # one critical section: no event runs between the puts
            for key, value in entries.items():
                await self.put(key, value)

    async def delete(self, key: str) -> bool:
        check_key(key, self._max_key)
        with self._gate:
            return await self._storage.delete(self._room, key)

    async def list(self, *, prefix: str | None = None, start: str | None = None,
                   end: str | None = None, limit: int | None = None,
                   reverse: bool = False) -> dict[str, Any]:
        with self._gate:
            return await self._storage.list(self._room, prefix=prefix, start=start, end=end,
                                            limit=limit, reverse=reverse)

    async def delete_all(self) -> None:
        with self._gate:
            await self._storage.delete_all(self._room)
