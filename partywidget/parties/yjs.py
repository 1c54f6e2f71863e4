"""The ``yjs`` party: one Yjs document per room, spoken to in y-websocket's protocol.

Stock providers (y-websocket's ``WebsocketProvider``, y-partyserver's
``YProvider``) and pycrdt kernels share the document. The server holds it in a
``pycrdt.Doc`` (the CRDT is pycrdt's; the framing is :mod:`partywidget.protocol.yjs`):

* on connect the server sends its SyncStep1 and the awareness states it knows;
  it answers a SyncStep1 with SyncStep2, applies every SyncStep2 and Update,
  stores it (:class:`~.yjs_store.DocumentStore`), then relays it to everyone
  else: an update anyone has received is stored (docs/yjs.md, "Durability");
* awareness: the ``user`` of every state is overwritten with the connection's
  authenticated user (y-protocols' PROTOCOL.md leaves identity to the server);
  a clientID belongs to the connection that announced it first, others' echoes
  of it are ignored, and its states are removed when that connection closes;
* a moderator's lock (``{"type": "lock", "locked": true}`` as a text frame,
  also behind y-partyserver's ``__YPS:`` prefix) makes the document read-only
  for everyone else: their updates are dropped, and each is told once;
  connections that asked (``?controls=1``) get :class:`~.yjs.Access` on
  connect and on every change;
* several processes (``serve --redis``): each holds the document and applies
  the updates the others relay (:meth:`YjsParty.on_broadcast`); the lock
  travels as a room signal;
* refusals reach providers as y-protocols' permission-denied message, never
  as JSON text (which y-websocket cannot read).
"""

from __future__ import annotations

import time
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from ..errors import ProtocolError
from ..protocol import yjs
from ..protocol.frames import Lock, Locked, error_frame, parse_object
from ..protocol.outgoing import Outgoing
from ..rooms import Connection, ConnectionContext, Party
from .yjs_store import DocumentStore

__all__ = ["YjsParty"]

#: Removed awareness clientIDs remembered per room (their clocks).
MAX_REMOVED = 10_000
#: Seconds between two SyncStep1 sent to one rate-limited connection.
RESYNC_INTERVAL = 1.0
#: How every relayed update frame starts: ``[0 sync, 2 update]``.
RELAYED_UPDATE = bytes((yjs.MessageType.SYNC, yjs.SyncType.UPDATE))
#: The state vector of an empty document (``varUint(0)`` clients).
EMPTY_STATE_VECTOR = b"\x00"


@dataclass
class Peer:
    """What the party remembers about one connection (``connection.state``)."""

    #: Awareness clientIDs this connection announced (removed when it closes).
    client_ids: set[int] = field(default_factory=set)
    #: Told that the room is locked (once per connection).
    told_locked: bool = False
    #: When (monotonic seconds) a SyncStep1 last answered a dropped frame.
    resync_at: float = -RESYNC_INTERVAL
    #: Asked for :class:`~partywidget.protocol.yjs.Access` text frames (``?controls=1``).
    controls: bool = False


