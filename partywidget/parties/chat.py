"""The ``main`` party: the PartyKit article's chat server, with durable history.

What it adds to the article (see docs/protocol.md for every message, and
:mod:`partywidget.protocol.chat` for their envelopes):

* history lives in the room's log: one O(1) append per message, persisted
  *before* the broadcast that acknowledges it, with a growing ``id`` offset;
* a client that reconnects with ``?since=<id>&epoch=<epoch>`` gets exactly the
  messages it missed (``recovered: true``) or the whole retained history
  (``recovered: false``), never a partial replay;
* a retried send with the same ``cid`` from the same user is stored once;
* identity (``user``) comes from the host, never from the message;
* moderators can delete messages, clear the room and lock it read-only;
* authors edit their own messages and anyone reacts with emoji: each edit or
  reaction is a log entry naming its target, removed with it on deletion;
* "is typing" frames are relayed to the others, never stored, at most one per
  connection every :data:`~partywidget.protocol.chat.TYPING_INTERVAL` seconds.
"""

from __future__ import annotations

import json
import time
from collections import OrderedDict
from collections.abc import Mapping
from typing import Any

from ..errors import ProtocolError
from ..protocol import chat
from ..protocol.frames import Clear, Lock, Remove, parse_object
from ..protocol.jsonrules import encode_json
from ..rooms import Connection, Request, Response
from ..storage import LogEntry, LogState
from .lockable import LockableParty
from .logged import now_ms

__all__ = ["ChatParty"]

#: How many (user, cid) pairs are remembered for de-duplication.
CID_MEMORY = 10_000


def cid_key(username: str, cid: str) -> str:
    """The storage key that stores a retried ``cid`` once (``append_once``).

    Length-prefixed, so no two ``(username, cid)`` pairs share a key, and
    built without a JSON encode: it is made for every message with a ``cid``.
    """
    return f"{len(username)}:{username}{cid}"


