"""The ``board`` party: a shared whiteboard whose stroke order the server decides.

State is the ordered list of finished strokes, kept in the room log (one
append per stroke; erase/undo remove one entry; clear resets the log and its
epoch). Strokes being drawn and cursors are relayed live and never stored.
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
from ..protocol.frames import Clear, Lock, Remove
from ..rooms import Connection
from ..storage import LogEntry, LogState
from .lockable import LockableParty
from .logged import now_ms

__all__ = ["BoardParty"]


class BoardParty(LockableParty):
    """Whiteboard: strokes (live while drawn), erase/undo own, clear, cursors, lock."""

    join_type = board.JOIN_TYPE

    async def on_start(self) -> None:
        await super().on_start()
        #: Points relayed per connection id and stroke id for strokes not finished yet.
        self.inking: dict[str, dict[str | None, int]] = {}

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
        elif isinstance(command, board.Stroke):
            self.inking.get(sender.id, {}).pop(command.ink.sid, None)
            await self.add_stroke(sender.user, command.ink, sender.id)
        elif isinstance(command, board.Erase):
            await self.erase(command.id, sender.user)
        elif isinstance(command, board.Undo):
            await self.undo(sender.user)
        elif isinstance(command, Clear):
            await self.clear(sender.user)
        elif isinstance(command, Lock):
            await self.lock(command, sender.user)
        elif isinstance(command, Remove):
            await self.remove(command, sender.user)

    async def add_stroke(self, user: Mapping[str, Any], ink: board.Ink,
                         sender_id: str | None = None) -> str:
        """Store a finished stroke, then broadcast it (sender included: its ack)."""
        entry = board.stored_stroke(sender_id, user, ink, now_ms())
        if len(entry.encode("utf-8")) > self.room.limits.max_value_bytes:
            raise ProtocolError("too_large", "expected a smaller stroke")
        offset = await self.append(entry)
        frame = board.stroke_frame(offset, entry)
        self.publish(frame, offset)
        return frame

    async def erase(self, offset: int, user: Mapping[str, Any]) -> None:
        entry = await self.stored(offset)
        if entry is None:
            return
        owner = json.loads(entry)["user"].get("username")
        if owner != user.get("username") and not user.get("moderator"):
            raise ProtocolError("forbidden", "only moderators can erase others' strokes")
        if await self.log.remove(offset):
            self.publish(board.Erased(offset))

    async def undo(self, user: Mapping[str, Any]) -> None:
        """Erase this user's newest stroke still on the board."""
        _, entries = await self.log.read()
        for offset, entry in reversed(entries):
            if json.loads(entry)["user"].get("username") == user.get("username"):
                await self.erase(offset, user)
                return
