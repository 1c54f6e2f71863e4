"""The ``main`` party: the PartyKit article's chat server, with durable history.

What it adds to the article (see docs/protocol.md for every message):

* history lives in the room's log: one O(1) append per message, persisted
  *before* the broadcast that acknowledges it, with a growing ``id`` offset;
* a client that reconnects with ``?since=<id>&epoch=<epoch>`` gets exactly the
  messages it missed (``recovered: true``) or the whole retained history
  (``recovered: false``), never a partial replay;
* a retried send with the same ``cid`` from the same user is stored once;
* identity (``user``) comes from the host, never from the message;
* moderators can delete messages, clear the room and lock it read-only.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from typing import Any

from ..errors import ProtocolError
from ..rooms import Connection, Request, Response
from ..rooms.wire import decode_json, encode_json
from ..storage import LogState
from .logged import LogParty, now_ms

__all__ = ["ChatParty", "LockableParty"]

MAX_CID_LENGTH = 128
#: How many (user, cid) pairs are remembered for de-duplication.
CID_MEMORY = 10_000


class LockableParty(LogParty):
    """A log party a moderator can make read-only for everyone else.

    ``{"type": "lock", "locked": bool}`` (moderators only) sets it; it is
    stored under the storage key ``"locked"`` (so it survives restarts), sent
    in every ``welcome`` and announced as ``{"type": "locked", "locked": bool}``.
    Subclasses call :meth:`check_writable` before each change a user asks for.
    """

    async def on_start(self) -> None:
        await super().on_start()
        self.locked = bool(await self.room.storage.get("locked"))

    def welcome(self, connection: Connection, state: LogState) -> dict[str, Any]:
        return {**super().welcome(connection, state), "locked": self.locked}

    def check_writable(self, user: dict[str, Any]) -> None:
        if self.locked and not user.get("moderator"):
            raise ProtocolError("locked", "this room is read-only for now")

    async def lock(self, data: dict[str, Any], user: dict[str, Any]) -> None:
        if not user.get("moderator"):
            raise ProtocolError("forbidden", "only moderators can lock this room")
        self.locked = bool(data.get("locked", True))
        await self.room.storage.put("locked", self.locked)
        self.publish({"type": "locked", "locked": self.locked})


class ChatParty(LockableParty):
    """Chat with history, resume and idempotent sends."""

    # A post's one await is its log append, and storage runs appends in
    # submission order: acknowledgements keep the send order while a burst
    # from one client is stored in one group commit (docs/performance.md).
    max_concurrent_messages = 16

    async def on_start(self) -> None:
        await super().on_start()
        self.cids: OrderedDict[tuple[str, str], int] = OrderedDict()
        _, entries = await self.log.read()
        for offset, entry in entries:
            stored = json.loads(entry)
            if "cid" in stored:
                self._remember(stored["user"].get("username", ""), stored["cid"], offset)

    def entry_frame(self, offset: int, entry: str) -> str:
        return '{"type":"message","id":%d,%s' % (offset, entry[1:])

    # messages ----------------------------------------------------------------

    async def on_message(self, message: str | bytes, sender: Connection) -> None:
        data = decode_json(message, max_depth=self.room.limits.max_json_depth)
        if not isinstance(data, dict):
            raise ProtocolError("bad_message", "expected a JSON object like {\"content\": ...}")
        kind = data.get("type", "message")
        if kind == "message":
            await self.post(sender.user, data, sender)
        elif kind in ("delete", "clear", "lock"):
            await self.moderate(kind, data, sender.user)
        elif kind == "remove":
            await self.remove(data, sender.user)
        else:
            raise ProtocolError("bad_message", f"unknown message type {str(kind)[:40]!r}")

    async def post(self, user: dict[str, Any], data: dict[str, Any],
                   sender: Connection | None = None) -> str:
        """Store then broadcast one message; returns its wire text (the acknowledgement)."""
        if "content" not in data:
            raise ProtocolError("bad_message", "expected a \"content\" field")
        self.check_writable(user)
        cid = data.get("cid")
        if cid is not None and (not isinstance(cid, str) or not 0 < len(cid) <= MAX_CID_LENGTH):
            raise ProtocolError("bad_message", f"expected cid as a string of 1 to "
                                               f"{MAX_CID_LENGTH} characters")
        username = user.get("username", "")
        if cid is not None and (username, cid) in self.cids:
            return await self._repeat(self.cids[(username, cid)], sender)
        # The stored entry, {"from", "user", "content", "timestamp"[, "cid"]}, with
        # the sender's user encoded once per connection rather than per message.
        entry = '{"from":%s,"user":%s,"content":%s,"timestamp":%d%s}' % (
            encode_json(sender.id) if sender else "null",
            sender.user_json() if sender is not None and sender.user is user
            else encode_json(user),
            encode_json(data["content"]), now_ms(),
            "" if cid is None else ',"cid":' + encode_json(cid))
        if cid is not None:
            self._remember(username, cid, 0)  # claim it now: a racing retry repeats, not stores
        if len(entry.encode("utf-8")) > self.room.limits.max_value_bytes:
            self.cids.pop((username, cid), None)
            raise ProtocolError("too_large", f"expected a message of at most "
                                             f"{self.room.limits.max_value_bytes} bytes")
        try:
            offset = await self.append(entry)
        except BaseException:
            self.cids.pop((username, cid), None)
            raise
        if cid is not None:
            self.cids[(username, cid)] = offset
        frame = self.entry_frame(offset, entry)
        self.publish(frame, offset)
        return frame

    async def _repeat(self, offset: int, sender: Connection | None) -> str:
        entry = await self.stored(offset) if offset else None
        if entry is None:
            raise ProtocolError("duplicate", "this cid was already sent and is no longer stored"
                                if offset else "this cid is being stored; wait for its message")
        frame = self.entry_frame(offset, entry)
        if sender is not None:
            sender.send(frame)
        return frame

    def _remember(self, username: str, cid: str, offset: int) -> None:
        self.cids[(username, cid)] = offset
        self.cids.move_to_end((username, cid))
        while len(self.cids) > CID_MEMORY:
            self.cids.popitem(last=False)

    # moderation --------------------------------------------------------------

    async def moderate(self, kind: str, data: dict[str, Any], user: dict[str, Any]) -> None:
        """``delete`` (own message, or any for moderators), ``clear`` and ``lock``."""
        moderator = bool(user.get("moderator"))
        if kind == "delete":
            offset = data.get("id")
            if not isinstance(offset, int) or isinstance(offset, bool):
                raise ProtocolError("bad_message", "expected \"id\": <message id> to delete")
            if not moderator and not await self._authored_by(offset, user):
                raise ProtocolError("forbidden", "only moderators can delete others' messages")
            if await self.log.remove(offset):
                self.publish({"type": "deleted", "id": offset})
            return
        if not moderator:
            raise ProtocolError("forbidden", f"only moderators can {kind} this room")
        if kind == "clear":
            # The cids stay: a late retry of a cleared message is a duplicate,
            # not a new message (stored once), exactly as after a delete.
            state = await self.log.reset()
            self.publish({"type": "cleared", "epoch": state.epoch})
        else:
            await self.lock(data, user)

    async def _authored_by(self, offset: int, user: dict[str, Any]) -> bool:
        entry = await self.stored(offset)
        return entry is not None and json.loads(entry)["user"].get("username") == user.get(
            "username")

    # HTTP --------------------------------------------------------------------

    async def on_request(self, request: Request) -> Response:
        """GET: the history (``?since=&epoch=`` resume too). POST: add a message."""
        if request.path:
            return Response.json({"type": "error", "code": "not_found",
                                  "message": f"no resource {request.path[:40]!r}"}, 404)
        if request.method == "GET":
            state, entries, recovered = await self.read_since(dict(request.query))
            return Response(self.history_frame(state, entries, recovered).encode("utf-8"), 200,
                            {"Content-Type": "application/json; charset=utf-8"})
        if request.method == "POST":
            if request.media_type == "application/json":
                data = request.json(self.room.limits.max_json_depth)
                if not isinstance(data, dict):
                    raise ProtocolError("bad_message", "expected a JSON object like "
                                                       "{\"content\": ...}")
            else:
                data = {"content": request.text()}
            frame = await self.post(dict(request.user), data)
            return Response(frame.encode("utf-8"), 201,
                            {"Content-Type": "application/json; charset=utf-8"})
        return Response.json({"type": "error", "code": "method_not_allowed",
                              "message": "expected GET or POST"}, 405)
