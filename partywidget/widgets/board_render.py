"""The board as an image, without a browser: SVG built from the fold, PNG from that SVG.

:func:`board_svg` draws strokes and typed items in board order, the way
``js/strokes.ts`` draws them on the canvas: pen ink as the perfect-freehand
outline ``js/ink.ts`` draws (computed by the Python port of perfect-freehand),
the same arrow heads, text baselines and note wrapping, so an export looks like
the board. :func:`svg_to_png`
rasterises it with resvg (``resvg-py``): a maintained Rust renderer with
manylinux/macOS/Windows wheels, no cairo or browser, and correct text with the
system fonts (docs/security.md, "Board items": every value reaches the SVG as
an escaped attribute or text node, never as markup).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from ..errors import ConfigurationError
from ..protocol.board import BOARD_HEIGHT, BOARD_WIDTH, DEFAULT_COLOR

__all__ = ["PAPER", "arrow_head", "board_svg", "ink_outline", "note_lines", "trace_outline",
           "svg_to_png"]

#: Background of exported boards, the same "paper" the front end draws on.
PAPER = "#fdfdfb"
#: A text line's baseline sits this many font sizes below its top (as in strokes.ts).
ASCENT = 0.8
LINE_HEIGHT = 1.25
NOTE_PAD = 8
#: perfect-freehand's options for pen ink, as in js/ink.ts (real pressure only, never simulated).
INK_OPTIONS: dict[str, Any] = {"thinning": 0.5, "smoothing": 0.5, "streamline": 0.5,
                               "simulate_pressure": False}


def _n(value: float) -> str:
    return f"{value:g}"


def arrow_head(x: float, y: float, w: float, h: float, width: float) -> list[tuple[float, float]]:
    """The three corners of an arrow's head at its end ``(x + w, y + h)``."""
    length = max(10.0, width * 4)
    angle = math.atan2(h, w)
    tip = (x + w, y + h)
    return [tip, *((tip[0] - length * math.cos(angle + s), tip[1] - length * math.sin(angle + s))
                   for s in (0.45, -0.45))]


def note_lines(text: str, width: float, size: float) -> list[str]:
    """A note's text wrapped at words to its box (an average glyph is 0.55 em wide)."""
    per_line = max(1, int((width - 2 * NOTE_PAD) / (size * 0.55)))
    lines: list[str] = []
    for paragraph in text.split("\n"):
        line = ""
        for word in paragraph.split(" "):
            if line and len(line) + 1 + len(word) > per_line:
                lines.append(line)
                line = word
            else:
                line = f"{line} {word}" if line else word
        lines.append(line)
    return lines


def _text(x: float, y: float, lines: list[str], size: float, color: str) -> str:
    spans = "".join(f'<tspan x="{_n(x)}" y="{_n(y + size * (ASCENT + i * LINE_HEIGHT))}">'
                    f"{escape(line)}</tspan>" for i, line in enumerate(lines))
    return (f'<text font-family="sans-serif" font-size="{_n(size)}" fill={quoteattr(color)} '
            f'xml:space="preserve">{spans}</text>')


def _fixed(value: float) -> float:
    """Hundredths, rounded half up (as ``Math.round`` in js/ink.ts)."""
    return math.floor(value * 100 + 0.5) / 100


def trace_outline(outline: list[tuple[float, float]]) -> str:
    """An outline polygon as closed path data: quadratic curves through its edges'
    midpoints, each control point the reflection of the last (ink.ts traceOutline)."""
    if not outline:
        return ""
    d = f"M{_n(_fixed(outline[0][0]))},{_n(_fixed(outline[0][1]))}"
    if len(outline) < 4:
        return d + "".join(f" L{_n(_fixed(x))},{_n(_fixed(y))}" for x, y in outline[1:]) + " Z"

    def mid(i: int) -> tuple[float, float]:
        return (_fixed((outline[i][0] + outline[i + 1][0]) / 2),
                _fixed((outline[i][1] + outline[i + 1][1]) / 2))

    cx, cy = _fixed(outline[1][0]), _fixed(outline[1][1])
    x, y = mid(1)
    parts = [d, f" Q{_n(cx)},{_n(cy)} {_n(x)},{_n(y)}"]
    for i in range(2, len(outline) - 1):
        cx, cy = _fixed(2 * x - cx), _fixed(2 * y - cy)
        x, y = mid(i)
        parts.append(f" Q{_n(cx)},{_n(cy)} {_n(x)},{_n(y)}")
    return "".join(parts) + " Z"


def ink_outline(entry: Mapping[str, Any]) -> str:
    """A pen stroke's perfect-freehand outline as a path, as ``js/ink.ts`` draws it."""
    from perfect_freehand import get_stroke

    points = entry.get("points") or []
    pressure = entry.get("pressure")
    if isinstance(pressure, list) and len(pressure) == len(points):
        points = [(x, y, p) for (x, y), p in zip(points, pressure)]
    return trace_outline(get_stroke(points, size=float(entry.get("width", 3)), last=True,
                                   **INK_OPTIONS))


