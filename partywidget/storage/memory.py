"""In-process storage: fast, and gone when the process ends (a new epoch on restart)."""

from __future__ import annotations

import json
from typing import Any

from .base import LogEntry, LogState, Storage, UnwrittenEpochs, encode_value, new_epoch

__all__ = ["MemoryStorage"]


class _Log:
    __slots__ = ("epoch", "top", "floor", "removal_mark", "entries")

    def __init__(self, epoch: str) -> None:
        self.epoch = epoch
        self.top = 0
        self.floor = 0
        self.removal_mark = 0
        self.entries: dict[int, str] = {}

    def state(self) -> LogState:
        return LogState(self.epoch, self.top, self.floor, self.removal_mark)


class MemoryStorage(Storage):
    """Dicts in memory. Values are stored encoded, so callers never share objects.

    A room holds memory only while it has keys or a written log: reads never
    add an entry, and deleting a room's last key drops its map, so names that
    were only looked at cost nothing once their room is unloaded.
    """

    def __init__(self) -> None:
        self._kv: dict[str, dict[str, str | bytes]] = {}
        self._logs: dict[str, _Log] = {}
        self._unwritten = UnwrittenEpochs()

    @property
    def description(self) -> str:
        return "memory: (nothing survives a restart)"

    def _log(self, room: str) -> _Log:
        """The room's log, created (with the epoch readers saw) for a write."""
        log = self._logs.get(room)
        if log is None:
            log = self._logs[room] = _Log(self._unwritten(room))
        return log

    def _unwritten_state(self, room: str) -> LogState:
        return LogState(self._unwritten(room))

    async def get(self, room: str, key: str) -> Any | None:
        raw = self._kv.get(room, {}).get(key)
        if raw is None or isinstance(raw, bytes):
            return raw
        return json.loads(raw)

    async def put(self, room: str, key: str, value: Any) -> None:
        self._kv.setdefault(room, {})[key] = encode_value(value, max_bytes=1 << 62)

    async def delete(self, room: str, key: str) -> bool:
        values = self._kv.get(room)
        if values is None or values.pop(key, None) is None:
            return False
        if not values:
            del self._kv[room]
        return True

    async def list(self, room: str, *, prefix: str | None = None, start: str | None = None,
                   end: str | None = None, limit: int | None = None,
                   reverse: bool = False) -> dict[str, Any]:
        keys = sorted(self._kv.get(room, {}), reverse=reverse)
        out: dict[str, Any] = {}
        for key in keys:
            if limit is not None and len(out) >= limit:  # checked first: limit=0 lists nothing
                break
            if prefix is not None and not key.startswith(prefix):
                continue
            if start is not None and key < start:
                continue
            if end is not None and key >= end:
                continue
            out[key] = await self.get(room, key)
        return out

    async def delete_all(self, room: str) -> None:
        self._kv.pop(room, None)

    async def find(self, key: str, *, room_prefix: str = "") -> dict[str, Any]:
        return {room: await self.get(room, key) for room, values in self._kv.items()
                if room.startswith(room_prefix) and key in values}

    async def append(self, room: str, entry: str, *, keep: int) -> int:
        log = self._log(room)
        log.top += 1
        log.entries[log.top] = entry
        while log.top - log.floor > keep:
            log.floor += 1
            log.entries.pop(log.floor, None)
        return log.top

    async def read(self, room: str, *, after: int = 0) -> tuple[LogState, list[LogEntry]]:
        log = self._logs.get(room)
        if log is None:
            return self._unwritten_state(room), []
        return log.state(), [(seq, text) for seq, text in log.entries.items() if seq > after]

    async def state(self, room: str) -> LogState:
        log = self._logs.get(room)
        return self._unwritten_state(room) if log is None else log.state()

    async def remove(self, room: str, offset: int) -> bool:
        log = self._logs.get(room)
        if log is None or log.entries.pop(offset, None) is None:
            return False
        log.removal_mark = log.top + 1
        return True

    async def reset(self, room: str) -> LogState:
        log = self._log(room)
        log.entries.clear()
        log.epoch = new_epoch()
        log.floor = log.top
        log.removal_mark = 0
        return log.state()
