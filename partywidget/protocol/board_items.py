"""Typed board items (shapes, text, sticky notes) and moving any stored board entry.

A stroke is ink (``points``); an item has a ``kind`` and a box: ``x, y`` its
corner, ``w, h`` its extent (for ``line`` and ``arrow``, the vector from the
start to the end, so either may be negative). Everything is validated and
normalised here, once, for the room host and the kernel alike
(docs/protocol.md, "Items"; docs/security.md, "Board items").
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..errors import ProtocolError
from .boardspace import (BOARD_HEIGHT, BOARD_WIDTH, DEFAULT_COLOR, MAX_WIDTH, check_color,
                         check_sid, coordinate)

__all__ = ["BOXES", "DEFAULT_SIZE", "KINDS", "LINES", "MAX_TEXT", "NOTE_COLOR", "TEXTS", "Item",
           "moved"]

#: Kinds drawn from a start point to an end point (``w``/``h`` may be negative).
LINES = ("line", "arrow")
#: Kinds drawn in a box (``w``/``h`` normalised to be positive).
BOXES = ("rect", "ellipse", "note")
#: Kinds that carry ``text``.
TEXTS = ("text", "note")
KINDS = (*LINES, "rect", "ellipse", "text", "note")
MAX_TEXT = 2000
MIN_SIZE, MAX_SIZE, DEFAULT_SIZE = 8, 160, 24
NOTE_COLOR = "#fff59d"
_BAD = "bad_item"


def _text(value: Any, kind: str) -> str:
    """Plain text: 1 to MAX_TEXT characters, no control characters but newlines and tabs.

    Control characters are refused because XML (the SVG export) cannot hold
    them and they have no business on a board.
    """
    if not isinstance(value, str) or not (kind == "note" or value.strip()) \
            or len(value) > MAX_TEXT:
        raise ProtocolError(_BAD, f"expected text of 1 to {MAX_TEXT} characters")
    if any(unicodedata.category(c) == "Cc" and c not in "\n\t" for c in value):
        raise ProtocolError(_BAD, "expected text without control characters")
    return value


@dataclass(frozen=True, slots=True)
class Item:
    """One typed item as a client asks for it; :meth:`to_json` holds only its kind's fields."""

    kind: str
    x: float
    y: float
    w: float = 0.0
    h: float = 0.0
    color: str = DEFAULT_COLOR
    width: float = 3.0
    fill: str | None = None
    text: str | None = None
    size: float | None = None
    sid: str | None = None

    def to_json(self) -> dict[str, Any]:
        item: dict[str, Any] = {"kind": self.kind, "x": self.x, "y": self.y}
        if self.kind != "text":
            item.update(w=self.w, h=self.h)
        item["color"] = self.color
        if self.kind not in TEXTS:
            item["width"] = self.width
        if self.fill is not None:
            item["fill"] = self.fill
        if self.kind in TEXTS:
            item.update(text=self.text, size=self.size)
        if self.sid is not None:
            item["sid"] = self.sid
        return item

    @classmethod
    def parse(cls, data: Mapping[str, Any]) -> Item:
        """Validate and normalise what a client sent, or ``bad_item`` saying what is wrong."""
        kind = data.get("kind")
        if kind not in KINDS:
            raise ProtocolError(_BAD, f"expected kind as one of {', '.join(KINDS)}")
        x = coordinate(data.get("x"), 0, BOARD_WIDTH, _BAD)
        y = coordinate(data.get("y"), 0, BOARD_HEIGHT, _BAD)
        w = h = 0.0
        if kind != "text":
            # The far end stays on the board: a line or box never reaches outside it.
            w = coordinate(data.get("w"), -x, BOARD_WIDTH - x, _BAD)
            h = coordinate(data.get("h"), -y, BOARD_HEIGHT - y, _BAD)
            if kind not in LINES:
                x, w = (round(x + w, 1), -w) if w < 0 else (x, w)
                y, h = (round(y + h, 1), -h) if h < 0 else (y, h)
        color = check_color(data.get("color", NOTE_COLOR if kind == "note" else DEFAULT_COLOR),
                            _BAD)
        fill = data.get("fill")
        if fill is not None:
            if kind not in ("rect", "ellipse"):
                raise ProtocolError(_BAD, "expected fill only on rect and ellipse")
            fill = check_color(fill, _BAD, "fill")
        text = size = None
        if kind in TEXTS:
            text = _text(data.get("text"), kind)
            size = coordinate(data.get("size", DEFAULT_SIZE), MIN_SIZE, MAX_SIZE, _BAD)
        width = coordinate(data.get("width", 3), 0.5, MAX_WIDTH, _BAD)
        return cls(kind, x, y, w, h, color, width, fill, text, size,
                   check_sid(data.get("sid"), _BAD))


def moved(entry: Mapping[str, Any], dx: float, dy: float) -> dict[str, Any]:
    """A stored stroke or item shifted by ``dx, dy``, kept on the board.

    A stroke's points are clamped one by one; an item's corner is clamped so
    its box (or a line's far end) stays on the board, like :meth:`Item.parse`.
    """
    entry = dict(entry)
    if "kind" not in entry:
        entry["points"] = [[coordinate(px + dx, 0, BOARD_WIDTH), coordinate(py + dy, 0, BOARD_HEIGHT)]
                           for px, py in entry.get("points") or ()]
        return entry
    w, h = float(entry.get("w", 0)), float(entry.get("h", 0))
    entry["x"] = coordinate(entry["x"] + dx, max(0.0, -w), min(BOARD_WIDTH, BOARD_WIDTH - w), _BAD)
    entry["y"] = coordinate(entry["y"] + dy, max(0.0, -h), min(BOARD_HEIGHT, BOARD_HEIGHT - h),
                            _BAD)
    return entry
