"""The ``board`` party (whiteboard): its frames, the stroke rules, and the client's fold.

The board is an ordered list of finished strokes in a 1000 x 625 space, kept
in the room log (docs/protocol.md, "The board party").

Client to server: :class:`Cursor`, :class:`Draw` (a stroke in progress),
:class:`Stroke` (a finished one), :class:`Erase`, :class:`Undo` and the
moderators' :class:`~.frames.Lock`, :class:`~.frames.Clear`,
:class:`~.frames.Remove`; :func:`parse_command` reads any of them.

Server to client: ``welcome``, then :func:`state_frame`; live
:class:`CursorMoved`, :class:`Drawing`, :func:`stroke_frame`, :class:`Erased`
and the shared frames. :class:`BoardStrokes` is the client's fold.
"""

from __future__ import annotations

import math
import re
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from ..errors import ProtocolError
from .frames import (Clear, Envelope, Lock, Remove, User, log_join_frame, parse_object,
                     require_int, with_offset)
from .jsonrules import MAX_JSON_DEPTH, encode_json

__all__ = [
    "BOARD_HEIGHT", "BOARD_WIDTH", "COMMANDS", "DEFAULT_COLOR", "JOIN_TYPE",
    "MAX_INKING_POINTS", "MAX_INKING_POINTS_PER_CONNECTION", "MAX_POINTS",
    "MAX_WIDTH", "WRITES", "BoardCommand", "BoardStrokes", "Cursor", "CursorMoved", "Draw",
    "Drawing", "Erase", "Erased", "Ink", "State", "Stroke", "Undo", "parse_command",
    "state_frame", "stored_stroke", "stroke_frame",
]

#: The frame that completes a join to the board (after ``welcome``).
JOIN_TYPE = "state"
#: The board's coordinate space; views scale it to their size.
BOARD_WIDTH = 1000
BOARD_HEIGHT = 625
MAX_POINTS = 5000
#: Points the server relays for one stroke in progress (``draw`` frames sharing a
#: ``sid``), and for all of one connection's unfinished strokes together: the
#: room relays, and every viewer holds and repaints, nothing larger. Twice
#: ``MAX_POINTS`` per stroke leaves room for the point each ``draw`` repeats.
MAX_INKING_POINTS = 2 * MAX_POINTS
MAX_INKING_POINTS_PER_CONNECTION = 4 * MAX_POINTS
MAX_WIDTH = 64
DEFAULT_COLOR = "#222222"
_COLOR = re.compile(r"#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})")
_SID = re.compile(r"[A-Za-z0-9_.:-]{1,64}")


