"""``LogParty``: the join-then-live machinery shared by the chat and the board.

A log party keeps its durable state in the room's log. A joiner gets a
``welcome``, then the retained log as one frame (or, when it resumes with
``?since=<id>&epoch=<epoch>``, exactly the entries after ``since``), then live
frames. Live frames published while the joiner's history is being read wait in
a per-joiner backlog and are forwarded afterwards only if they are newer than
what the history held: no gap, no duplicate, no reordering.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Collection, Mapping
from itertools import islice
from typing import Any, ClassVar

from ..errors import ProtocolError
from ..protocol.frames import (Envelope, Remove, UserJoined, UserLeft, Welcome, log_join_frame,
                               with_offset)
from ..rooms import Connection, ConnectionContext, Outgoing, Party
from ..storage import LogEntry, LogState

__all__ = ["LogParty"]


def int_or_none(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def now_ms() -> int:
    return int(time.time() * 1000)


class LogParty(Party):
    """Base for parties whose state is the room log. Subclasses name the join frame."""

    #: ``type`` of the frame that completes a join, after ``welcome``: the
    #: retained log. Adapters announce it on the upgrade (``Partywidget-Join``)
    #: so a client knows when it has joined, whatever name the party has.
    join_type: ClassVar[str | None] = "history"

    #: The log's appends never lose each other and a removal is idempotent, so
    #: log parties need no input gate, and the gate would serialise the
    #: pipelined appends that share a group commit (docs/performance.md).
    input_gate = False

    async def on_start(self) -> None:
        self.log = self.room.storage.log
        self.joining: dict[str, list[tuple[int, Outgoing]]] = {}
        #: Appends not yet returned, the newest offset published, and an event
        #: set whenever an append returns: a joiner whose history holds entries
        #: still on their way to the broadcast waits for them (see on_connect).
        self.appending = 0
        self.published = 0
        self.appended = asyncio.Event()
        #: Per joined connection, the newest offset its join frame held, while
        #: frames up to it may still arrive (another process's, through the
        #: backplane): they are not delivered to it twice.
        self.floors: dict[str, int] = {}
        #: The newest offset delivered here (published offsets arrive later
        #: through a backplane).
        self.delivered = 0

    def join_frame(self, state: LogState, entries: list[LogEntry], recovered: bool) -> str:
        """The frame that carries the retained log on join (the party's protocol module)."""
        return log_join_frame(self.join_type or "history", "entries",
                              (with_offset(offset, entry) for offset, entry in entries),
                              state.epoch, recovered)

    async def read_since(self, query: Mapping[str, str]) -> tuple[LogState, list[LogEntry], bool]:
        """The log for a (re)joining client: resumed if ``since``/``epoch`` allow it."""
        since = int_or_none(query.get("since"))
        state, entries = await self.log.read()
        recovered = since is not None and state.can_resume(since, query.get("epoch"))
        if recovered:
            entries = [(offset, entry) for offset, entry in entries if offset > since]
        return state, entries, recovered

    def welcome(self, connection: Connection, state: LogState,
                users: list[dict[str, Any]]) -> Welcome:
        """The first frame a joiner gets; subclasses add their own fields."""
        # Bounded (Limits.max_welcome_users): a join must not cost O(room) bytes.
        # The joiner is always listed, last; past the bound, userCount says how many.
        # ``users`` is the room's presence (every process's, with a backplane).
        others = (u for u in users if u.get("id") != connection.id)
        listed = [*islice(others, max(0, self.room.limits.max_welcome_users - 1)),
                  connection.info()]
        total = max(len(users), len(listed))
        return Welcome(self.room.id, self.room.name, connection.id, connection.user,
                       state.epoch, listed, history=self.room.limits.history,
                       user_count=total if total > len(listed) else None)

    async def on_connect(self, connection: Connection, ctx: ConnectionContext) -> None:
        backlog = self.joining[connection.id] = []
        try:
            state, entries, recovered = await self.read_since(ctx.query)
            # The read can see an entry whose append has not returned yet (the
            # storage acknowledges after the commit): its broadcast is still
            # to come. Stay in the backlog until it is published, or the
            # joiner would get it twice (delivery contract: no duplicate).
            while self.appending and self.published < state.top:
                await self.appended.wait()
            users = await self.room.users()
            connection.send(self.welcome(connection, state, users).serialize())
            connection.send(self.join_frame(state, entries, recovered))
        finally:
            # Only our own backlog: a newer connection with the same id may
            # have started joining meanwhile.
            if self.joining.get(connection.id) is backlog:
                del self.joining[connection.id]
        if not connection.open:  # left or was replaced while its history was read
            return
        for offset, out in backlog:
            if offset == 0 or offset > state.top:
                connection.deliver(out)
        if state.top > self.delivered:
            self.floors[connection.id] = state.top
        self.publish(UserJoined(connection.id, connection.user), exclude=(connection.id,))

    async def on_close(self, connection: Connection, code: int | None, reason: str) -> None:
        self.joining.pop(connection.id, None)
        self.floors.pop(connection.id, None)
        self.publish(UserLeft(connection.id, connection.user))

    def on_member_lost(self, member: Mapping[str, Any]) -> None:
        """A connection of a dead process: everyone sees it leave (docs/scaling.md)."""
        self.publish(UserLeft(str(member.get("id", "")), member.get("user") or {}))

    async def remove(self, command: Remove, user: Mapping[str, Any]) -> None:
        """``{"type": "remove", "id": <connection id>}``: a moderator removes a participant.

        Every connection of that user closes with 4003 (clients do not
        reconnect after it); the room core turns away their later joins and
        HTTP requests, for good (:meth:`Room.remove_user`).
        """
        if not user.get("moderator"):
            raise ProtocolError("forbidden", "only moderators can remove participants")
        target = self.room.get_connection(command.id)
        user = target.user if target is not None else next(
            (m.get("user") or {} for m in await self.room.users() if m.get("id") == command.id),
            None)
        if user is None:
            raise ProtocolError("not_found", "expected \"id\": <connection id> of someone in "
                                             "this room")
        await self.room.remove_user(str(user.get("username", "")))

    async def append(self, entry: str) -> int:
        """Persist ``entry`` in the log and return its offset.

        Publish its frame right after, with no ``await`` in between: joiners
        count on every returned append being published in the same step.
        """
        offset, _ = await self.append_once(entry, None)
        return offset

    async def append_once(self, entry: str, key: str | None) -> tuple[int, bool]:
        """:meth:`append`, unless ``key`` was stored already (``(its offset, False)``:
        publish nothing then). Keys are claimed in storage, for every process."""
        self.appending += 1
        try:
            return await self.log.append_once(entry, key)
        finally:
            self.appending -= 1
            self.appended.set()
            self.appended = asyncio.Event()

    def publish(self, frame: Envelope | str, offset: int = 0,
                exclude: tuple[str, ...] = ()) -> None:
        """Broadcast a frame; joiners get it after their history, if it is newer than it.

        ``frame`` is an envelope or the text a protocol module built. ``offset``
        is the log offset the frame announces (0 for frames that are not log
        entries: presence, deletions, ephemeral drawing).
        """
        out = Outgoing.of(frame.serialize() if isinstance(frame, Envelope) else frame)
        self.published = max(self.published, offset)
        self.room.broadcast(out, exclude=exclude, offset=offset)

    def on_broadcast(self, message: Outgoing, exclude: Collection[str], offset: int) -> None:
        """Deliver a frame here: joiners get it after their history, if newer than it."""
        self.delivered = max(self.delivered, offset)
        if not (self.joining or self.floors):
            self.room.deliver_local(message, exclude)
            return
        skip = set(exclude)
        for conn_id, backlog in self.joining.items():
            skip.add(conn_id)
            if conn_id not in exclude:
                backlog.append((offset, message))
        if offset:
            for conn_id, floor in list(self.floors.items()):
                if offset <= floor:
                    skip.add(conn_id)  # its join frame held this one already
                else:  # frames come in offset order: no older one follows
                    del self.floors[conn_id]
        self.room.deliver_local(message, skip)

    async def stored(self, offset: int) -> str | None:
        """The stored entry at ``offset``, if it is still retained."""
        _, entries = await self.log.read(after=offset - 1)
        if entries and entries[0][0] == offset:
            return entries[0][1]
        return None
