"""The ``board`` party (whiteboard): its frames, the stroke rules, and the client's fold.

The board is an ordered list of finished strokes in a 1000 x 625 space, kept
in the room log (docs/protocol.md, "The board party").

Client to server: :class:`Cursor`, :class:`Draw` (a stroke in progress),
:class:`Stroke` (a finished one), :class:`Place` (a typed item: shape, text,
sticky note; :mod:`.board_items`), :class:`Move`, :class:`Erase`,
:class:`Undo`, :class:`Redo`, :class:`Page`, :class:`PageName` and the moderators' :class:`~.frames.Lock`,
:class:`~.frames.Clear`, :class:`~.frames.Remove`; :func:`parse_command`
reads any of them.

Server to client: ``welcome``, then :func:`state_frame`; live
:class:`CursorMoved`, :class:`Drawing`, :func:`entry_frame` (``stroke`` or
``item``), :class:`Erased` and the shared frames. :class:`BoardStrokes` is the
client's fold.
"""

from __future__ import annotations

import threading
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from ..errors import ProtocolError
from .board_items import Item, Picture, check_src
from .boardspace import (BOARD_HEIGHT, BOARD_WIDTH, DEFAULT_COLOR, MAX_PAGES, MAX_WIDTH,
                         check_color, check_page, check_sid, coordinate)
from .frames import (Clear, Envelope, Lock, Remove, User, log_join_frame, parse_object,
                     require_int, with_offset)
from .jsonrules import MAX_JSON_DEPTH, encode_json
from .names import shown_text

__all__ = [
    "BOARD_HEIGHT", "BOARD_WIDTH", "COMMANDS", "DEFAULT_COLOR", "JOIN_TYPE",
    "MAX_INKING_POINTS", "MAX_INKING_POINTS_PER_CONNECTION", "MAX_POINTS",
    "MAX_WIDTH", "WRITES", "BoardCommand", "BoardStrokes", "Cursor", "CursorMoved", "Draw",
    "Drawing", "Erase", "Erased", "GetImage", "ImageBytes", "Ink", "Item", "MAX_PAGES",
    "MAX_PAGE_NAME", "Move", "Page", "PageName", "Picture", "Place", "Redo", "Shape", "Shaping", "State", "Stroke",
    "Undo", "entry_frame", "pages_frames", "parse_command", "state_frame", "stored_entry",
    "stored_stroke", "stroke_frame",
]

#: The frame that completes a join to the board (after ``welcome``).
JOIN_TYPE = "state"
MAX_POINTS = 5000
#: Points the server relays for one stroke in progress (``draw`` frames sharing a
#: ``sid``), and for all of one connection's unfinished strokes together: the
#: room relays, and every viewer holds and repaints, nothing larger. Twice
#: ``MAX_POINTS`` per stroke leaves room for the point each ``draw`` repeats.
MAX_INKING_POINTS = 2 * MAX_POINTS
MAX_INKING_POINTS_PER_CONNECTION = 4 * MAX_POINTS


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
    page: int = 0
    #: 1 for a pen; less for a highlighter (ink you see through). Left out when 1.
    alpha: float = 1.0
    #: The pen's pressure at each point (0..1), when the device reports it; else None
    #: (left out: strokes without it are drawn at their width, as before pressure).
    pressure: list[float] | None = None

    def to_json(self) -> dict[str, Any]:
        ink: dict[str, Any] = {"points": self.points, "color": self.color, "width": self.width}
        if self.sid is not None:
            ink["sid"] = self.sid
        if self.alpha != 1:
            ink["alpha"] = self.alpha
        if self.pressure is not None:
            ink["pressure"] = self.pressure
        if self.page:  # page 0 is left out: strokes stay as they were before pages
            ink["page"] = self.page
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
        color = check_color(data.get("color", DEFAULT_COLOR), "bad_stroke")
        width = coordinate(data.get("width", 3), 0.5, MAX_WIDTH)
        return cls(clean, color, width, check_sid(data.get("sid"), "bad_stroke"),
                   check_page(data.get("page"), "bad_stroke"),
                   coordinate(data.get("alpha", 1), 0.1, 1, "bad_stroke"),
                   _pressure(data.get("pressure"), len(clean)))