def coordinate(value: Any, low: float, high: float) -> float:
    """A finite number clamped to ``low..high`` and rounded to 0.1, else ``bad_stroke``."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ProtocolError("bad_stroke", f"expected a number, got {str(value)[:20]!r}")
    return round(min(high, max(low, float(value))), 1)


@dataclass(frozen=True, slots=True)
class Ink:
    """A stroke's drawing: ``points`` [[x, y], ...], ``color``, ``width``, optional ``sid``.

    ``sid`` (stroke id, chosen by the drawer) matches the in-progress ``draw``
    frames to the finished ``stroke``.
    """

    points: list[list[float]]
    color: str = DEFAULT_COLOR
    width: float = 3.0
    sid: str | None = None

    def to_json(self) -> dict[str, Any]:
        ink: dict[str, Any] = {"points": self.points, "color": self.color, "width": self.width}
        if self.sid is not None:
            ink["sid"] = self.sid
        return ink

    @classmethod
    def parse(cls, data: Mapping[str, Any]) -> Ink:
        """Validate and normalise (clamp, round) what a client sent, or ``bad_stroke``."""
        points = data.get("points")
        if not isinstance(points, list) or not 0 < len(points) <= MAX_POINTS:
            raise ProtocolError("bad_stroke",
                                f"expected 1 to {MAX_POINTS} points as [[x, y], ...]")
        clean = []
        for point in points:
            if not isinstance(point, list) or len(point) != 2:
                raise ProtocolError("bad_stroke", "expected each point as [x, y]")
            clean.append([coordinate(point[0], 0, BOARD_WIDTH),
                          coordinate(point[1], 0, BOARD_HEIGHT)])
        color = data.get("color", DEFAULT_COLOR)
        if not isinstance(color, str) or not _COLOR.fullmatch(color):
            raise ProtocolError("bad_stroke", "expected color as #rgb or #rrggbb")
        width = coordinate(data.get("width", 3), 0.5, MAX_WIDTH)
        sid = data.get("sid")
        if sid is not None and (not isinstance(sid, str) or not _SID.fullmatch(sid)):
            raise ProtocolError("bad_stroke",
                                "expected sid as 1 to 64 characters [A-Za-z0-9_.:-]")
        return cls(clean, color, width, sid)


# --- client to server ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Cursor(Envelope):
    """``{"type": "cursor", "x", "y"}``: where the sender points; relayed, never stored."""

    x: float
    y: float
    type: ClassVar[str] = "cursor"

    def to_json(self) -> dict[str, Any]:
        return {"type": "cursor", "x": self.x, "y": self.y}

    @classmethod
    def parse(cls, data: Mapping[str, Any]) -> Cursor:
        return cls(coordinate(data.get("x"), 0, BOARD_WIDTH),
                   coordinate(data.get("y"), 0, BOARD_HEIGHT))


@dataclass(frozen=True, slots=True)
class Draw(Envelope):
    """``{"type": "draw", ...ink}``: points of a stroke in progress; relayed, never stored."""

    ink: Ink
    type: ClassVar[str] = "draw"

    def to_json(self) -> dict[str, Any]:
        return {"type": "draw", **self.ink.to_json()}

    @classmethod
    def parse(cls, data: Mapping[str, Any]) -> Draw:
        return cls(Ink.parse(data))


@dataclass(frozen=True, slots=True)
class Stroke(Envelope):
    """``{"type": "stroke", ...ink}``: a finished stroke, stored at the end of the board."""

    ink: Ink
    type: ClassVar[str] = "stroke"

    def to_json(self) -> dict[str, Any]:
        return {"type": "stroke", **self.ink.to_json()}

    @classmethod
    def parse(cls, data: Mapping[str, Any]) -> Stroke:
        return cls(Ink.parse(data))


@dataclass(frozen=True, slots=True)
class Erase(Envelope):
    """``{"type": "erase", "id": <stroke id>}``: the author or a moderator removes it."""

    id: int
    type: ClassVar[str] = "erase"

    def to_json(self) -> dict[str, Any]:
        return {"type": "erase", "id": self.id}

    @classmethod
    def parse(cls, data: Mapping[str, Any]) -> Erase:
        return cls(require_int(data, "id", "stroke id to erase"))


@dataclass(frozen=True, slots=True)
class Undo(Envelope):
    """``{"type": "undo"}``: erase the sender's newest stroke still on the board."""

    type: ClassVar[str] = "undo"

    def to_json(self) -> dict[str, Any]:
        return {"type": "undo"}

    @classmethod
    def parse(cls, data: Mapping[str, Any]) -> Undo:
        return cls()


BoardCommand = Cursor | Draw | Stroke | Erase | Undo | Clear | Lock | Remove

COMMANDS: Mapping[str, Any] = {
    cls.type: cls for cls in (Cursor, Draw, Stroke, Erase, Undo, Clear, Lock, Remove)}

#: Commands that change the board: refused for non-moderators while it is locked.
WRITES: tuple[type[Envelope], ...] = (Draw, Stroke, Erase, Undo)


def parse_command(message: str | bytes, *, max_depth: int = MAX_JSON_DEPTH) -> BoardCommand:
    """A board client frame, validated; :class:`ProtocolError` names what is wrong."""
    data = parse_object(message, max_depth=max_depth)
    kind = data.get("type")
    command = COMMANDS.get(kind) if isinstance(kind, str) else None
    if command is None:
        raise ProtocolError("bad_message", f"unknown message type {str(kind)[:40]!r}")
    return command.parse(data)


