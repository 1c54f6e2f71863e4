"""The kernel's Board API says at the call what the room host would do later.

Issue 18, item 5 ("errors at the call, not later"): a colour the wire does not
take (``"red"``) is turned into the hex the wire takes, or refused here with
a :class:`ValueError`; a number or point the board clamps into its range is
kept as clamped, with a :class:`BoardValueClamped` warning naming it.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from typing import Any

__all__ = ["BoardValueClamped", "css_color", "warn_clamped"]

#: Differences below this are the board's rounding to 0.1, not clamping.
_ROUNDING = 0.05
_NUMBERS = ("x", "y", "w", "h", "size", "width")


class BoardValueClamped(UserWarning):
    """A value given to a Board call was outside the board's range and was clamped."""


def css_color(value: Any, what: str = "color") -> Any:
    """``#rgb``/``#rrggbb`` as given; a CSS colour name (``"red"``) as its ``#rrggbb``.

    Names come from webcolors' table of the CSS3 colour keywords (a maintained
    package); an unknown name raises :class:`ValueError` here, at the call.
    Anything else is left to the board's own check (which raises too).
    """
    if not isinstance(value, str) or value.startswith("#"):
        return value
    import webcolors

    try:
        return webcolors.name_to_hex(value.strip().lower(), spec="css3")
    except ValueError:
        raise ValueError(f"expected {what} as #rgb, #rrggbb or a CSS colour name such as "
                         f"'red', got {value!r}") from None


def warn_clamped(given: Mapping[str, Any], kept: Mapping[str, Any], stacklevel: int = 3) -> None:
    """Warn (:class:`BoardValueClamped`) for each number or point the board clamped.

    ``stacklevel`` points the warning at the notebook line that made the call.
    """
    for key in _NUMBERS:
        if key in given and key in kept and _moved(given[key], kept[key]):
            warnings.warn(f"{key}={given[key]!r} is outside the board's range; "
                          f"kept as {kept[key]!r}", BoardValueClamped, stacklevel=stacklevel)
    if "points" in given and "points" in kept:
        outside = sum(_moved(p[0], q[0]) or _moved(p[1], q[1])
                      for p, q in zip(given["points"], kept["points"]))
        if outside:
            warnings.warn(f"{outside} point{'s' if outside > 1 else ''} outside the 1000 x 625 "
                          "board moved onto its edge", BoardValueClamped, stacklevel=stacklevel)
    if given.get("pressure") and kept.get("pressure"):
        if any(_moved(p, q) for p, q in zip(given["pressure"], kept["pressure"])):
            warnings.warn("pressure outside 0..1 clamped", BoardValueClamped,
                          stacklevel=stacklevel)


def _moved(given: Any, kept: Any) -> bool:
    return isinstance(given, (int, float)) and abs(float(given) - float(kept)) > _ROUNDING