def _pressure(value: Any, count: int) -> list[float] | None:
    """Optional pressures, one per point, each clamped to 0..1 and rounded to 0.1.

    Bounded by the points' own bound (one number each), so it adds no new
    flood; anything but a list of ``count`` finite numbers is ``bad_stroke``.
    """
    if value is None:
        return None
    if not isinstance(value, list) or len(value) != count:
        raise ProtocolError("bad_stroke", "expected pressure as one number from 0 to 1 per point")
    return [coordinate(p, 0, 1) for p in value]


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
class Place(Envelope):
    """``{"type": "item", ...item}``: a typed item (:class:`Item`), stored at the end.

    An image item carries its bytes as ``"data"`` (base64, :class:`Picture`);
    the room stores them once and the item refers to them by ``src``.
    """

    item: Item
    picture: Picture | None = None
    type: ClassVar[str] = "item"

    def to_json(self) -> dict[str, Any]:
        item = self.item.to_json()
        if self.picture is not None:
            del item["src"]  # the room host computes it from the bytes
            item["data"] = self.picture.data
        return {"type": "item", **item}

    @classmethod
    def parse(cls, data: Mapping[str, Any]) -> Place:
        picture = Picture.parse(data.get("data")) if data.get("kind") == "image" else None
        return cls(Item.parse(data, picture.src if picture else None), picture)


@dataclass(frozen=True, slots=True)
class Shape(Envelope):
    """``{"type": "shape", ...item}``: a line, arrow, box or ellipse being dragged out.

    Relayed to the others as it grows (like ``draw``), never stored; the
    finished one is an ``item`` with the same ``sid``.
    """

    item: Item
    type: ClassVar[str] = "shape"

    def to_json(self) -> dict[str, Any]:
        return {"type": "shape", **self.item.to_json()}

    @classmethod
    def parse(cls, data: Mapping[str, Any]) -> Shape:
        if data.get("kind") not in ("line", "arrow", "rect", "ellipse"):
            raise ProtocolError("bad_item", "expected kind as one of line, arrow, rect, ellipse")
        return cls(Item.parse(data))


@dataclass(frozen=True, slots=True)
class GetImage(Envelope):
    """``{"type": "getImage", "src"}``: ask for an image's bytes (answered to the sender)."""

    src: str
    type: ClassVar[str] = "getImage"

    def to_json(self) -> dict[str, Any]:
        return {"type": "getImage", "src": self.src}

    @classmethod
    def parse(cls, data: Mapping[str, Any]) -> GetImage:
        return cls(check_src(data.get("src")))


@dataclass(frozen=True, slots=True)
class Move(Envelope):
    """``{"type": "move", "id", "dx", "dy", "w"?, "h"?}``: the author or a moderator shifts
    a stroke or item, and resizes an item that has a box (``w``/``h``: its new extent).

    The moved entry replaces the old one under a new id (server order decides
    between concurrent moves: the first wins, a later one finds the id gone).
    """

    id: int
    dx: float
    dy: float
    w: float | None = None
    h: float | None = None
    type: ClassVar[str] = "move"

    def to_json(self) -> dict[str, Any]:
        move: dict[str, Any] = {"type": "move", "id": self.id, "dx": self.dx, "dy": self.dy}
        if self.w is not None and self.h is not None:
            move.update(w=self.w, h=self.h)
        return move

    @classmethod
    def parse(cls, data: Mapping[str, Any]) -> Move:
        size = [None if data.get(key) is None else
                coordinate(data.get(key), -limit, limit, "bad_message")
                for key, limit in (("w", BOARD_WIDTH), ("h", BOARD_HEIGHT))]
        if (size[0] is None) != (size[1] is None):
            raise ProtocolError("bad_message", "expected both \"w\" and \"h\", or neither")
        return cls(require_int(data, "id", "id of the stroke or item to move"),
                   coordinate(data.get("dx", 0), -BOARD_WIDTH, BOARD_WIDTH, "bad_message"),
                   coordinate(data.get("dy", 0), -BOARD_HEIGHT, BOARD_HEIGHT, "bad_message"),
                   *size)


@dataclass(frozen=True, slots=True)
class Page(Envelope):
    """``{"type": "page", "page"}``: the page a moderator (the teacher) is on, for followers.

    From a moderator it is kept and relayed to everyone; joiners get the last one.
    """

    page: int
    type: ClassVar[str] = "page"

    def to_json(self) -> dict[str, Any]:
        return {"type": "page", "page": self.page}

    @classmethod
    def parse(cls, data: Mapping[str, Any]) -> Page:
        return cls(check_page(data.get("page"), "bad_message"))


