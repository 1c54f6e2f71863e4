"""A room: its connections, its party instance, its storage, its alarm.

Adapters drive a room with four calls: :meth:`Room.connect`,
:meth:`Room.feed` (each incoming frame), :meth:`Room.drop` (the socket is
gone) and :meth:`Room.request`. The party talks back through
:meth:`Room.broadcast`, :meth:`Connection.send` and :attr:`Room.storage`.
Nothing here knows what a socket is.

Every event (a connection, a frame, a close, a request, an alarm) passes the
room's input gate first when the party has one (:mod:`.gate`).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import Awaitable, Collection, Iterable, Iterator
from typing import TYPE_CHECKING, Any

from ..errors import PartyWidgetError, ProtocolError
from ..protocol.close import CloseCode
from ..protocol.outgoing import Outgoing
from ..storage.base import RoomStorage, Storage
from .backplane import Broadcast, OffsetOrder
from .connection import Connection, ConnectionContext, User
from .context import RoomContext
from .gate import InputGate
from .http import Request, Response
from .limits import Limits
from .party import Party
from .pipeline import Pipeline

if TYPE_CHECKING:
    from .host import RoomHost

__all__ = ["IdConflict", "Room"]

log = logging.getLogger("partywidget")

#: Where a room keeps its alarm time, in its host-private (meta) storage.
ALARM_KEY = "alarm"
#: Where a room keeps the usernames a moderator removed, in its meta storage:
#: a removal outlives the room's unloading and the host's restart.
REMOVED_KEY = "removed"
REMOVED_REASON = "removed from this room by a moderator"
#: The room core's own backplane signal (parties' signals are JSON objects without it).
REMOVED_SIGNAL = "\u0000removed"
#: The room core's signal that the stored alarm changed (its time, or None: deleted).
ALARM_SIGNAL = "\u0000alarm"
#: Storage namespace for the host's own per-room data (alarms); kept apart
#: from the party's keys so ``storage.list()`` shows only what the party put.
META_PREFIX = "\x00meta:"


class IdConflict(PartyWidgetError):
    """A live connection of *another* user already has this ``_pk`` (HTTP 409)."""


class Room:
    """One room of one party. Created by :class:`~partywidget.rooms.host.RoomHost`.

    ``limits`` are the host's with the party's own options applied
    (:meth:`Limits.for_party`).
    """

    def __init__(self, host: RoomHost, party_name: str, id: str, party_class: type[Party],
                 storage: Storage, limits: Limits) -> None:
        self.id = id
        self.name = party_name
        self.limits = limits
        #: The input gate, for parties that have one (``Party.input_gate``).
        self.gate = InputGate() if party_class.input_gate else None
        gate: contextlib.AbstractContextManager[Any] = self.gate or contextlib.nullcontext()
        opts = dict(max_key_bytes=limits.max_key_bytes, max_value_bytes=limits.max_value_bytes,
                    history=limits.history, gate=gate)
        self.storage = RoomStorage(storage, self.key, **opts)
        self._meta = RoomStorage(storage, META_PREFIX + self.key, **opts)
        #: Other rooms of this host (``context.parties[name].get(room)``).
        self.context = RoomContext(host, party_name, id)
        self._host = host
        self._party_class = party_class
        self._party: Party | None = None
        self._start_lock = asyncio.Lock()
        self._connections: dict[str, Connection] = {}
        #: Usernames a moderator removed (loaded by :meth:`start`).
        self._removed: frozenset[str] = frozenset()
        #: Requests being served and alarm hooks running: both keep the room loaded.
        self._busy = 0
        self._alarm_at: float | None = None
        self._alarm_handle: asyncio.TimerHandle | None = None
        self._alarm_task: asyncio.Future[None] | None = None
        #: Several processes share this room through it (None: this process only).
        self._backplane = host.backplane
        self._order = OffsetOrder(self._received)
        #: What the backplane delivered while ``on_start`` ran (None: not starting):
        #: replayed in order to the party once it is set, so none bypasses it.
        self._early: list[Broadcast] | None = None

    def __repr__(self) -> str:
        return f"<Room {self.name}/{self.id} connections={len(self._connections)}>"

    @property
    def key(self) -> str:
        """``party/room``: how storage and logs name this room."""
        return f"{self.name}/{self.id}"

    @property
    def party(self) -> Party | None:
        """The party instance, once ``on_start`` has succeeded."""
        return self._party

    # lifecycle ---------------------------------------------------------------

    async def start(self) -> Party:
        """Create the party and await ``on_start`` once; a failure is retried next time."""
        if self._party is not None:
            return self._party
        async with self._start_lock:
            if self._party is None:
                if self._backplane is not None:
                    self._early = []
                    await self._backplane.subscribe(self.key, self._heard)
                    # Offsets up to the top were published before we listened:
                    # the next one heard must be top + 1 (one order for all).
                    self._order.start_after((await self.storage.log.state()).top)
                # Read after listening, and merged: a removal heard meanwhile stays.
                removed = await self._meta.get(REMOVED_KEY)
                self._removed |= frozenset(removed if isinstance(removed, list) else ())
                party = self._party_class(self)
                try:
                    await party.on_start()
                except BaseException:
                    # A retry reads storage afresh, which holds what was heard meanwhile.
                    self._early = None
                    raise
                self._party = party
                self._replay_early()
                alarm = await self._meta.get(ALARM_KEY)
                if isinstance(alarm, (int, float)):
                    self._schedule_alarm(float(alarm))
        return self._party

    @property
    def idle(self) -> bool:
        """No connections, no request or alarm hook in flight, and no alarm pending."""
        return not self._connections and not self._busy and self._alarm_at is None

    async def _admitted(self) -> None:
        """Wait until the input gate lets this event in (at once without a gate)."""
        if self.gate is not None:
            await self.gate.wait()

    # connections -------------------------------------------------------------

    @property
    def connections(self) -> dict[str, Connection]:
        """Open connections by id (a copy: iterate freely)."""
        return dict(self._connections)

    def get_connection(self, id: str) -> Connection | None:
        return self._connections.get(id)

    def get_connections(self, tag: str | None = None) -> Iterator[Connection]:
        """Every connection, or those carrying ``tag``."""
        for conn in list(self._connections.values()):
            if tag is None or tag in conn.tags:
                yield conn

    def check_id(self, id: str, user: User) -> None:
        """Refuse a ``_pk`` held by another user's live connection (no hijacking).

        The same user presenting a live id (a reconnect racing its own
        half-open socket) is allowed: :meth:`connect` replaces the old one.
        """
        current = self._connections.get(id)
        if current is not None and current.user.get("username") != user.get("username"):
            raise IdConflict(f"connection id {id[:40]!r} is in use by another user")

    def is_removed(self, user: User) -> bool:
        """Whether a moderator removed ``user`` from this room (moderators never are)."""
        return not user.get("moderator") and user.get("username") in self._removed

    async def remove_user(self, username: str) -> None:
        """Remove ``username`` for good: close their connections with 4003, refuse their joins
        and their HTTP requests, here and after the room reloads (issue 17, item 1), and on
        every process that shares the room (through the backplane).

        The room core enforces it on every path in (:meth:`connect`, :meth:`request`, and
        so every party and the kernel relay), so no party has to remember to.
        """
        if username not in self._removed:
            await self._meta.put(REMOVED_KEY, sorted(self._removed | {username}))
        self._turn_away(username)
        if self._backplane is not None:
            self._backplane.publish(self.key, Broadcast(signal={REMOVED_SIGNAL: username},
                                                        origin=self._backplane.id))

    def _turn_away(self, username: str) -> None:
        """Refuse ``username`` from now on and close their connections here."""
        self._removed = self._removed | {username}
        for conn in self.get_connections():
            if conn.user.get("username") == username:
                conn.close(CloseCode.REMOVED, REMOVED_REASON)

    async def connect(self, conn: Connection, ctx: ConnectionContext) -> bool:
        """Admit ``conn``: start the room if needed, then ``on_connect``.

        Returns False (and closes ``conn`` with 1011) if the party failed.
        """
        await self._admitted()
        try:
            party = await self.start()
        except Exception:
            log.exception("room %s: on_start failed; connection %r refused", self.key, conn.id)
            conn.close(CloseCode.INTERNAL_ERROR, "room failed to start")
            self._host.release(self)
            return False
        if not conn.open:
            # The socket closed while the room started: its disconnect found
            # nothing to remove, so admitting it now would leave a ghost.
            self._host.release(self)
            return False
        try:
            self.check_id(conn.id, conn.user)
        except IdConflict as exc:
            conn.close(CloseCode.POLICY_VIOLATION, str(exc))
            self._host.release(self)
            return False
        if self.is_removed(conn.user):  # before on_connect: the party never sees it
            conn.close(CloseCode.REMOVED, REMOVED_REASON)
            self._host.release(self)
            return False
        full = self._full_for(conn)
        if full:
            conn.close(CloseCode.TRY_AGAIN_LATER, full)
            self._host.release(self)
            return False
        if party.max_concurrent_messages > 1:
            conn.pipeline = Pipeline(party.max_concurrent_messages)
        old = self._connections.pop(conn.id, None)
        if old is not None:
            old._room = None
            reason = "replaced by a newer connection with the same id"
            old.close(CloseCode.REPLACED, reason)
            await self._call(party.on_close, old, CloseCode.REPLACED, reason)
        conn._room = self
        self._connections[conn.id] = conn
        self._host.stats.connections_opened += 1
        try:
            if self._backplane is not None:
                await self._backplane.add_member(self.key, conn.id, conn.info())
            conn.set_tags(party.get_connection_tags(conn, ctx))
            await party.on_connect(conn, ctx)
        except Exception as exc:
            await self._hook_failed(conn, exc, "on_connect")
            return False
        return True

    def _full_for(self, conn: Connection) -> str:
        """Why ``conn`` would be one connection too many ("" if it is not).

        Bounds what one token holder can make the room do (issue 17, item 7):
        a replaced connection (same id) does not count.
        """
        others = [c for c in self._connections.values() if c.id != conn.id]
        if len(others) >= self.limits.max_connections_per_room:
            return f"room full ({self.limits.max_connections_per_room} connections)"
        username = conn.user.get("username")
        mine = sum(1 for c in others if c.user.get("username") == username)
        if mine >= self.limits.max_connections_per_user:
            return (f"too many connections of this user in this room "
                    f"({self.limits.max_connections_per_user})")
        return ""

    def feed(self, conn: Connection, message: str | bytes) -> Awaitable[None] | None:
        """A frame arrived from ``conn``; the adapter awaits what this returns, if anything,
        before it reads that socket's next frame (see :mod:`.pipeline`)."""
        pipeline = conn.pipeline
        if pipeline is None:
            return self.receive(conn, message)
        return pipeline.submit(self.receive(conn, message))

    async def receive(self, conn: Connection, message: str | bytes) -> None:
        """A frame from ``conn``: rate-limit it, then ``on_message``."""
        party = self._party
        if party is None or conn._room is not self or not conn.open:
            return
        self._host.stats.messages_in += 1
        # Limits.bytes_per_second counts bytes on the wire: UTF-8 for text.
        # (isascii() is O(1) in CPython: the flag is stored on the string.)
        size = len(message) if isinstance(message, bytes) or message.isascii() else len(
            message.encode("utf-8", "surrogatepass"))
        if not conn.admit(size):
            if conn.open:
                self._refuse(party, conn, message, ProtocolError(
                    "rate_limited",
                    f"expected at most {self.limits.messages_per_second:g} messages and "
                    f"{self.limits.bytes_per_second} bytes per second; this one was dropped"))
            return
        if isinstance(message, bytes) and not party.accepts_binary:
            conn.close(CloseCode.POLICY_VIOLATION, "this party accepts text frames only")
            return
        if self.gate is not None:
            await self.gate.wait()
            if not conn.open:
                return
        try:
            await party.on_message(message, conn)
        except ProtocolError as exc:
            self._refuse(party, conn, message, exc)
        except Exception as exc:
            await self._hook_failed(conn, exc, "on_message")

    def _refuse(self, party: Party, conn: Connection, message: str | bytes,
                error: ProtocolError) -> None:
        """Tell ``conn`` its ``message`` was refused, in the party's words (``error_message``)."""
        self._host.stats.refused[error.code] += 1
        try:
            reply = party.error_message(conn, message, error.code, str(error))
        except Exception:
            log.exception("room %s: error_message raised", self.key)
            reply = None
        if reply is not None:
            conn.send(reply)

    def drop(self, conn: Connection, code: int | None = None, reason: str = "") -> None:
        """The adapter saw ``conn``'s socket close: run :meth:`disconnect` soon, once."""
        if not conn.open and conn._room is not self:
            return
        conn.open = False
        self._host.track(self.disconnect(conn, code, reason))

    async def disconnect(self, conn: Connection, code: int | None = None,
                         reason: str = "") -> None:
        """``conn`` is gone (either side closed). Runs ``on_close`` once.

        ``code``/``reason`` are the client's close frame; a close the server
        started keeps the server's.
        """
        conn.open = False
        if conn.close_code is None:
            conn.close_code, conn.close_reason = code, reason
        if conn._room is not self or self._connections.get(conn.id) is not conn:
            return
        del self._connections[conn.id]
        conn._room = None
        if self._backplane is not None:
            await self._backplane.remove_member(self.key, conn.id)
        if self._party is not None:
            await self._admitted()
            await self._call(self._party.on_close, conn, conn.close_code, conn.close_reason)
        self._host.release(self)

    def broadcast(self, message: Any, exclude: Iterable[str] = (), *, offset: int = 0) -> None:
        """Send to every connection but those in ``exclude``, encoded once.

        ``offset``: the log offset the message announces, if any (processes
        sharing the room deliver such messages in offset order). Either way
        it reaches connections through :meth:`Party.on_broadcast`: here at
        once (after any offset still missing), elsewhere through the backplane.
        """
        if isinstance(exclude, str):  # set("abc") would skip "a", "b" and "c"
            raise TypeError(f"expected exclude as a list of connection ids, got the "
                            f"string {exclude[:40]!r}")
        out = Outgoing.of(message)
        if self._backplane is not None:
            item = Broadcast(out, tuple(exclude), offset, origin=self._backplane.id)
            self._backplane.publish(self.key, item)
            self._order.feed(item)  # its echo from the backplane is skipped
        else:
            self._deliver(out, exclude, offset)

    def signal(self, data: dict[str, Any]) -> None:
        """Call :meth:`Party.on_signal` of this party on every process (this one at once).

        Keys starting with NUL are the room core's own signals (a removal, an alarm):
        refused, so a party forwarding a client's JSON cannot forge them (docs/security.md).
        ``data`` must be strict JSON (``TypeError``/``ValueError`` here, to the caller):
        one that cannot cross the backplane would otherwise fail in its writer.
        """
        if any(isinstance(key, str) and key.startswith("\u0000") for key in data):
            raise ValueError("signal keys starting with NUL are reserved for the room core")
        json.dumps(data, allow_nan=False)
        if self._party is not None:
            self._party.on_signal(data)
        if self._backplane is not None:
            self._backplane.publish(self.key, Broadcast(signal=data, origin=self._backplane.id))

    async def users(self) -> list[dict[str, Any]]:
        """Presence: every connection's info, on every process sharing this room."""
        if self._backplane is not None:
            return await self._backplane.members(self.key)
        return [conn.info() for conn in self._connections.values()]

    def deliver_local(self, message: Outgoing, exclude: Iterable[str] = ()) -> None:
        """Hand ``message`` to this process's connections but those in ``exclude``.

        Never waits on a socket: each connection's transport queues the same
        bytes, and a client that stopped reading is cut off by its queue bound.
        """
        out = message
        if exclude:
            skip = set(exclude)
            targets = [conn for conn in self._connections.values() if conn.id not in skip]
        else:
            targets = list(self._connections.values())
        self._host.stats.deliveries += len(targets)  # once per broadcast, not per connection
        for conn in targets:
            conn.deliver(out)

    def _heard(self, item: Broadcast | None) -> None:
        """What the backplane delivers: broadcasts in publish order, or None when it
        lost its subscription (frames may be missing): the room is unloaded, its
        clients closed with 1001 reconnect and resume from storage, and the next
        use loads it afresh, listening again before it reads anything."""
        if item is None:
            self._host.track(self._host.reload(self))
        elif self._backplane is not None and item.origin != self._backplane.id:
            self._order.feed(item)  # ours went out when we sent them

    def _replay_early(self) -> None:
        """Hand the party, in order, what the backplane delivered while it started."""
        early, self._early = self._early or [], None
        for item in early:
            self._received(item)

    def _received(self, item: Broadcast) -> None:
        """A broadcast or a signal of this room from the backplane, in offset order.

        While the party starts it is queued (the yjs party applies other
        processes' updates and locks only through its hooks) and replayed after.
        """
        if self._early is not None:
            self._early.append(item)
            return
        if item.signal is not None:
            removed = item.signal.get(REMOVED_SIGNAL)
            if isinstance(removed, str):  # another process's remove_user: stored already
                self._turn_away(removed)
            elif ALARM_SIGNAL in item.signal:  # another process's set/delete_alarm: stored
                self._alarm_moved(item.signal[ALARM_SIGNAL])
            elif self._party is not None:
                self._party.on_signal(item.signal)
        elif item.message is not None:
            self._deliver(item.message, item.exclude, item.offset)

    def _deliver(self, message: Outgoing, exclude: Collection[str], offset: int) -> None:
        """A broadcast reached this process: through the party, once it started."""
        if self._party is None:
            self.deliver_local(message, exclude)
        else:
            self._party.on_broadcast(message, exclude, offset)

    async def _hook_failed(self, conn: Connection, exc: BaseException, hook: str) -> None:
        log.error("room %s: %s raised for connection %r", self.key, hook, conn.id,
                  exc_info=exc)
        if self._party is not None:
            await self._call(self._party.on_error, conn, exc)
        # 1011 without details: the reason is in the server log, not on the wire.
        conn.close(CloseCode.INTERNAL_ERROR, "internal error")
        await self.disconnect(conn)

    async def _call(self, hook: Any, *args: Any) -> None:
        try:
            await hook(*args)
        except Exception:
            log.exception("room %s: %s raised", self.key, getattr(hook, "__name__", hook))

    # HTTP --------------------------------------------------------------------

    async def request(self, request: Request) -> Response:
        """Serve HTTP through ``on_request``; errors become 400/500 JSON, never tracebacks."""
        self._busy += 1
        try:
            await self._admitted()
            party = await self.start()
            if self.is_removed(request.user):
                return Response.error("removed", REMOVED_REASON, 403)
            response = await party.on_request(request)
            if not isinstance(response, Response):
                raise TypeError(f"expected on_request to return a Response, got "
                                f"{type(response).__name__}")
            return response
        except ProtocolError as exc:
            return Response.error(exc.code, str(exc), 400)
        except Exception:
            log.exception("room %s: on_request failed", self.key)
            return Response.error("internal", "internal error (see the server log)", 500)
        finally:
            self._busy -= 1
            self._host.release(self)

    # alarms ------------------------------------------------------------------

    async def set_alarm(self, when: float) -> None:
        """Call ``on_alarm`` at ``when`` (Unix seconds); replaces any earlier alarm.

        The alarm is stored and keeps the room loaded; after a restart the host
        loads the room when its alarm is due, as PartyKit wakes a sleeping room.
        """
        # Reschedule before storing: the replaced alarm must not fire (and
        # delete the stored key) while the new one is being written.
        self._schedule_alarm(float(when))
        try:
            await self._meta.put(ALARM_KEY, float(when))
        except BaseException:
            self._cancel_alarm()
            raise
        self._tell_alarm(float(when))

    async def get_alarm(self) -> float | None:
        return self._alarm_at

    async def delete_alarm(self) -> None:
        """Cancel the alarm, here and in storage."""
        self._cancel_alarm()  # first, so it cannot fire while storage catches up
        await self._meta.delete(ALARM_KEY)
        self._tell_alarm(None)
        self._host.release(self)

    def _tell_alarm(self, when: float | None) -> None:
        """Let every process that has this room loaded schedule (or drop) the stored
        alarm, so it fires even if this process is gone by then; the claim in
        :meth:`_claim_alarm` still lets only one of them fire it."""
        if self._backplane is not None:
            self._backplane.publish(self.key, Broadcast(signal={ALARM_SIGNAL: when},
                                                        origin=self._backplane.id))

    def _alarm_moved(self, when: Any) -> None:
        """Another process set (a time) or deleted (None) this room's stored alarm."""
        if isinstance(when, (int, float)):
            self._schedule_alarm(float(when))
        else:
            self._cancel_alarm()
            self._host.release(self)

    def _schedule_alarm(self, when: float) -> None:
        self._cancel_alarm()
        self._alarm_at = when
        delay = max(0.0, when - time.time())
        self._alarm_handle = asyncio.get_running_loop().call_later(delay, self._alarm_due)

    def _alarm_due(self) -> None:
        # Keep a reference: the event loop holds tasks only weakly (asyncio docs).
        self._alarm_task = asyncio.ensure_future(self._fire_alarm())

    def _cancel_alarm(self) -> None:
        if self._alarm_handle is not None:
            self._alarm_handle.cancel()
        self._alarm_handle = None
        self._alarm_at = None

    async def _fire_alarm(self) -> None:
        when = self._alarm_at
        self._alarm_handle = None
        self._alarm_at = None
        self._busy += 1
        try:
            await self._admitted()
            if self._backplane is not None:
                if not await self._claim_alarm(when):
                    return
            else:
                await self._meta.delete(ALARM_KEY)
            party = await self.start()
            await party.on_alarm()
        except Exception:
            log.exception("room %s: on_alarm failed", self.key)
        finally:
            self._busy -= 1
            self._host.release(self)

    async def _claim_alarm(self, when: float | None) -> bool:
        """Processes sharing this room all schedule its alarm; the one whose
        delete removes the stored time fires it (once per room). A time replaced
        meanwhile (by another process) is scheduled instead."""
        stored = await self._meta.get(ALARM_KEY)
        if stored != when:
            if isinstance(stored, (int, float)) and self._alarm_at is None:
                self._schedule_alarm(float(stored))
            return False
        return await self._meta.delete(ALARM_KEY)

    async def unload(self, code: int = CloseCode.GOING_AWAY, reason: str = "room unloaded") -> None:
        """Close every connection (clients reconnect and resume) and cancel the alarm."""
        if self._alarm_handle is not None:
            self._alarm_handle.cancel()
        for conn in list(self._connections.values()):
            conn.close(code, reason)
            await self.disconnect(conn)
        await self.forget()

    async def forget(self) -> None:
        """Stop listening to the backplane (the room is no longer loaded here)."""
        self._order.close()
        if self._backplane is not None:
            await self._backplane.unsubscribe(self.key, self._heard)
