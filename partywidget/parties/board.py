"""The ``board`` party: a shared whiteboard whose stroke order the server decides.

State is the ordered list of finished strokes, kept in the room log (one
append per stroke; erase/undo remove one entry; clear resets the log and its
epoch). Strokes being drawn and cursors are relayed live and never stored.
A moderator can lock the board read-only, as the chat (:class:`LockableParty`):
then only moderators draw, erase and undo; cursors still move.
Every message is listed in docs/protocol.md.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

from ..errors import ProtocolError
from ..rooms import Connection
from ..rooms.wire import decode_json, encode_json
from .chat import LockableParty
from .logged import now_ms

__all__ = ["BOARD_HEIGHT", "BOARD_WIDTH", "BoardParty", "check_stroke"]

#: The board's coordinate space; views scale it to their size.
BOARD_WIDTH = 1000
BOARD_HEIGHT = 625
MAX_POINTS = 5000
MAX_WIDTH = 64
_COLOR = re.compile(r"#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})")
_SID = re.compile(r"[A-Za-z0-9_.:-]{1,64}")


def _number(value: Any, low: float, high: float) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ProtocolError("bad_stroke", f"expected a number, got {str(value)[:20]!r}")
    return round(min(high, max(low, float(value))), 1)


def check_stroke(data: dict[str, Any]) -> dict[str, Any]:
    """Validate and normalise a stroke: ``points`` [[x, y], ...], ``color``, ``width``."""
    points = data.get("points")
    if not isinstance(points, list) or not 0 < len(points) <= MAX_POINTS:
        raise ProtocolError("bad_stroke", f"expected 1 to {MAX_POINTS} points as [[x, y], ...]")
    clean = []
    for point in points:
        if not isinstance(point, list) or len(point) != 2:
            raise ProtocolError("bad_stroke", "expected each point as [x, y]")
        clean.append([_number(point[0], 0, BOARD_WIDTH), _number(point[1], 0, BOARD_HEIGHT)])
    color = data.get("color", "#222222")
    if not isinstance(color, str) or not _COLOR.fullmatch(color):
        raise ProtocolError("bad_stroke", "expected color as #rgb or #rrggbb")
    width = _number(data.get("width", 3), 0.5, MAX_WIDTH)
    sid = data.get("sid")
    if sid is not None and (not isinstance(sid, str) or not _SID.fullmatch(sid)):
        raise ProtocolError("bad_stroke", "expected sid as 1 to 64 characters [A-Za-z0-9_.:-]")
    stroke = {"points": clean, "color": color, "width": width}
    if sid is not None:
        stroke["sid"] = sid
    return stroke


#: Messages that change the board, refused for non-moderators while it is locked.
WRITES = frozenset({"draw", "stroke", "erase", "undo"})


class BoardParty(LockableParty):
    """Whiteboard: strokes (live while drawn), erase/undo own, clear, cursors, lock."""

    history_type = "state"
    history_key = "strokes"

    async def on_message(self, message: str | bytes, sender: Connection) -> None:
        data = decode_json(message, max_depth=self.room.limits.max_json_depth)
        if not isinstance(data, dict):
            raise ProtocolError("bad_message", "expected a JSON object with a \"type\"")
        kind = data.get("type")
        if kind in WRITES:
            self.check_writable(sender.user)
        if kind == "cursor":
            self.publish({"type": "cursor", "id": sender.id, "user": sender.user,
                          "x": _number(data.get("x"), 0, BOARD_WIDTH),
                          "y": _number(data.get("y"), 0, BOARD_HEIGHT)}, exclude=(sender.id,))
        elif kind == "draw":
            self.publish({"type": "draw", "from": sender.id, "user": sender.user,
                          **check_stroke(data)}, exclude=(sender.id,))
        elif kind == "stroke":
            await self.add_stroke(sender.user, data, sender.id)
        elif kind == "erase":
            offset = data.get("id")
            if not isinstance(offset, int) or isinstance(offset, bool):
                raise ProtocolError("bad_message", "expected \"id\": <stroke id> to erase")
            await self.erase(offset, sender.user)
        elif kind == "undo":
            await self.undo(sender.user)
        elif kind == "clear":
            await self.clear(sender.user)
        elif kind == "lock":
            await self.lock(data, sender.user)
        elif kind == "remove":
            await self.remove(data, sender.user)
        else:
            raise ProtocolError("bad_message", f"unknown message type {str(kind)[:40]!r}")

    async def add_stroke(self, user: dict[str, Any], data: dict[str, Any],
                         sender_id: str | None = None) -> str:
        """Store a finished stroke, then broadcast it (sender included: its ack)."""
        stroke = {"from": sender_id, "user": user, **check_stroke(data), "timestamp": now_ms()}
        entry = encode_json(stroke)
        if len(entry.encode("utf-8")) > self.room.limits.max_value_bytes:
            raise ProtocolError("too_large", "expected a smaller stroke")
        offset = await self.append(entry)
        frame = '{"type":"stroke","stroke":%s}' % self.entry_frame(offset, entry)
        self.publish(frame, offset)
        return frame

    async def erase(self, offset: int, user: dict[str, Any]) -> None:
        entry = await self.stored(offset)
        if entry is None:
            return
        owner = json.loads(entry)["user"].get("username")
        if owner != user.get("username") and not user.get("moderator"):
            raise ProtocolError("forbidden", "only moderators can erase others' strokes")
        if await self.log.remove(offset):
            self.publish({"type": "erased", "id": offset})

    async def undo(self, user: dict[str, Any]) -> None:
        """Erase this user's newest stroke still on the board."""
        _, entries = await self.log.read()
        for offset, entry in reversed(entries):
            if json.loads(entry)["user"].get("username") == user.get("username"):
                await self.erase(offset, user)
                return

    async def clear(self, user: dict[str, Any]) -> None:
        if not user.get("moderator"):
            raise ProtocolError("forbidden", "only moderators can clear the board")
        state = await self.log.reset()
        self.publish({"type": "cleared", "epoch": state.epoch})