#: A page's name, at most this many characters (shown as text in the page bar).
MAX_PAGE_NAME = 40


def check_page_name(value: Any) -> str:
    """A page name: 0 to MAX_PAGE_NAME characters of one line, trimmed; "" is no name.

    Plain text only (views show it with ``textContent``); control characters,
    newlines included, are refused (``bad_message``); format characters (bidi
    overrides, zero-width) are removed as from every shown name (:func:`shown_text`).
    """
    if not isinstance(value, str) or len(value) > MAX_PAGE_NAME:
        raise ProtocolError("bad_message",
                            f"expected name as text of at most {MAX_PAGE_NAME} characters")
    if any(unicodedata.category(c) in ("Cc", "Zl", "Zp") for c in value):
        raise ProtocolError("bad_message", "expected name as one line without control characters")
    return shown_text(value, MAX_PAGE_NAME)


def pages_frames(page: int, names: Mapping[int, str]) -> list[Envelope]:
    """What a joiner gets after the ``state`` frame: the teacher's ``page`` (when
    not 0) and one ``pageName`` per named page, in page order.

    The room host sends them on every join (parties/board.py) and a kernel
    relaying to its pages replays them on every ``hello`` (widgets/board.py),
    so a page joining through the kernel learns the names as a direct joiner does.
    """
    frames: list[Envelope] = [Page(page)] if page else []
    return frames + [PageName(number, name) for number, name in sorted(names.items()) if name]


@dataclass(frozen=True, slots=True)
class PageName(Envelope):
    """``{"type": "pageName", "page", "name"}``: a moderator names a page ("" clears it).

    Kept by the room host (last one wins, in server order) and relayed to
    everyone; every join gets one per named page (so a resumed view has them).
    """

    page: int
    name: str
    type: ClassVar[str] = "pageName"

    def to_json(self) -> dict[str, Any]:
        return {"type": "pageName", "page": self.page, "name": self.name}

    @classmethod
    def parse(cls, data: Mapping[str, Any]) -> PageName:
        return cls(check_page(data.get("page"), "bad_message"), check_page_name(data.get("name")))


@dataclass(frozen=True, slots=True)
class Undo(Envelope):
    """``{"type": "undo"}``: take back the sender's last change (else erase their newest)."""

    type: ClassVar[str] = "undo"

    def to_json(self) -> dict[str, Any]:
        return {"type": "undo"}

    @classmethod
    def parse(cls, data: Mapping[str, Any]) -> Undo:
        return cls()


@dataclass(frozen=True, slots=True)
class Redo(Envelope):
    """``{"type": "redo"}``: make again the sender's last undone change."""

    type: ClassVar[str] = "redo"

    def to_json(self) -> dict[str, Any]:
        return {"type": "redo"}

    @classmethod
    def parse(cls, data: Mapping[str, Any]) -> Redo:
        return cls()


BoardCommand = (Cursor | Draw | Stroke | Shape | Place | GetImage | Move | Erase | Undo | Redo
                | Page | PageName | Clear | Lock | Remove)

COMMANDS: Mapping[str, Any] = {
    cls.type: cls for cls in (Cursor, Draw, Stroke, Shape, Place, GetImage, Move, Erase, Undo,
                              Redo, Page, PageName, Clear, Lock, Remove)}

#: Commands that change the board: refused for non-moderators while it is locked.
WRITES: tuple[type[Envelope], ...] = (Draw, Stroke, Shape, Place, Move, Erase, Undo, Redo)


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
class Shaping(Envelope):
    """``{"type": "shape", "from", "user", ...item}``, to everyone but who drags it out."""

    sender: str
    user: User
    item: Item
    type: ClassVar[str] = "shape"

    def to_json(self) -> dict[str, Any]:
        return {"type": "shape", "from": self.sender, "user": self.user, **self.item.to_json()}


@dataclass(frozen=True, slots=True)
class ImageBytes(Envelope):
    """``{"type": "image", "src", "mime", "data"}``: an image's bytes (base64), to who asked."""

    src: str
    mime: str
    data: str
    type: ClassVar[str] = "image"

    def to_json(self) -> dict[str, Any]:
        return {"type": "image", "src": self.src, "mime": self.mime, "data": self.data}


@dataclass(frozen=True, slots=True)
class Erased(Envelope):
    """``{"type": "erased", "id"}``: a stroke left the board."""

    id: int
    type: ClassVar[str] = "erased"

    def to_json(self) -> dict[str, Any]:
        return {"type": "erased", "id": self.id}