def _stroke(entry: Mapping[str, Any]) -> str:
    points = entry.get("points") or []
    color = quoteattr(str(entry.get("color", DEFAULT_COLOR)))
    width = float(entry.get("width", 3))
    alpha = float(entry.get("alpha", 1))
    opacity = f' opacity="{_n(alpha)}"' if alpha != 1 else ""  # a highlighter's
    if points and alpha == 1:  # a pen's ink: its smoothed, pressure-aware outline
        return f'<path d="{ink_outline(entry)}" fill={color}/>'
    if len(points) == 1:
        x, y = points[0]
        return f'<circle cx="{_n(x)}" cy="{_n(y)}" r="{_n(width / 2)}" fill={color}{opacity}/>'
    if not points:
        return ""
    coords = " ".join(f"{_n(x)},{_n(y)}" for x, y in points)
    return (f'<polyline points="{coords}" fill="none" stroke={color} '
            f'stroke-width="{_n(width)}" stroke-linecap="round" stroke-linejoin="round"'
            f'{opacity}/>')


def _item(entry: Mapping[str, Any], images: Mapping[str, tuple[str, str]]) -> str:
    kind = entry["kind"]
    x, y = float(entry["x"]), float(entry["y"])
    w, h = float(entry.get("w", 0)), float(entry.get("h", 0))
    color = str(entry.get("color", DEFAULT_COLOR))
    size = float(entry.get("size") or 24)
    ink = f'stroke={quoteattr(color)} stroke-width="{_n(float(entry.get("width", 3)))}"'
    fill = quoteattr(str(entry.get("fill") or "none"))
    if kind in ("line", "arrow"):
        shape = (f'<line x1="{_n(x)}" y1="{_n(y)}" x2="{_n(x + w)}" y2="{_n(y + h)}" {ink} '
                 f'stroke-linecap="round"/>')
        if kind == "arrow":
            head = " ".join(f"{_n(px)},{_n(py)}"
                            for px, py in arrow_head(x, y, w, h, float(entry.get("width", 3))))
            shape += f'<polygon points="{head}" fill={quoteattr(color)}/>'
        return shape
    if kind == "rect":
        return (f'<rect x="{_n(x)}" y="{_n(y)}" width="{_n(w)}" height="{_n(h)}" fill={fill} '
                f'{ink} stroke-linejoin="round"/>')
    if kind == "ellipse":
        return (f'<ellipse cx="{_n(x + w / 2)}" cy="{_n(y + h / 2)}" rx="{_n(w / 2)}" '
                f'ry="{_n(h / 2)}" fill={fill} {ink}/>')
    if kind == "text":
        return _text(x, y, str(entry.get("text", "")).split("\n"), size, color)
    if kind == "note":
        box = (f'<rect x="{_n(x)}" y="{_n(y)}" width="{_n(w)}" height="{_n(h)}" '
               f'fill={quoteattr(color)} stroke="#00000033"/>')
        lines = note_lines(str(entry.get("text", "")), w, size)
        return box + _text(x + NOTE_PAD, y + NOTE_PAD, lines, size, DEFAULT_COLOR)
    if kind == "image":
        box = f'x="{_n(x)}" y="{_n(y)}" width="{_n(w)}" height="{_n(h)}"'
        picture = images.get(str(entry.get("src")))
        if picture is None:  # its bytes have not arrived (yet): a placeholder
            return f'<rect {box} fill="#eeeeee" stroke="#bbbbbb"/>'
        mime, data = picture
        if mime not in ("image/png", "image/jpeg"):  # the room host stores no other kind
            return ""
        return (f'<image {box} preserveAspectRatio="none" '
                f'href={quoteattr(f"data:{mime};base64,{data}")}/>')
    return ""  # a kind from a newer server: skipped, as the front end does


def board_svg(entries: Iterable[Mapping[str, Any]], *, background: str | None = PAPER,
              images: Mapping[str, tuple[str, str]] | None = None) -> str:
    """A standalone SVG document of the board's strokes and items in the 1000 x 625 space.

    ``images`` maps an image item's ``src`` to ``(mime, base64)``; images are
    embedded as ``data:`` URLs (PNG or JPEG only), so the document stands alone.
    """
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" version="1.1" width="{BOARD_WIDTH}" '
             f'height="{BOARD_HEIGHT}" viewBox="0 0 {BOARD_WIDTH} {BOARD_HEIGHT}">']
    if background:
        parts.append(f'<rect width="100%" height="100%" fill={quoteattr(background)}/>')
    for entry in entries:
        drawn = _item(entry, images or {}) if "kind" in entry else _stroke(entry)
        if drawn:
            parts.append(drawn)
    parts.append("</svg>")
    return "\n".join(parts)


def svg_to_png(svg: str, scale: float = 1) -> bytes:
    """PNG bytes of a board SVG, ``1000 * scale`` pixels wide (resvg, no browser)."""
    if not 0 < scale <= 8:
        raise ValueError(f"expected scale in (0, 8], got {scale!r}")
    try:
        import resvg_py
    except ImportError:
        raise ConfigurationError("PNG export needs resvg-py: pip install 'partywidget[png]'") \
            from None
    return bytes(resvg_py.svg_to_bytes(svg_string=svg, width=round(BOARD_WIDTH * scale),
                                       height=round(BOARD_HEIGHT * scale)))
