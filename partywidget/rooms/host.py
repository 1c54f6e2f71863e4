"""``RoomHost``: the registry of parties and loaded rooms, and the room lifecycle.

One lifecycle for every adapter: a room is created on first use (after the
request was authenticated and authorized, never before), ``on_start`` is awaited
before its first connection or request is served, and it is unloaded once it
has had no connection, request or alarm for ``Limits.idle_unload_seconds``.
Each user may load at most ``Limits.room_loads_per_minute`` rooms a minute:
every name looked at is a room in memory until it unloads.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Coroutine, Mapping
from typing import Any

from ..errors import PartyWidgetError, TooManyRooms, UnknownParty
from ..protocol.close import CloseCode
from ..protocol.names import check_name
from ..protocol.ratelimit import TokenBucket
from ..storage.base import Storage
from .backplane import Backplane
from .context import Lobby, Parties, room_caller
from .http import Request, Response
from .identity import ConnectionIds
from .limits import Limits
from .party import Party
from .room import ALARM_KEY, META_PREFIX, Room
from .stats import HostStats

__all__ = ["RoomHost"]

log = logging.getLogger("partywidget")


class RoomHost:
    """All rooms of one process, over one :class:`~partywidget.storage.Storage`.

    ``parties`` maps party names to :class:`Party` subclasses; ``limits`` are
    the host's, which each party may change for its rooms (``Party`` options).
    ``backplane`` shares rooms with other processes (docs/scaling.md).
    """

    def __init__(self, storage: Storage, parties: Mapping[str, type[Party]], *,
                 limits: Limits | None = None, backplane: Backplane | None = None) -> None:
        for name, cls in parties.items():
            check_name("party", name)
            if not (isinstance(cls, type) and issubclass(cls, Party)):
                raise TypeError(f"expected a Party subclass for party {name!r}, got {cls!r}")
        self.storage = storage
        self.backplane = backplane
        #: Counters for operators (``/metrics``); storage reports append latency to them.
        self.stats = HostStats()
        storage.append_observer = self.stats.append_seconds.observe
        self.parties = dict(parties)
        self.limits = limits or Limits()
        #: Each party's limits: the host's with the party's options applied.
        self.party_limits = {name: self.limits.for_party(cls) for name, cls in parties.items()}
        self._rooms: dict[tuple[str, str], Room] = {}
        #: Connection ids namespaced by user; the stored secret replaces this one at start.
        self.ids = ConnectionIds()
        self._unload_timers: dict[tuple[str, str], asyncio.TimerHandle] = {}
        self._closed = False
        self._started: asyncio.Task[None] | None = None
        self._wakeups: list[asyncio.TimerHandle] = []
        self._sweeper: asyncio.Future[None] | None = None
        #: Tasks the host started and must not lose (the loop holds tasks only weakly).
        self._tasks: set[asyncio.Future[Any]] = set()
        #: Room loads per user (token buckets); full buckets are forgotten in sweeps.
        self._room_loads: dict[str, TokenBucket] = {}
        self._sweep_loads_at = 64

    def __repr__(self) -> str:
        return f"<RoomHost parties={sorted(self.parties)} rooms={len(self._rooms)}>"

    async def start(self) -> None:
        """Open storage once; safe to await from every request (cheap after the first)."""
        if self._started is None:
            self._started = asyncio.ensure_future(self._open())
        await asyncio.shield(self._started)

    async def _open(self) -> None:
        await self.storage.start()
        self.ids = await ConnectionIds.load(self.storage)
        if self.backplane is not None:
            await self.backplane.start()
            self._sweeper = asyncio.ensure_future(self._sweep(self.backplane))
        # PartyKit semantics: an alarm wakes its room even if nobody visits it.
        # Rooms are not loaded at boot; each is loaded when its alarm is due
        # (``Room.start`` then schedules the stored alarm, which fires at once).
        alarms = await self.storage.find(ALARM_KEY, room_prefix=META_PREFIX)
        loop = asyncio.get_running_loop()
        for meta_room, when in alarms.items():
            party, _, room_id = meta_room[len(META_PREFIX):].partition("/")
            try:
                self.check(party, room_id)  # a party no longer registered keeps its alarm
            except PartyWidgetError:
                continue
            if isinstance(when, (int, float)):
                self._wakeups.append(loop.call_later(
                    max(0.0, when - time.time()), self._wake, party, room_id))

    async def _sweep(self, backplane: Backplane) -> None:
        """Announce the members of dead processes, in loaded rooms, within the expiry."""
        while not self._closed:
            await asyncio.sleep(backplane.member_expiry / 3)
            for room in list(self._rooms.values()):
                if room.party is None:
                    continue
                try:
                    lost = await backplane.claim_lost(room.key)
                except Exception as exc:  # the backplane is down: try again next round
                    log.warning("room %s: presence sweep failed: %s", room.key, exc)
                    break
                for member in lost:
                    room.party.on_member_lost(member)

    def _wake(self, party: str, room_id: str) -> None:
        self.track(self._load_for_alarm(party, room_id))

    def track(self, work: Coroutine[Any, Any, Any]) -> None:
        """Run ``work`` as a task the host keeps until it is done (and awaits on close)."""
        task = asyncio.ensure_future(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

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
        if self._sweeper is not None:
            self._sweeper.cancel()
            await asyncio.gather(self._sweeper, return_exceptions=True)
        if self._tasks:
            await asyncio.wait(list(self._tasks), timeout=10)
        if self.backplane is not None:
            await self.backplane.close()
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

    def loaded(self, party: str, room_id: str) -> Room | None:
        """The room if it is loaded now; never creates one."""
        return self._rooms.get((party, room_id))

    def room(self, party: str, room_id: str, *, loader: str | None = None) -> Room:
        """The loaded room, created (not started) if needed. Call after auth.

        ``loader`` names the user a client request comes from: loading a room
        that is not loaded counts against their ``room_loads_per_minute``
        (:class:`TooManyRooms` past it; 0 means no limit). Alarms and parties'
        calls name nobody.
        """
        self.check(party, room_id)
        key = (party, room_id)
        room = self._rooms.get(key)
        if room is None and loader is not None and self.limits.room_loads_per_minute:
            self._charge_room_load(loader)
        timer = self._unload_timers.pop(key, None)
        if timer is not None:
            timer.cancel()
        if room is None:
            room = Room(self, party, room_id, self.parties[party], self.storage,
                        self.party_limits[party])
            self._rooms[key] = room
        return room

    def _charge_room_load(self, loader: str) -> None:
        per_minute = self.limits.room_loads_per_minute
        bucket = self._room_loads.get(loader)
        if bucket is None:
            self._sweep_room_loads()
            bucket = self._room_loads[loader] = TokenBucket(per_minute / 60.0, per_minute)
        if not bucket.allow():
            raise TooManyRooms(f"{loader!r} loaded {per_minute} rooms in the last minute; "
                               "wait, or raise room_loads_per_minute")

    def _sweep_room_loads(self) -> None:
        """Forget users whose bucket refilled (amortized: when the map doubled)."""
        if len(self._room_loads) < self._sweep_loads_at:
            return
        for user, bucket in list(self._room_loads.items()):
            bucket.allow(0)  # refills by the time passed
            if bucket.tokens >= bucket.capacity:
                del self._room_loads[user]
        self._sweep_loads_at = max(64, 2 * len(self._room_loads))

    async def before_connect(self, party: str, room_id: str,
                             request: Request) -> Request | Response:
        """The party's ``on_before_connect``, after the host's auth, before any room exists."""
        self.check(party, room_id)
        cls = self.parties[party]
        return await self._before(cls.on_before_connect, party, room_id, request)

    async def before_request(self, party: str, room_id: str,
                             request: Request) -> Request | Response:
        """The party's ``on_before_request``, after the host's auth, before any room exists."""
        self.check(party, room_id)
        cls = self.parties[party]
        return await self._before(cls.on_before_request, party, room_id, request)

    async def _before(self, hook: Any, party: str, room_id: str,
                      request: Request) -> Request | Response:
        lobby = Lobby(party, room_id, Parties(self, room_caller(party, room_id)))
        try:
            result = await hook(request, lobby)
        except Exception:
            log.exception("party %s: %s raised for room %r", party, hook.__name__, room_id)
            return Response.error("internal", "internal error (see the server log)", 500)
        if not isinstance(result, (Request, Response)):
            log.error("party %s: %s returned %s, expected a Request or a Response", party,
                      hook.__name__, type(result).__name__)
            return Response.error("internal", "internal error (see the server log)", 500)
        return result

    def release(self, room: Room) -> None:
        """Called when a room may have become idle: unload it after the idle delay."""
        key = (room.name, room.id)
        if self._closed or not room.idle or self._rooms.get(key) is not room:
            return
        if key in self._unload_timers:
            return
        loop = asyncio.get_running_loop()
        self._unload_timers[key] = loop.call_later(
            room.limits.idle_unload_seconds, self._unload_if_idle, key, room)

    async def reload(self, room: Room) -> None:
        """Unload ``room`` now (its broadcast stream broke); the next use loads it afresh."""
        key = (room.name, room.id)
        if self._rooms.get(key) is room:
            del self._rooms[key]
            timer = self._unload_timers.pop(key, None)
            if timer is not None:
                timer.cancel()
        await room.unload(CloseCode.GOING_AWAY, "lost the room's message stream; reconnect")

    def _unload_if_idle(self, key: tuple[str, str], room: Room) -> None:
        self._unload_timers.pop(key, None)
        if room.idle and self._rooms.get(key) is room:
            del self._rooms[key]
            self.track(room.forget())
            log.debug("room %s unloaded after %.0f s idle", room.key,
                      room.limits.idle_unload_seconds)