class YjsParty(Party):
    """A shared Yjs document with server-stamped awareness, storage and a read-only lock."""

    accepts_binary = True
    # Updates only append to storage and need no read-modify-write: no input
    # gate, and a burst of one client's updates shares one group commit.
    input_gate = False
    max_concurrent_messages = 16
    # Awareness at pointer rate is far above the chat's 50/s, and the stock
    # providers re-send every awareness change they apply (y-websocket's
    # _awarenessUpdateHandler has no origin check): in a room of N people
    # moving pointers at r Hz each socket sends about N * r frames/s. 2000/s
    # covers 60 people at 30 Hz; the byte rate (1 MiB/s) still bounds the work.
    messages_per_second: ClassVar[float | None] = 2000.0
    message_burst: ClassVar[int | None] = 4000
    #: Largest update accepted (bytes); the frame bound (1 MiB) applies first.
    max_update_bytes: ClassVar[int] = 1024 * 1024
    #: Largest stored document (snapshot plus updates since); larger ones refuse updates.
    max_document_bytes: ClassVar[int] = 64 * 1024 * 1024
    #: Compact the update log into a snapshot after this many updates or bytes.
    compact_updates: ClassVar[int] = 500
    compact_bytes: ClassVar[int] = 4 * 1024 * 1024

    async def on_start(self) -> None:
        import pycrdt  # server side only; kernels import it only for partywidget.doc

        self.doc = pycrdt.Doc()
        # Chunks leave room for the storage's own framing of bytes values.
        self.store = DocumentStore(self.room.storage, self.room.limits.max_value_bytes - 1024)
        for update in await self.store.load():
            self.doc.apply_update(update)
        #: clientID -> (clock, stamped JSON state, connection id).
        self.awareness: dict[int, tuple[int, str, str]] = {}
        #: clientID -> last clock of states removed (bounded): a late echo of a
        #: removed state must not bring it back under another connection's name.
        self.removed: dict[int, int] = {}
        self.locked = bool(await self.room.storage.get("locked"))
        self._compacting = False
        #: Changes applied since the room loaded, and the whole document's SyncStep2
        #: at a given count: a class joining at once costs one encoding, not one each.
        self._version = 0
        self._full: tuple[int, Outgoing] | None = None
        #: The update this instance is relaying: its own, already applied (on_broadcast).
        self._relaying: Outgoing | None = None

    # joining and leaving ---------------------------------------------------------------

    async def on_connect(self, connection: Connection, ctx: ConnectionContext) -> None:
        connection.state = peer = Peer(controls=ctx.query.get(yjs.CONTROLS_PARAM) == "1")
        connection.send(yjs.SyncStep1(self.doc.get_state()).serialize())
        if self.awareness:
            connection.send(self.known_awareness())
        if peer.controls:
            connection.send(self.access(connection))

    async def on_close(self, connection: Connection, code: int | None, reason: str) -> None:
        peer = connection.state
        if isinstance(peer, Peer) and peer.client_ids:
            gone = []
            for cid in peer.client_ids:
                clock = self.awareness.pop(cid, (0, "", ""))[0] + 1
                self.forget(cid, clock)
                gone.append(yjs.AwarenessEntry(cid, clock, "null"))
            self.room.broadcast(yjs.Awareness(tuple(gone)).serialize())
        if not self.room.connections and self.store.pending_updates:
            await self.compact()

    # frames ----------------------------------------------------------------------------

    def error_message(self, connection: Connection, message: str | bytes, code: str,
                      text: str) -> str | bytes | None:
        """Refusals in a form the sender reads (see :meth:`Party.error_message`)."""
        if isinstance(message, str):
            return error_frame(code, text)
        peer = connection.state
        if code == "rate_limited":
            # A dropped update would leave this client's edit out of the room until
            # it reconnects: ask it for what the server lacks (its SyncStep2 answers),
            # at most once a second however many frames are dropped.
            now = time.monotonic()
            if isinstance(peer, Peer) and now - peer.resync_at >= RESYNC_INTERVAL:
                peer.resync_at = now
                return yjs.SyncStep1(self.doc.get_state()).serialize()
            return None
        return yjs.PermissionDenied(f"{code}: {text}").serialize()

    async def on_message(self, message: str | bytes, sender: Connection) -> None:
        if isinstance(message, str):
            await self.command(message, sender)
            return
        for msg in yjs.parse_frame(message):
            if isinstance(msg, yjs.SyncStep1):
                sender.send(self.sync_step2(msg.state_vector))
            elif isinstance(msg, (yjs.SyncStep2, yjs.Update)):
                await self.update(msg.update, sender)
            elif isinstance(msg, yjs.Awareness):
                self.awareness_update(msg, sender)
            elif isinstance(msg, yjs.QueryAwareness):
                sender.send(self.known_awareness())

    def sync_step2(self, state_vector: bytes) -> Outgoing:
        """The SyncStep2 answering a client with ``state_vector``: what it lacks."""
        fresh = state_vector == EMPTY_STATE_VECTOR  # a new Y.Doc: it lacks everything
        if fresh and self._full is not None and self._full[0] == self._version:
            return self._full[1]
        try:
            update = self.doc.get_update(state_vector)
        except Exception:  # pycrdt refuses what it cannot decode
            raise ProtocolError("bad_message", "expected a Yjs state vector") from None
        out = Outgoing.of(yjs.SyncStep2(update).serialize())
        if fresh:
            self._full = (self._version, out)
        return out

    def known_awareness(self) -> bytes:
        """Every awareness state the room knows, as one awareness frame."""
        return yjs.Awareness(tuple(yjs.AwarenessEntry(cid, clock, state)
                                   for cid, (clock, state, _) in self.awareness.items())
                             ).serialize()

    async def update(self, update: bytes, sender: Connection) -> None:
        """Apply, store, then relay one document update (sender excluded)."""
        if update == yjs.EMPTY_UPDATE:
            return
        if self.locked and not sender.user.get("moderator"):
            peer = sender.state
            if isinstance(peer, Peer) and not peer.told_locked:
                peer.told_locked = True
                raise ProtocolError("locked", "this document is read-only for now; "
                                              "your changes are not shared")
            return
        if len(update) > self.max_update_bytes:
            raise ProtocolError("too_large", f"expected an update of at most "
                                             f"{self.max_update_bytes} bytes")
        if self.store.stored_bytes + len(update) > self.max_document_bytes:
            raise ProtocolError("too_large", f"this document reached its bound of "
                                             f"{self.max_document_bytes} bytes")
        self._version += 1  # before: even a refused update may have changed something
        try:
            self.doc.apply_update(update)
        except Exception:  # pycrdt refuses what it cannot decode
            raise ProtocolError("bad_update", "expected a Yjs update pycrdt can apply") from None
        await self.store.append(update)
        self._relaying = Outgoing.of(yjs.Update(update).serialize())
        try:
            self.room.broadcast(self._relaying, exclude=[sender.id])
        finally:
            self._relaying = None
        if (self.store.pending_updates >= self.compact_updates
                or self.store.pending_bytes >= self.compact_bytes):
            await self.compact()

    def on_broadcast(self, message: Outgoing, exclude: Collection[str], offset: int) -> None:
        """Relay to this process's connections; apply other processes' updates first.

        Each process sharing the room (``serve --redis``) holds the document:
        an update another process stored reaches this one only as its relay,
        and joiners here must get it in their SyncStep2. Our own relay (offset
        0, delivered at once inside ``room.broadcast``) is applied already.
        """
        # Only Update frames change the document (awareness, at pointer rate, is
        # not even parsed); other processes relay only updates they applied.
        if message is not self._relaying and message.data[:2] == RELAYED_UPDATE:
            for msg in yjs.parse_frame(message.data):
                if isinstance(msg, yjs.Update):
                    self._version += 1
                    self.doc.apply_update(msg.update)
        self.room.deliver_local(message, exclude)

    async def compact(self) -> None:
        """Replace the stored updates by one snapshot of the document (one at a time)."""
        if self._compacting:
            return
        self._compacting = True
        try:
            await self.store.compact(self.doc.get_update())
        finally:
            self._compacting = False

    def awareness_update(self, message: yjs.Awareness, sender: Connection) -> None:
        """Stamp, remember and relay the entries ``sender`` may change."""
        peer = sender.state
        assert isinstance(peer, Peer)
        accepted = []
        for entry in message.entries:
            known = self.awareness.get(entry.client_id)
            if known is None:
                # A clientID is owned by the first connection that announces it
                # alive; echoes of states already removed change nothing.
                if (entry.gone or len(peer.client_ids) >= yjs.MAX_AWARENESS_CLIENTS
                        or entry.clock <= self.removed.get(entry.client_id, -1)):
                    continue
            elif known[2] != sender.id or entry.clock <= known[0]:
                continue  # another connection's client, or not newer (y-protocols' clock rule)
            state = yjs.stamp_user(entry.state, sender.user,
                                   max_depth=self.room.limits.max_json_depth)
            if state is None:
                continue
            if entry.gone:
                self.awareness.pop(entry.client_id, None)
                peer.client_ids.discard(entry.client_id)
                self.forget(entry.client_id, entry.clock)
            else:
                self.awareness[entry.client_id] = (entry.clock, state, sender.id)
                peer.client_ids.add(entry.client_id)
            accepted.append(yjs.AwarenessEntry(entry.client_id, entry.clock, state))
        if accepted:
            self.room.broadcast(yjs.Awareness(tuple(accepted)).serialize(), exclude=[sender.id])

    def forget(self, client_id: int, clock: int) -> None:
        """Remember that ``client_id``'s states up to ``clock`` are removed."""
        self.removed.pop(client_id, None)
        self.removed[client_id] = clock
        if len(self.removed) > MAX_REMOVED:
            del self.removed[next(iter(self.removed))]  # the oldest: dicts keep order

    async def command(self, message: str, sender: Connection) -> None:
        """A JSON text frame (optionally ``__YPS:``-prefixed): only ``lock`` is known."""
        data = parse_object(message.removeprefix(yjs.YPS_PREFIX),
                            max_depth=self.room.limits.max_json_depth)
        if data.get("type") != Lock.type:
            raise ProtocolError("bad_message", "expected binary Yjs frames, or a "
                                               "{\"type\": \"lock\"} text frame")
        if not sender.user.get("moderator"):
            raise ProtocolError("forbidden", "only moderators can lock this document")
        locked = Lock.parse(data).locked
        await self.room.storage.put("locked", locked)
        self.room.signal({"locked": locked})  # every process's instance, this one at once
        sender.send(Locked(locked).serialize())

    def on_signal(self, data: Mapping[str, Any]) -> None:
        """The lock changed (here or on another process): tell each connection again.

        On unlock, a connection whose updates were dropped is sent a SyncStep1:
        a CRDT client keeps its own edits, and later ones build on them, so
        without its SyncStep2 (which holds the dropped ones) its new edits would
        wait, unapplied, until it reconnects (docs/shared-documents.md, "Moderation").
        """
        if "locked" not in data or bool(data["locked"]) == self.locked:
            return  # locking a locked room tells nobody twice
        self.locked = bool(data["locked"])
        for conn in self.room.get_connections():
            peer = conn.state
            if not isinstance(peer, Peer):
                continue
            if not self.locked and peer.told_locked:
                conn.send(yjs.SyncStep1(self.doc.get_state()).serialize())
            peer.told_locked = False
            if peer.controls:
                conn.send(self.access(conn))

    def access(self, connection: Connection) -> str:
        """The :class:`~partywidget.protocol.yjs.Access` frame for ``connection``."""
        return yjs.Access(self.locked, bool(connection.user.get("moderator"))).serialize()