def stored_stroke(sender_id: str | None, user: User, ink: Ink, timestamp: int) -> str:
    """The stored text of a stroke: ``{"from", "user", ...ink, "timestamp"}``."""
    return stored_entry(sender_id, user, ink.to_json(), timestamp)


def stored_entry(sender_id: str | None, user: User, fields: Mapping[str, Any],
                 timestamp: int) -> str:
    """The stored text of a stroke or item: ``{"from", "user", ...fields, "timestamp"}``."""
    return encode_json({"from": sender_id, "user": user, **fields, "timestamp": timestamp})


def stroke_frame(offset: int, entry: str) -> str:
    """``{"type": "stroke", "stroke": {"id", ...}}`` of a stored stroke."""
    return '{"type":"stroke","stroke":%s}' % with_offset(offset, entry)


def entry_frame(offset: int, entry: str, is_item: bool) -> str:
    """The live frame of a stored entry: ``stroke`` for ink, ``{"type": "item", "item"}`` else.

    Strokes keep their frame so older clients keep drawing them.
    """
    if not is_item:
        return stroke_frame(offset, entry)
    return '{"type":"item","item":%s}' % with_offset(offset, entry)


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
    """``{"type": "state", "strokes": [...], "epoch", "recovered"}`` from stored entries.

    ``strokes`` keeps its name and holds every entry in board order: strokes
    and, with a ``kind``, typed items (z-order is board order).
    """
    return log_join_frame(JOIN_TYPE, "strokes",
                          (with_offset(offset, entry) for offset, entry in entries),
                          epoch, recovered)


# --- client side ------------------------------------------------------------------------


class BoardStrokes:
    """The board's strokes and items in server order, built from server frames alone.

    Follows the delivery contract: a ``state`` frame with ``recovered: false``
    replaces everything, one with ``recovered: true`` continues it; ids only
    grow, so an entry already held (live and again in a resume) is dropped.
    A move arrives as ``erased`` (the old id) then ``stroke``/``item`` (the new).
    Frames arrive on the client's thread; readers on any thread get copies.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: dict[int, dict[str, Any]] = {}
        #: Image bytes by ``src``, as ``image`` frames brought them: ``(mime, base64)``.
        self.images: dict[str, tuple[str, str]] = {}
        #: The page the teacher is on (the last ``page`` frame).
        self.page = 0
        #: Pages' names by page (``pageName`` frames); a page without one has none.
        self.page_names: dict[int, str] = {}
        self.epoch: str | None = None

    @property
    def items(self) -> list[dict[str, Any]]:
        """Every stroke and typed item, in board order."""
        with self._lock:
            return list(self._entries.values())

    @property
    def strokes(self) -> list[dict[str, Any]]:
        """The freehand strokes alone (entries without a ``kind``), in board order."""
        with self._lock:
            return [entry for entry in self._entries.values() if "kind" not in entry]

    def __len__(self) -> int:
        return len(self._entries)

    def apply(self, kind: str | None, frame: Mapping[str, Any]) -> None:
        """Apply one server frame (``kind`` is its ``type``)."""
        with self._lock:
            if kind == JOIN_TYPE:
                if not frame.get("recovered"):
                    self._entries.clear()
                self.epoch = frame.get("epoch", self.epoch)
                for entry in frame.get("strokes") or ():
                    self._add(entry)
            elif kind in ("stroke", "item"):
                self._add(frame.get(kind))
            elif kind == "erased":
                self._entries.pop(frame.get("id"), None)  # type: ignore[arg-type]
            elif kind == "page" and isinstance(frame.get("page"), int):
                self.page = frame["page"]
            elif kind == "pageName" and isinstance(frame.get("page"), int):
                name = frame.get("name")
                if isinstance(name, str) and name:
                    self.page_names[frame["page"]] = name
                else:
                    self.page_names.pop(frame["page"], None)
            elif kind == "image" and isinstance(frame.get("src"), str):
                self.images[frame["src"]] = (str(frame.get("mime")), str(frame.get("data")))
            elif kind == "cleared":
                self._entries.clear()
                self.epoch = frame.get("epoch", self.epoch)

    def _add(self, entry: Any) -> None:
        if isinstance(entry, dict) and isinstance(entry.get("id"), int):
            self._entries.setdefault(entry["id"], entry)