class ChatParty(LockableParty):
    """Chat with history, resume and idempotent sends.

    Deleting and clearing keep the remembered cids: a late retry of a removed
    message is a ``duplicate``, never stored again.
    """

    join_type = chat.JOIN_TYPE
    # A post's one await is its log append, and storage runs appends in
    # submission order: acknowledgements keep the send order while a burst
    # from one client is stored in one group commit (docs/performance.md).
    max_concurrent_messages = 16

    async def on_start(self) -> None:
        await super().on_start()
        self.cids: OrderedDict[tuple[str, str], int] = OrderedDict()
        #: When each connection's last ``typing`` was relayed (monotonic seconds).
        self.typed: dict[str, float] = {}
        #: Offsets of the edits and reactions of each message (removed with it).
        self.changes: dict[int, list[int]] = {}
        #: Who holds which reaction on each message: one per user per emoji.
        self.reactions: dict[int, dict[str, set[str]]] = {}
        _, entries = await self.log.read()
        for offset, entry in entries:
            stored = json.loads(entry)
            if "target" in stored:
                self._track(offset, stored)
            elif "cid" in stored:
                self._remember(stored["user"].get("username", ""), stored["cid"], offset)

    def join_frame(self, state: LogState, entries: list[LogEntry], recovered: bool) -> str:
        return chat.history_frame(state.epoch, entries, recovered)

    # messages ----------------------------------------------------------------

    async def on_message(self, message: str | bytes, sender: Connection) -> None:
        command = chat.parse_command(message, max_depth=self.room.limits.max_json_depth)
        if isinstance(command, chat.Post):
            await self.post(sender.user, command, sender)
        elif isinstance(command, chat.Delete):
            await self.delete(command, sender.user)
        elif isinstance(command, chat.Edit):
            await self.edit(command, sender)
        elif isinstance(command, chat.React):
            await self.react(command, sender)
        elif isinstance(command, chat.Typing):
            self.typing(sender)
        elif isinstance(command, Clear):
            await self.clear(sender.user)
        elif isinstance(command, Lock):
            await self.lock(command, sender.user)
        elif isinstance(command, Remove):
            await self.remove(command, sender.user)

    async def post(self, user: Mapping[str, Any], command: chat.Post,
                   sender: Connection | None = None) -> str:
        """Store then broadcast one message; returns its wire text (the acknowledgement)."""
        self.check_writable(user)
        cid = command.cid
        username = user.get("username", "")
        if cid is not None and (username, cid) in self.cids:
            return await self._repeat(self.cids[(username, cid)], sender)
        user_json = (sender.user_json() if sender is not None and sender.user is user
                     else encode_json(user))
        try:
            entry = chat.stored_entry(sender.id if sender else None, user_json, command.content,
                                      now_ms(), cid, command.mime, command.reply_to)
        except ValueError as exc:  # content JSON cannot carry, from a kernel's HTTP POST
            raise ProtocolError("bad_message", f"expected JSON content: {exc}") from None
        self._check_size(entry)
        if cid is not None:
            self._remember(username, cid, 0)  # claim it now: a racing retry repeats, not stores
        try:
            offset, fresh = await self.append_once(
                entry, None if cid is None else cid_key(username, cid))
        except BaseException:
            self.cids.pop((username, cid), None)
            raise
        if cid is not None:
            self.cids[(username, cid)] = offset
        if not fresh:  # another process stored this cid first (shared storage)
            return await self._repeat(offset, sender)
        frame = chat.message_frame(offset, entry)
        self.publish(frame, offset)
        return frame

    async def _repeat(self, offset: int, sender: Connection | None) -> str:
        entry = await self.stored(offset) if offset else None
        if entry is None:
            raise ProtocolError("duplicate", "this cid was already sent and is no longer stored"
                                if offset else "this cid is being stored; wait for its message")
        frame = chat.message_frame(offset, entry)
        if sender is not None:
            sender.send(frame)
        return frame

    def _remember(self, username: str, cid: str, offset: int) -> None:
        self.cids[(username, cid)] = offset
        self.cids.move_to_end((username, cid))
        while len(self.cids) > CID_MEMORY:
            self.cids.popitem(last=False)

    def typing(self, sender: Connection) -> None:
        """Relay "is typing" to the others: never stored, silently dropped while the
        room is locked to the sender or within ``TYPING_INTERVAL`` of its last one
        (docs/security.md: an ephemeral frame must not become a broadcast flood)."""
        if self.locked and not sender.user.get("moderator"):
            return
        now = time.monotonic()
        if now - self.typed.get(sender.id, -chat.TYPING_INTERVAL) < chat.TYPING_INTERVAL:
            return
        self.typed[sender.id] = now
        self.publish(chat.IsTyping(sender.id, sender.user), exclude=(sender.id,))

    async def on_close(self, connection: Connection, code: int | None, reason: str) -> None:
        self.typed.pop(connection.id, None)
        await super().on_close(connection, code, reason)

    # edits and reactions -----------------------------------------------------

    async def edit(self, command: chat.Edit, sender: Connection) -> None:
        """Store then broadcast a new text for the sender's own message (moderators
        delete others' messages but never put words in their mouths)."""
        self.check_writable(sender.user)
        message = await self._message(command.id)
        if message["user"].get("username") != sender.user.get("username"):
            raise ProtocolError("forbidden", "only the author can edit a message")
        try:
            entry = chat.edit_entry(command.id, sender.id, sender.user_json(), command.content,
                                    now_ms())
        except ValueError as exc:
            raise ProtocolError("bad_message", f"expected JSON content: {exc}") from None
        self._check_size(entry)
        await self._store(entry, command.id)

    async def react(self, command: chat.React, sender: Connection) -> None:
        """Store then broadcast a reaction change; one already in effect is a no-op."""
        self.check_writable(sender.user)
        await self._message(command.id)
        held = self.reactions.get(command.id, {})
        name = sender.user.get("username", "")
        if (name in held.get(command.emoji, ())) == command.on:
            return  # one per user per emoji: adding twice or taking back nothing stores nothing
        if command.on and command.emoji not in held and len(held) >= chat.MAX_REACTIONS:
            raise ProtocolError("too_many_reactions", f"a message holds at most "
                                                      f"{chat.MAX_REACTIONS} distinct reactions")
        entry = chat.react_entry(command.id, sender.user_json(), command.emoji, command.on,
                                 now_ms())
        # Hold it before the append's await: a toggle right behind this one
        # (handled concurrently) must see it, as a racing cid retry does.
        self._hold(command.id, command.emoji, name, command.on)
        try:
            await self._store(entry, command.id)
        except BaseException:
            self._hold(command.id, command.emoji, name, not command.on)
            raise

    async def _message(self, offset: int) -> dict[str, Any]:
        """The stored message ``offset``: ``not_found`` if gone, ``bad_message`` if
        the id is an edit or a reaction (forged ids change nothing but messages)."""
        entry = await self.stored(offset)
        if entry is None:
            raise ProtocolError("not_found", f"no message {offset}")
        stored = json.loads(entry)
        if "target" in stored:
            raise ProtocolError("bad_message", f"{offset} is not a message")
        return stored

    async def _store(self, entry: str, target: int) -> None:
        offset = await self.append(entry)
        self.changes.setdefault(target, []).append(offset)
        self.publish(chat.entry_frame(offset, entry), offset)
        self._forget_trimmed(offset)

    def _forget_trimmed(self, top: int) -> None:
        """Drop what is tracked for messages the log has trimmed: the log keeps
        ``history`` entries, so a target more than that below ``top`` is gone
        (bounds this memory by the history, not by the room's lifetime)."""
        history = self.room.limits.history
        if len(self.changes) <= history:
            return
        for target in [t for t in self.changes if t <= top - history]:
            del self.changes[target]
            self.reactions.pop(target, None)

    def _track(self, offset: int, stored: Mapping[str, Any]) -> None:
        """Account for a stored edit or reaction (a room reloading its log)."""
        self.changes.setdefault(stored["target"], []).append(offset)
        if stored.get("type") == "reacted":
            self._hold(stored["target"], stored["emoji"], stored["user"].get("username", ""),
                       stored["on"])

    def _hold(self, target: int, emoji: str, name: str, on: bool) -> None:
        held = self.reactions.setdefault(target, {})
        names = held.setdefault(emoji, set())
        (names.add if on else names.discard)(name)
        if not names:
            del held[emoji]

    def _check_size(self, entry: str) -> None:
        size = len(entry.encode("utf-8"))
        if size > self.room.limits.max_value_bytes:
            raise ProtocolError("too_large", f"expected a message of at most "
                                             f"{self.room.limits.max_value_bytes} bytes as "
                                             f"stored, got {size} bytes")

    # moderation --------------------------------------------------------------

    async def clear(self, user: Mapping[str, Any]) -> None:
        """Clear the room, and with it what edits and reactions it tracked."""
        await super().clear(user)
        self.changes.clear()
        self.reactions.clear()

    async def delete(self, command: chat.Delete, user: Mapping[str, Any]) -> None:
        """Delete a message: one's own, or any for moderators; never while locked."""
        self.check_writable(user)
        entry = await self.stored(command.id)
        if entry is None:
            return
        stored = json.loads(entry)
        if "target" in stored:
            raise ProtocolError("bad_message", f"{command.id} is not a message")
        if not user.get("moderator") and stored["user"].get("username") != user.get("username"):
            raise ProtocolError("forbidden", "only moderators can delete others' messages")
        if await self.log.remove(command.id):
            # Its edits go with it (docs/security.md: a deleted text must not
            # survive in an edit), and its reactions.
            for change in self.changes.pop(command.id, ()):
                await self.log.remove(change)
            self.reactions.pop(command.id, None)
            self.publish(chat.Deleted(command.id))

    # HTTP --------------------------------------------------------------------

    async def on_request(self, request: Request) -> Response:
        """GET: the history (``?since=&epoch=`` resume too). POST: add a message."""
        if request.path:
            return Response.error("not_found", f"no resource {request.path[:40]!r}", 404)
        if request.method == "GET":
            state, entries, recovered = await self.read_since(request.query)
            return Response.frame(self.join_frame(state, entries, recovered))
        if request.method == "POST":
            if request.media_type == "application/json":
                data = parse_object(request.text(), max_depth=self.room.limits.max_json_depth)
                command = chat.Post.parse(data)
            else:
                command = chat.Post(request.text())
            return Response.frame(await self.post(request.user, command), 201)
        return Response.error("method_not_allowed", "expected GET or POST", 405)