# --- server to client ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CursorMoved(Envelope):
    """``{"type": "cursor", "id", "user", "x", "y"}``, to everyone but the mover."""

    id: str
    user: User
    x: float
    y: float
    type: ClassVar[str] = "cursor"

    def to_json(self) -> dict[str, Any]:
        return {"type": "cursor", "id": self.id, "user": self.user, "x": self.x, "y": self.y}


@dataclass(frozen=True, slots=True)
class Drawing(Envelope):
    """``{"type": "draw", "from", "user", ...ink}``, to everyone but the drawer."""

    sender: str
    user: User
    ink: Ink
    type: ClassVar[str] = "draw"

    def to_json(self) -> dict[str, Any]:
        return {"type": "draw", "from": self.sender, "user": self.user, **self.ink.to_json()}


@dataclass(frozen=True, slots=True)
class Erased(Envelope):
    """``{"type": "erased", "id"}``: a stroke left the board."""

    id: int
    type: ClassVar[str] = "erased"

    def to_json(self) -> dict[str, Any]:
        return {"type": "erased", "id": self.id}


def stored_stroke(sender_id: str | None, user: User, ink: Ink, timestamp: int) -> str:
    """The stored text of a stroke: ``{"from", "user", ...ink, "timestamp"}``."""
    return encode_json({"from": sender_id, "user": user, **ink.to_json(),
                        "timestamp": timestamp})


def stroke_frame(offset: int, entry: str) -> str:
    """``{"type": "stroke", "stroke": {"id", ...}}`` of a stored stroke."""
    return '{"type":"stroke","stroke":%s}' % with_offset(offset, entry)


@dataclass(frozen=True, slots=True)
class State(Envelope):
    """The ``state`` join frame from strokes a client holds (the kernel relay's).

    The room host builds it from stored text instead (:func:`state_frame`).
    """

    strokes: list[dict[str, Any]]
    epoch: str | None
    recovered: bool = False
    type: ClassVar[str] = JOIN_TYPE

    def to_json(self) -> dict[str, Any]:
        return {"type": JOIN_TYPE, "strokes": self.strokes, "epoch": self.epoch,
                "recovered": self.recovered}


def state_frame(epoch: str, entries: Iterable[tuple[int, str]], recovered: bool) -> str:
    """``{"type": "state", "strokes": [...], "epoch", "recovered"}`` from stored strokes."""
    return log_join_frame(JOIN_TYPE, "strokes",
                          (with_offset(offset, entry) for offset, entry in entries),
                          epoch, recovered)


# --- client side ------------------------------------------------------------------------


class BoardStrokes:
    """The board's strokes in server order, built from server frames alone.

    Follows the delivery contract: a ``state`` frame with ``recovered: false``
    replaces everything, one with ``recovered: true`` continues it; ids only
    grow, so a stroke already held (live and again in a resume) is dropped.
    Frames arrive on the client's thread; readers on any thread get copies.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._strokes: dict[int, dict[str, Any]] = {}
        self.epoch: str | None = None

    @property
    def strokes(self) -> list[dict[str, Any]]:
        with self._lock:
            return list(self._strokes.values())

    def __len__(self) -> int:
        return len(self._strokes)

    def apply(self, kind: str | None, frame: Mapping[str, Any]) -> None:
        """Apply one server frame (``kind`` is its ``type``)."""
        with self._lock:
            if kind == JOIN_TYPE:
                if not frame.get("recovered"):
                    self._strokes.clear()
                self.epoch = frame.get("epoch", self.epoch)
                for stroke in frame.get("strokes") or ():
                    self._add(stroke)
            elif kind == "stroke":
                self._add(frame.get("stroke"))
            elif kind == "erased":
                self._strokes.pop(frame.get("id"), None)  # type: ignore[arg-type]
            elif kind == "cleared":
                self._strokes.clear()
                self.epoch = frame.get("epoch", self.epoch)

    def _add(self, stroke: Any) -> None:
        if isinstance(stroke, dict) and isinstance(stroke.get("id"), int):
            self._strokes.setdefault(stroke["id"], stroke)
