"""``Board``: a shared whiteboard (the ``board`` party) in a notebook cell."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any
from xml.sax.saxutils import quoteattr

from ..protocol import board
from ..protocol.board import BOARD_HEIGHT, BOARD_WIDTH, BoardStrokes
from ..protocol.frames import read_frame
from .room_widget import STATIC, RoomWidget

if TYPE_CHECKING:
    from ..client import RoomClient

__all__ = ["Board", "strokes_to_svg"]

#: Background of exported boards, the same "paper" the front end draws on.
PAPER = "#fdfdfb"


def _number(value: float) -> str:
    return f"{value:g}"


def strokes_to_svg(strokes: Iterable[dict[str, Any]], *, background: str | None = PAPER) -> str:
    """A standalone SVG document of ``strokes`` in the 1000 x 625 board space.

    One ``<polyline>`` per stroke (a ``<circle>`` for a single point), drawn in
    order, with round caps and joins as on screen.
    """
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" version="1.1" width="{BOARD_WIDTH}" '
             f'height="{BOARD_HEIGHT}" viewBox="0 0 {BOARD_WIDTH} {BOARD_HEIGHT}">']
    if background:
        parts.append(f'<rect width="100%" height="100%" fill={quoteattr(background)}/>')
    for stroke in strokes:
        points = stroke.get("points") or []
        color = quoteattr(str(stroke.get("color", "#222222")))
        width = float(stroke.get("width", 3))
        if len(points) == 1:
            x, y = points[0]
            parts.append(f'<circle cx="{_number(x)}" cy="{_number(y)}" r="{_number(width / 2)}" '
                         f'fill={color}/>')
        elif points:
            coords = " ".join(f"{_number(x)},{_number(y)}" for x, y in points)
            parts.append(f'<polyline points="{coords}" fill="none" stroke={color} '
                         f'stroke-width="{_number(width)}" stroke-linecap="round" '
                         f'stroke-linejoin="round"/>')
    parts.append("</svg>")
    return "\n".join(parts)


class Board(RoomWidget):
    """A shared whiteboard shown in the notebook, with its kernel side.

    ``Board("class-101")`` joins room ``class-101`` of the ``board`` party.
    The kernel reads the strokes live, draws and exports:

    >>> board = Board("class-101")                       # doctest: +SKIP
    >>> board.draw([(100, 100), (300, 200)], color="#e53935", width=4)  # doctest: +SKIP
    >>> board.to_svg()                                   # doctest: +SKIP

    PNG export is not offered: rasterising needs a non-pure dependency
    (Pillow/cairo); convert the SVG where one is available.
    """

    _esm = STATIC / "board.js"
    _css = STATIC / "board.css"

    def __init__(self, room: str, *, party: str = "board", endpoint: str | None = None,
                 **kwargs: Any) -> None:
        self._state = BoardStrokes()
        super().__init__(room, party=party, endpoint=endpoint, **kwargs)

    def _on_server_frame(self, frame: Any) -> None:
        self._state.apply(*read_frame(frame))
        super()._on_server_frame(frame)

    @property
    def strokes(self) -> list[dict[str, Any]]:
        """Finished strokes in board order, kept live by the kernel's client."""
        self.client  # noqa: B018 - connect on first use; raises if no room host
        return self._state.strokes

    def draw(self, points: Sequence[Sequence[float]], color: str = "#222",
             width: float = 3) -> None:
        """Add a stroke through ``points`` ([(x, y), ...] in the 1000 x 625 space).

        Checked here by the board's own rules, so a bad stroke raises
        :class:`~partywidget.ProtocolError` at the call instead of being
        refused later by the room host.
        """
        ink = board.Ink.parse({"points": [[x, y] for x, y in points], "color": color,
                               "width": width})
        self.send_frame(board.Stroke(ink))

    def to_svg(self) -> str:
        """The board as a standalone SVG document (see :func:`strokes_to_svg`)."""
        return strokes_to_svg(self.strokes)

    def _join_frame(self, client: RoomClient) -> board.State:
        return board.State(self._state.strokes, self._state.epoch)
