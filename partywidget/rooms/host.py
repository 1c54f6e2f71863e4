"""``RoomHost``: the registry of parties and loaded rooms, and the room lifecycle.

One lifecycle for every adapter: a room is created on first use (after the
request was authenticated and authorized, never before), ``on_start`` is awaited
before its first connection or request is served, and it is unloaded once it
has had no connection, request or alarm for ``Limits.idle_unload_seconds``.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Mapping

from ..errors import PartyWidgetError, UnknownParty
from ..storage.base import RoomStorage, Storage
from .limits import Limits
from .names import check_name
from .party import Party
from .room import ALARM_KEY, Room
from .wire import CloseCode

__all__ = ["RoomHost"]

log = logging.getLogger("partywidget")

#: Storage namespace for the host's own per-room data (alarms); kept apart
#: from the party's keys so ``storage.list()`` shows only what the party put.
_META_PREFIX = "\x00meta:"


class RoomHost:
    """All rooms of one process, over one :class:`~partywidget.storage.Storage`.

    ``parties`` maps party names to :class:`Party` subclasses; ``history`` is
    the number of log offsets each room keeps.
    """

    def __init__(self, storage: Storage, parties: Mapping[str, type[Party]], *,
                 limits: Limits | None = None, history: int = 1000) -> None:
        for name, cls in parties.items():
            check_name("party", name)
            if not (isinstance(cls, type) and issubclass(cls, Party)):
                raise TypeError(f"expected a Party subclass for party {name!r}, got {cls!r}")
        if history < 1:
            raise ValueError(f"expected history of at least 1 message, got {history}")
        self.storage = storage
        self.parties = dict(parties)
        self.limits = limits or Limits()
        self.history = history
        self._rooms: dict[tuple[str, str], Room] = {}
        self._unload_timers: dict[tuple[str, str], asyncio.TimerHandle] = {}
        self._closed = False
        self._started: asyncio.Task[None] | None = None
        self._wakeups: list[asyncio.TimerHandle] = []
        self._waking: set[asyncio.Task[None]] = set()

    def __repr__(self) -> str:
        return f"<RoomHost parties={sorted(self.parties)} rooms={len(self._rooms)}>"

    async def start(self) -> None:
        """Open storage once; safe to await from every request (cheap after the first)."""
        if self._started is None:
            self._started = asyncio.ensure_future(self._open())
        await asyncio.shield(self._started)

    async def _open(self) -> None:
        await self.storage.start()
        # PartyKit semantics: an alarm wakes its room even if nobody visits it.
        # Rooms are not loaded at boot; each is loaded when its alarm is due
        # (``Room.start`` then schedules the stored alarm, which fires at once).
        alarms = await self.storage.find(ALARM_KEY, room_prefix=_META_PREFIX)
        loop = asyncio.get_running_loop()
        for meta_room, when in alarms.items():
            party, _, room_id = meta_room[len(_META_PREFIX):].partition("/")
            try:
                self.check(party, room_id)  # a party no longer registered keeps its alarm
            except PartyWidgetError:
                continue
            if isinstance(when, (int, float)):
                self._wakeups.append(loop.call_later(
                    max(0.0, when - time.time()), self._wake, party, room_id))

    def _wake(self, party: str, room_id: str) -> None:
        task = asyncio.ensure_future(self._load_for_alarm(party, room_id))
        self._waking.add(task)  # the loop holds tasks only weakly
        task.add_done_callback(self._waking.discard)

    async def _load_for_alarm(self, party: str, room_id: str) -> None:
        if self._closed:
            return
        room = self.room(party, room_id)
        try:
            await room.start()
        except Exception:
            log.exception("room %s: on_start failed when its alarm was due", room.key)
        finally:
            self.release(room)

    async def close(self) -> None:
        """Close every connection with 1001 (clients reconnect and resume), then storage."""
        self._closed = True
        for timer in [*self._unload_timers.values(), *self._wakeups]:
            timer.cancel()
        self._wakeups.clear()
        self._unload_timers.clear()
        for room in list(self._rooms.values()):
            await room.unload(CloseCode.GOING_AWAY, "server shutting down")
        self._rooms.clear()
        await self.storage.close()

    def check(self, party: str, room: str) -> None:
        """Raise ``InvalidName`` (400) or ``UnknownParty`` (404) before anything exists."""
        check_name("party", party)
        check_name("room", room)
        if party not in self.parties:
            raise UnknownParty(
                f"no party named {party!r}; known: {', '.join(sorted(self.parties))}")

    @property
    def rooms(self) -> dict[tuple[str, str], Room]:
        """Loaded rooms by (party, room) (a copy)."""
        return dict(self._rooms)

    def room(self, party: str, room_id: str) -> Room:
        """The loaded room, created (not started) if needed. Call after auth."""
        self.check(party, room_id)
        key = (party, room_id)
        timer = self._unload_timers.pop(key, None)
        if timer is not None:
            timer.cancel()
        room = self._rooms.get(key)
        if room is None:
            storage_key = f"{party}/{room_id}"
            opts = dict(max_key_bytes=self.limits.max_key_bytes,
                        max_value_bytes=self.limits.max_value_bytes, history=self.history)
            room = Room(self, party, room_id, self.parties[party],
                        RoomStorage(self.storage, storage_key, **opts),
                        RoomStorage(self.storage, _META_PREFIX + storage_key, **opts),
                        self.limits)
            self._rooms[key] = room
        return room

    def release(self, room: Room) -> None:
        """Called when a room may have become idle: unload it after the idle delay."""
        key = (room.name, room.id)
        if self._closed or not room.idle or self._rooms.get(key) is not room:
            return
        if key in self._unload_timers:
            return
        loop = asyncio.get_running_loop()
        self._unload_timers[key] = loop.call_later(
            self.limits.idle_unload_seconds, self._unload_if_idle, key, room)

    def _unload_if_idle(self, key: tuple[str, str], room: Room) -> None:
        self._unload_timers.pop(key, None)
        if room.idle and self._rooms.get(key) is room:
            del self._rooms[key]
            log.debug("room %s unloaded after %.0f s idle", room.key,
                      self.limits.idle_unload_seconds)
