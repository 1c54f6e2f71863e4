"""Typed board items (shapes, text, sticky notes) and moving any stored board entry.

A stroke is ink (``points``); an item has a ``kind`` and a box: ``x, y`` its
corner, ``w, h`` its extent (for ``line`` and ``arrow``, the vector from the
start to the end, so either may be negative). An ``image`` item refers by
``src`` (the SHA-256 of its bytes) to a PNG or JPEG stored once
(:class:`Picture`). Everything is validated and
normalised here, once, for the room host and the kernel alike
(docs/protocol.md, "Items"; docs/security.md, "Board items").
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import struct
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..errors import ProtocolError
from .boardspace import (BOARD_HEIGHT, BOARD_WIDTH, DEFAULT_COLOR, MAX_WIDTH, check_color,
                         check_page, check_sid, coordinate)

__all__ = ["BOXES", "DEFAULT_SIZE", "KINDS", "LINES", "MAX_IMAGE_BYTES", "MAX_IMAGE_SIDE",
           "MAX_TEXT", "NOTE_COLOR", "TEXTS", "Item", "Picture", "check_src", "image_size",
           "moved"]

#: Kinds drawn from a start point to an end point (``w``/``h`` may be negative).
LINES = ("line", "arrow")
#: Kinds drawn in a box (``w``/``h`` normalised to be positive).
BOXES = ("rect", "ellipse", "note", "image")
#: Kinds that carry ``text``.
TEXTS = ("text", "note")
KINDS = (*LINES, "rect", "ellipse", "text", "note", "image")
#: An image's bytes fit one stored value (128 KiB once in base64) ...
MAX_IMAGE_BYTES = 96_000
#: ... and its pixels stay few, whatever its compressed size (no decompression bombs).
MAX_IMAGE_SIDE = 4096
_SHA256 = 64
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
    src: str | None = None
    page: int = 0

    def to_json(self) -> dict[str, Any]:
        item: dict[str, Any] = {"kind": self.kind, "x": self.x, "y": self.y}
        if self.kind != "text":
            item.update(w=self.w, h=self.h)
        item["color"] = self.color
        if self.kind not in (*TEXTS, "image"):
            item["width"] = self.width
        if self.fill is not None:
            item["fill"] = self.fill
        if self.kind in TEXTS:
            item.update(text=self.text, size=self.size)
        if self.src is not None:
            item["src"] = self.src
        if self.sid is not None:
            item["sid"] = self.sid
        if self.page:
            item["page"] = self.page
        return item

    @classmethod
    def parse(cls, data: Mapping[str, Any], src: str | None = None) -> Item:
        """Validate and normalise what a client sent, or ``bad_item`` saying what is wrong.

        ``src`` is an image's reference, from its :class:`Picture` (never from the client).
        """
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
        if (kind == "image") != (src is not None):
            raise ProtocolError(_BAD, "expected image data on image items only")
        return cls(kind, x, y, w, h, color, width, fill, text, size,
                   check_sid(data.get("sid"), _BAD), src, check_page(data.get("page"), _BAD))


def image_size(raw: bytes) -> tuple[str, int, int]:
    """``(mime, width, height)`` read from a PNG or JPEG header, else ``bad_item``.

    Only these two formats are taken: no SVG (scripts, external references)
    and nothing a browser or resvg would need to guess.
    """
    if raw[:8] == b"\x89PNG\r\n\x1a\n" and raw[12:16] == b"IHDR":
        width, height = struct.unpack(">II", raw[16:24])
        return "image/png", width, height
    if raw[:3] == b"\xff\xd8\xff":
        pos = 2
        while pos + 9 < len(raw) and raw[pos] == 0xFF:
            marker, length = raw[pos + 1], struct.unpack(">H", raw[pos + 2:pos + 4])[0]
            if marker in (0xC0, 0xC1, 0xC2, 0xC3):  # start of frame: baseline or progressive
                height, width = struct.unpack(">HH", raw[pos + 5:pos + 9])
                return "image/jpeg", width, height
            pos += 2 + length
    raise ProtocolError(_BAD, "expected image data as a PNG or JPEG (SVG is not taken)")


@dataclass(frozen=True, slots=True)
class Picture:
    """An image's bytes as a client sends them (``data``: base64), checked; ``src`` names it."""

    mime: str
    raw: bytes

    @property
    def src(self) -> str:
        return hashlib.sha256(self.raw).hexdigest()

    @property
    def data(self) -> str:
        return base64.b64encode(self.raw).decode("ascii")

    @classmethod
    def parse(cls, data: Any) -> Picture:
        """Base64 of a PNG/JPEG of at most MAX_IMAGE_BYTES and MAX_IMAGE_SIDE pixels a side."""
        if not isinstance(data, str) or len(data) > (MAX_IMAGE_BYTES + 2) // 3 * 4:
            raise ProtocolError(_BAD, f"expected image data as base64 of at most "
                                      f"{MAX_IMAGE_BYTES} bytes")
        try:
            raw = base64.b64decode(data, validate=True)
        except (binascii.Error, ValueError):
            raise ProtocolError(_BAD, "expected image data as base64") from None
        mime, width, height = image_size(raw)
        if not (0 < width <= MAX_IMAGE_SIDE and 0 < height <= MAX_IMAGE_SIDE):
            raise ProtocolError(_BAD, f"expected an image of at most {MAX_IMAGE_SIDE} pixels "
                                      "a side")
        return cls(mime, raw)


def check_src(value: Any) -> str:
    """An image reference: 64 lowercase hex digits (a SHA-256), else ``bad_message``."""
    if not isinstance(value, str) or len(value) != _SHA256 or \
            value.strip("0123456789abcdef"):
        raise ProtocolError("bad_message", "expected \"src\": <64 hex digits of an image>")
    return value


def moved(entry: Mapping[str, Any], dx: float, dy: float,
          size: tuple[float, float] | None = None) -> dict[str, Any]:
    """A stored stroke or item shifted by ``dx, dy`` (and given extent ``size``), kept on the board.

    A stroke's points are clamped one by one; an item's corner is clamped so
    its box (or a line's far end) stays on the board, like :meth:`Item.parse`.
    ``size`` applies to items with an extent (not strokes, not text); a box's
    is at least 1 x 1.
    """
    entry = dict(entry)
    if size is not None and entry.get("kind") in (*LINES, *BOXES):
        low = -BOARD_WIDTH if entry["kind"] in LINES else 1
        entry["w"] = coordinate(size[0], low, BOARD_WIDTH, _BAD)
        entry["h"] = coordinate(size[1], -BOARD_HEIGHT if low < 0 else 1, BOARD_HEIGHT, _BAD)
        entry["w"] = coordinate(entry["w"], -entry["x"], BOARD_WIDTH - entry["x"], _BAD)
        entry["h"] = coordinate(entry["h"], -entry["y"], BOARD_HEIGHT - entry["y"], _BAD)
    if "kind" not in entry:
        entry["points"] = [[coordinate(px + dx, 0, BOARD_WIDTH), coordinate(py + dy, 0, BOARD_HEIGHT)]
                           for px, py in entry.get("points") or ()]
        return entry
    w, h = float(entry.get("w", 0)), float(entry.get("h", 0))
    entry["x"] = coordinate(entry["x"] + dx, max(0.0, -w), min(BOARD_WIDTH, BOARD_WIDTH - w), _BAD)
    entry["y"] = coordinate(entry["y"] + dy, max(0.0, -h), min(BOARD_HEIGHT, BOARD_HEIGHT - h),
                            _BAD)
    return entry
