"""The ``board`` party: a shared whiteboard whose stroke order the server decides.

State is the ordered list of finished strokes and typed items (shapes, text,
sticky notes), kept in the room log (one append per entry; erase removes one;
a move replaces one by its moved copy; clear resets the log and its epoch).
Each user's changes can be undone and redone (:mod:`.board_history`).
Strokes being drawn and cursors are relayed live and never stored.
A moderator can lock the board read-only (:class:`LockableParty`): then only
moderators draw, erase and undo; cursors still move. Every message is listed
in docs/protocol.md; their envelopes are in :mod:`partywidget.protocol.board`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from ..errors import ProtocolError
from ..protocol import board
from ..protocol.board_items import moved
from ..protocol.frames import Clear, Lock, Remove
from ..rooms import Connection, ConnectionContext
from ..storage import LogEntry, LogState
from .board_history import Change, History
from .lockable import LockableParty
from .logged import now_ms

__all__ = ["BoardParty"]


#: Storage key prefix of one page's name (``pageName:3``).
PAGE_NAME_KEY = "pageName:"
#: The signal that tells every process's board a page's new name.
PAGE_NAME_SIGNAL = "pageName"


class BoardParty(LockableParty):
    """Whiteboard: strokes (live while drawn), items, move/erase/undo/redo own, clear, lock."""

    join_type = board.JOIN_TYPE

    async def on_start(self) -> None:
        await super().on_start()
        self.history = History()
        self.page = int(await self.room.storage.get("page") or 0)
        #: Pages' names by page number, one storage key per page (``pageName:N``), so
        #: processes naming different pages never overwrite each other's; the one
        #: key of earlier versions (``pageNames``) is read under them.
        stored = await self.room.storage.list(prefix=PAGE_NAME_KEY)
        names = {**dict(await self.room.storage.get("pageNames") or {}),
                 **{key[len(PAGE_NAME_KEY):]: name for key, name in stored.items()}}
        self.page_names: dict[str, str] = {page: name for page, name in names.items() if name}
        #: Points relayed per connection id and stroke id for strokes not finished yet.
        self.inking: dict[str, dict[str | None, int]] = {}

    async def on_connect(self, connection: Connection, ctx: ConnectionContext) -> None:
        """Join as every log party does, then learn the teacher's page (for "follow")
        and the pages' names (at most MAX_PAGES frames: every join has them all)."""
        await super().on_connect(connection, ctx)
        names = {int(page): name for page, name in self.page_names.items()}
        for frame in board.pages_frames(self.page, names):
            if connection.open:
                connection.send(frame.serialize())

    def count_ink(self, sender: Connection, ink: board.Ink) -> None:
        """Count a ``draw`` frame's points; refuse it past the caps (``too_large``).

        An unfinished stroke is relayed to everyone, who hold and repaint it:
        without a cap one client could push millions of points through the
        room (issue 17, item 8).
        """
        mine = self.inking.setdefault(sender.id, {})
        stroke = mine.get(ink.sid, 0) + len(ink.points)
        if stroke > board.MAX_INKING_POINTS:
            raise ProtocolError("too_large", f"expected at most {board.MAX_INKING_POINTS} "
                                             "points in a stroke in progress; finish it")
        if sum(mine.values()) + len(ink.points) > board.MAX_INKING_POINTS_PER_CONNECTION:
            raise ProtocolError("too_large", "expected at most "
                                f"{board.MAX_INKING_POINTS_PER_CONNECTION} points in "
                                "unfinished strokes; finish some")
        mine[ink.sid] = stroke

    async def on_close(self, connection: Connection, code: int | None, reason: str) -> None:
        self.inking.pop(connection.id, None)
        await super().on_close(connection, code, reason)

    def join_frame(self, state: LogState, entries: list[LogEntry], recovered: bool) -> str:
        return board.state_frame(state.epoch, entries, recovered)

    async def on_message(self, message: str | bytes, sender: Connection) -> None:
        command = board.parse_command(message, max_depth=self.room.limits.max_json_depth)
        if isinstance(command, board.WRITES):
            self.check_writable(sender.user)
        if isinstance(command, board.Cursor):
            self.publish(board.CursorMoved(sender.id, sender.user, command.x, command.y),
                         exclude=(sender.id,))
        elif isinstance(command, board.Draw):
            self.count_ink(sender, command.ink)
            self.publish(board.Drawing(sender.id, sender.user, command.ink),
                         exclude=(sender.id,))
        elif isinstance(command, board.Shape):
            self.publish(board.Shaping(sender.id, sender.user, command.item),
                         exclude=(sender.id,))
        elif isinstance(command, board.Stroke):
            self.inking.get(sender.id, {}).pop(command.ink.sid, None)
            await self.add_stroke(sender.user, command.ink, sender.id)
        elif isinstance(command, board.Place):
            if command.picture is not None:
                await self.keep_image(command.picture)
            await self.add_item(sender.user, command.item, sender.id)
        elif isinstance(command, board.GetImage):
            await self.send_image(command.src, sender)
        elif isinstance(command, board.Move):
            await self.move(command, sender.user)
        elif isinstance(command, board.Erase):
            await self.erase(command.id, sender.user)
        elif isinstance(command, board.Page):
            await self.turn_page(command, sender.user)
        elif isinstance(command, board.PageName):
            await self.name_page(command, sender.user)
        elif isinstance(command, board.Undo):
            await self.undo(sender.user)
        elif isinstance(command, board.Redo):
            await self.redo(sender.user)
        elif isinstance(command, Clear):
            await self.clear(sender.user)
            self.history.clear()
        elif isinstance(command, Lock):
            await self.lock(command, sender.user)
        elif isinstance(command, Remove):
            await self.remove(command, sender.user)

    async def add_stroke(self, user: Mapping[str, Any], ink: board.Ink,
                         sender_id: str | None = None) -> str:
        """Store a finished stroke, then broadcast it (sender included: its ack)."""
        return await self.add_entry(user, ink.to_json(), sender_id, is_item=False)

    async def add_item(self, user: Mapping[str, Any], item: board.Item,
                       sender_id: str | None = None) -> str:
        """Store a typed item, then broadcast it as ``item`` (sender included: its ack)."""
        return await self.add_entry(user, item.to_json(), sender_id, is_item=True)

    async def add_entry(self, user: Mapping[str, Any], fields: Mapping[str, Any],
                        sender_id: str | None, is_item: bool) -> str:
        entry = board.stored_entry(sender_id, user, fields, now_ms())
        offset, frame = await self.put(entry, is_item)
        self.history.done(_name(user), Change(None, offset))
        return frame

    async def put(self, entry: str, is_item: bool) -> tuple[int, str]:
        """Append a stored entry (bounded by ``max_value_bytes``) and announce it."""
        if len(entry.encode("utf-8")) > self.room.limits.max_value_bytes:
            raise ProtocolError("too_large", "expected a smaller stroke or item")
        offset = await self.append(entry)
        frame = board.entry_frame(offset, entry, is_item)
        self.publish(frame, offset)
        return offset, frame

    async def turn_page(self, command: board.Page, user: Mapping[str, Any]) -> None:
        """A moderator's page is everyone's to follow: kept (survives restarts) and relayed."""
        if not user.get("moderator"):
            raise ProtocolError("forbidden", "only moderators lead the board's pages")
        self.page = command.page
        await self.room.storage.put("page", self.page)
        self.publish(command)

    async def name_page(self, command: board.PageName, user: Mapping[str, Any]) -> None:
        """A moderator names a page: kept (survives restarts), relayed to everyone."""
        if not user.get("moderator"):
            raise ProtocolError("forbidden", "only moderators name the board's pages")
        # "" is stored too: it clears the page over a name the old single key held.
        await self.room.storage.put(f"{PAGE_NAME_KEY}{command.page}", command.name)
        self.room.signal({PAGE_NAME_SIGNAL: [command.page, command.name]})  # every process
        self.publish(command)

    def on_signal(self, data: Mapping[str, Any]) -> None:
        named = data.get(PAGE_NAME_SIGNAL)
        if isinstance(named, list) and len(named) == 2:
            page, name = str(named[0]), str(named[1])
            if name:
                self.page_names[page] = name
            else:
                self.page_names.pop(page, None)
        super().on_signal(data)

    async def keep_image(self, picture: board.Picture) -> None:
        """Store an image's bytes once, under its SHA-256 (the same image twice is one copy)."""
        key = f"image:{picture.src}"
        if await self.room.storage.get(key) is None:
            await self.room.storage.put(key, {"mime": picture.mime, "data": picture.data})

    async def send_image(self, src: str, sender: Connection) -> None:
        stored = await self.room.storage.get(f"image:{src}")
        if stored is None:
            raise ProtocolError("not_found", "expected the src of an image on this board")
        sender.send(board.ImageBytes(src, stored["mime"], stored["data"]).serialize())

    async def owned(self, offset: int, user: Mapping[str, Any], verb: str) -> str | None:
        """The stored entry at ``offset`` if ``user`` may change it (author or moderator)."""
        entry = await self.stored(offset)
        if entry is None:
            return None
        if _name(json.loads(entry)["user"]) != _name(user) and not user.get("moderator"):
            raise ProtocolError("forbidden", f"only moderators can {verb} others' strokes")
        return entry

    async def erase(self, offset: int, user: Mapping[str, Any]) -> None:
        entry = await self.owned(offset, user, "erase")
        if entry is not None and await self.log.remove(offset):
            self.publish(board.Erased(offset))
            self.history.done(_name(user), Change(entry, None, offset))

    async def move(self, command: board.Move, user: Mapping[str, Any]) -> None:
        """Replace an entry by its moved copy: ``erased`` (old id), then ``stroke``/``item``.

        The first of two concurrent moves removes the old id; the second finds
        it gone and is refused with ``not_found`` (server order decides).
        """
        entry = await self.owned(command.id, user, "move")
        if entry is None or not await self.log.remove(command.id):
            raise ProtocolError("not_found", "expected the id of a stroke or item on the board")
        self.publish(board.Erased(command.id))
        size = (command.w, command.h) if command.w is not None and command.h is not None else None
        data = moved(json.loads(entry), command.dx, command.dy, size)
        fields = {k: v for k, v in data.items() if k not in ("from", "user", "timestamp")}
        offset, _ = await self.put(board.stored_entry(data.get("from"), data["user"], fields,
                                                      now_ms()), "kind" in data)
        self.history.done(_name(user), Change(entry, offset, command.id))

    async def swap(self, change: Change) -> Change | None:
        """Apply ``change`` backwards; None if its entry has left the board meanwhile."""
        after = None
        if change.after is not None:
            after = await self.stored(change.after)
            if after is None or not await self.log.remove(change.after):
                return None
            self.publish(board.Erased(change.after))
        if change.before is None:
            return Change(after, None, change.after)
        offset, _ = await self.put(change.before, "kind" in json.loads(change.before))
        if change.was is not None:
            self.history.renumber(change.was, offset)
        return Change(after, offset, change.after)

    async def undo(self, user: Mapping[str, Any]) -> None:
        """Take back this user's last change; with none remembered, erase their newest entry."""
        name = _name(user)
        while (change := self.history.to_undo(name)) is not None:
            if (back := await self.swap(change)) is not None:
                self.history.undone(name, back)
                return
        _, entries = await self.log.read()
        for offset, entry in reversed(entries):
            if _name(json.loads(entry)["user"]) == name:
                if (back := await self.swap(Change(None, offset))) is not None:
                    self.history.undone(name, back)
                return

    async def redo(self, user: Mapping[str, Any]) -> None:
        """Make again this user's last undone change, if its entry is still as it left it."""
        name = _name(user)
        while (change := self.history.to_redo(name)) is not None:
            if (again := await self.swap(change)) is not None:
                self.history.redone(name, again)
                return


def _name(user: Mapping[str, Any]) -> str:
    """Whose entry, whose undo stack: the authenticated username."""
    return str(user.get("username"))
