"""The board's space and the checks every board value goes through.

The board is a 1000 x 625 space (views scale it to their size). Every number
a client sends for it is finite, clamped to a range and rounded to 0.1; every
colour is ``#rgb``/``#rrggbb``; every client-chosen id (``sid``) is short and
plain. A refused value raises :class:`ProtocolError` with the caller's code
(``bad_stroke`` for strokes, ``bad_item`` for typed items): docs/protocol.md,
"The board party", and docs/security.md, "Board items".
"""

from __future__ import annotations

import math
import re
from typing import Any

from ..errors import ProtocolError

__all__ = ["BOARD_HEIGHT", "BOARD_WIDTH", "DEFAULT_COLOR", "MAX_PAGES", "MAX_WIDTH",
           "check_color", "check_page", "check_sid", "coordinate"]

BOARD_WIDTH = 1000
BOARD_HEIGHT = 625
MAX_WIDTH = 64
DEFAULT_COLOR = "#222222"
#: Pages of a board: 0 (the first, and every entry of a board older than pages) to 19.
MAX_PAGES = 20
_COLOR = re.compile(r"#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})")
_SID = re.compile(r"[A-Za-z0-9_.:-]{1,64}")


def coordinate(value: Any, low: float, high: float, code: str = "bad_stroke") -> float:
    """A finite number clamped to ``low..high`` and rounded to 0.1, else ``code``.

    Clamping (not refusing) huge values keeps a sloppy client drawing; NaN and
    infinities are refused because no place on the board means them.
    """
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ProtocolError(code, f"expected a number, got {str(value)[:20]!r}")
    return round(min(high, max(low, float(value))), 1)


def check_color(value: Any, code: str, what: str = "color") -> str:
    """A ``#rgb``/``#rrggbb`` colour, else ``code``: nothing else reaches SVG or canvas."""
    if not isinstance(value, str) or not _COLOR.fullmatch(value):
        raise ProtocolError(code, f"expected {what} as #rgb or #rrggbb")
    return value


def check_sid(value: Any, code: str) -> str | None:
    """An optional client-chosen id: 1 to 64 characters ``[A-Za-z0-9_.:-]``, else ``code``."""
    if value is not None and (not isinstance(value, str) or not _SID.fullmatch(value)):
        raise ProtocolError(code, "expected sid as 1 to 64 characters [A-Za-z0-9_.:-]")
    return value


def check_page(value: Any, code: str) -> int:
    """A page number ``0..MAX_PAGES - 1`` (absent means 0), else ``code``."""
    if value is None:
        return 0
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < MAX_PAGES:
        raise ProtocolError(code, f"expected page as an integer from 0 to {MAX_PAGES - 1}")
    return value
