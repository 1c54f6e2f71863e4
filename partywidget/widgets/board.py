"""``Board``: a shared whiteboard (the ``board`` party) in a notebook cell."""

from __future__ import annotations

import base64
import uuid
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..protocol import board
from ..protocol.board import BoardStrokes
from ..protocol.board_items import DEFAULT_SIZE, NOTE_COLOR, Item, Picture, image_size
from ..protocol.frames import read_frame
from .board_checks import css_color, warn_clamped
from .board_images import image_bytes
from .board_render import PAPER, board_svg, svg_to_png
from .room_widget import STATIC, RoomWidget

if TYPE_CHECKING:
    from ..client import RoomClient

__all__ = ["Board", "strokes_to_svg"]


def strokes_to_svg(strokes: Iterable[dict[str, Any]], *, background: str | None = PAPER) -> str:
    """A standalone SVG document of strokes and items (:func:`.board_render.board_svg`)."""
    return board_svg(strokes, background=background)


class Board(RoomWidget):
    """A shared whiteboard shown in the notebook, with its kernel side.

    ``Board("class-101")`` joins room ``class-101`` of the ``board`` party.
    The kernel reads the board live, draws, moves, undoes and exports:

    >>> board = Board("class-101")                       # doctest: +SKIP
    >>> board.draw([(100, 100), (300, 200)], color="#e53935", width=4)  # doctest: +SKIP
    >>> board.shape("arrow", 100, 300, 200, 0)           # doctest: +SKIP
    >>> board.text("F = m a", 320, 290, size=32)         # doctest: +SKIP
    >>> board.save("board.png")                          # doctest: +SKIP

    Every item is checked here by the board's own rules, so a bad one raises
    :class:`~partywidget.ProtocolError` at the call instead of being refused
    later by the room host. Items are stored once the server has them: they
    show in :attr:`items` after its echo.
    """

    _esm = STATIC / "board.js"
    _css = STATIC / "board.css"

    def __init__(self, room: str, *, party: str = "board", endpoint: str | None = None,
                 **kwargs: Any) -> None:
        self._state = BoardStrokes()
        self._asked: set[str] = set()  # image srcs whose bytes were asked for (once each)
        super().__init__(room, party=party, endpoint=endpoint, **kwargs)

    def _on_server_frame(self, frame: Any) -> None:
        kind, data = read_frame(frame)
        self._state.apply(kind, data)
        # Images are stored once and referenced: fetch the bytes of each new one.
        if kind == "state":  # a (re)join: ask again for what never came
            self._asked &= set(self._state.images)
        if kind in ("state", "item"):
            entries = data.get("strokes") if kind == "state" else [data.get("item")]
            for entry in entries or ():
                src = entry.get("src") if isinstance(entry, dict) else None
                if isinstance(src, str) and src not in self._asked:
                    self._asked.add(src)
                    self.send_frame(board.GetImage(src))
        super()._on_server_frame(frame)

    @property
    def items(self) -> list[dict[str, Any]]:
        """Every stroke and item in board order (each with its ``id``), kept live."""
        self.client  # noqa: B018 - connect on first use; raises if no room host
        return self._state.items

    @property
    def strokes(self) -> list[dict[str, Any]]:
        """The freehand strokes alone, in board order, kept live."""
        self.client  # noqa: B018 - connect on first use; raises if no room host
        return self._state.strokes

    @property
    def page(self) -> int:
        """The page the teacher is on (what followers see); 0 until a moderator turns one."""
        return self._state.page

    @property
    def page_names(self) -> dict[int, str]:
        """Pages' names by page number (pages without a name are left out), kept live."""
        return dict(self._state.page_names)

    def rename_page(self, page: int, name: str) -> None:
        """Name ``page`` (moderators only; others get ``forbidden``); ``""`` clears its name.

        At most 40 characters of one line, checked here (``ProtocolError``).
        """
        self.send_frame(board.PageName.parse({"page": page, "name": name}))

    def turn_page(self, page: int) -> None:
        """Lead everyone following to ``page`` (moderators only; others get ``forbidden``)."""
        self.send_frame(board.Page.parse({"page": page}))

    def draw(self, points: Sequence[Sequence[float]], color: str = "#222",
             width: float = 3, *, page: int = 0,
             pressure: Sequence[float] | None = None) -> None:
        """Add a stroke through ``points`` ([(x, y), ...] in the 1000 x 625 space).

        ``color`` is ``#rgb``, ``#rrggbb`` or a CSS colour name (``"red"``);
        points off the board and widths out of 0.5..64 are clamped, with a
        :class:`~.board_checks.BoardValueClamped` warning. ``pressure`` (one
        value in 0..1 per point) inks it as a stylus would: 1 is 1.5 widths
        wide, 0 half a width.
        """
        given = {"points": [[x, y] for x, y in points], "color": css_color(color),
                 "width": width, "page": page}
        if pressure is not None:
            given["pressure"] = list(pressure)
        ink = board.Ink.parse(given)
        warn_clamped(given, ink.to_json())
        self.send_frame(board.Stroke(ink))

    def shape(self, kind: str, x: float, y: float, w: float, h: float, *,
              color: str = board.DEFAULT_COLOR, fill: str | None = None,
              width: float = 3, page: int = 0) -> str:
        """Add a ``line``, ``arrow`` (from ``x, y`` to ``x + w, y + h``), ``rect`` or ``ellipse``.

        Returns the item's ``sid``, which its entry in :attr:`items` carries.
        """
        fields = {"kind": kind, "x": x, "y": y, "w": w, "h": h, "color": color, "width": width,
                  "page": page}
        return self._place({**fields, **({"fill": fill} if fill is not None else {})})

    def text(self, text: str, x: float, y: float, *, size: float = DEFAULT_SIZE,
             color: str = board.DEFAULT_COLOR, page: int = 0) -> str:
        """Add ``text`` with its top-left corner at ``x, y``; returns its ``sid``."""
        return self._place({"kind": "text", "x": x, "y": y, "text": text, "size": size,
                            "color": color, "page": page})

    def note(self, text: str, x: float, y: float, w: float = 180, h: float = 120, *,
             size: float = 18, color: str = NOTE_COLOR, page: int = 0) -> str:
        """Add a sticky note (``color`` is its paper); returns its ``sid``."""
        return self._place({"kind": "note", "x": x, "y": y, "w": w, "h": h, "text": text,
                            "size": size, "color": color, "page": page})

    def image(self, source: Any, x: float, y: float, width: float | None = None, *,
              page: int = 0) -> str:
        """Put a Matplotlib figure, an image array or PNG/JPEG bytes on the board.

        ``width`` (board units) defaults to the image's pixel width, at most
        what fits right of ``x``; the height keeps its aspect ratio. At most
        96 kB once encoded (a figure is rendered smaller until it fits).
        Returns the item's ``sid``.
        """
        raw = image_bytes(source)
        picture = Picture.parse(base64.b64encode(raw).decode("ascii"))
        _, pixels_w, pixels_h = image_size(raw)
        w = min(width or pixels_w, board.BOARD_WIDTH - x)
        fields = {"kind": "image", "x": x, "y": y, "w": w, "h": w * pixels_h / pixels_w,
                  "page": page}
        return self._place(fields, picture)

    def _place(self, fields: dict[str, Any], picture: Picture | None = None) -> str:
        """Check an item by the board's rules (colours by name too), warn what was clamped, send."""
        sid = uuid.uuid4().hex[:16]
        given = {**fields, "sid": sid}
        for key in ("color", "fill"):
            if key in given:
                given[key] = css_color(given[key], key)
        item = Item.parse(given, picture.src if picture else None)
        warn_clamped(given, item.to_json(), stacklevel=4)
        self.send_frame(board.Place(item, picture))
        return sid

    def move(self, id: int, dx: float, dy: float) -> None:
        """Shift stroke or item ``id`` by ``dx, dy``; it comes back under a new id."""
        self.send_frame(board.Move.parse({"id": id, "dx": dx, "dy": dy}))

    def resize(self, id: int, w: float, h: float) -> None:
        """Give item ``id`` (a line, arrow, box, ellipse, note or image) the extent ``w, h``."""
        self.send_frame(board.Move.parse({"id": id, "w": w, "h": h}))

    def erase(self, id: int) -> None:
        """Delete stroke or item ``id`` (one's own; moderators any)."""
        self.send_frame(board.Erase.parse({"id": id}))

    def undo(self) -> None:
        """Take back this kernel user's last change on the board."""
        self.send_frame(board.Undo())

    def redo(self) -> None:
        """Make again this kernel user's last undone change."""
        self.send_frame(board.Redo())

    def to_svg(self, page: int = 0) -> str:
        """A page of the board as a standalone SVG document (:func:`.board_render.board_svg`)."""
        entries = [entry for entry in self.items if entry.get("page", 0) == page]
        return board_svg(entries, images=self._state.images)

    def to_png(self, page: int = 0, scale: float = 1) -> bytes:
        """A page as PNG bytes, ``1000 * scale`` x ``625 * scale`` pixels, no browser needed."""
        return svg_to_png(self.to_svg(page), scale)

    def save(self, path: str | Path, *, page: int = 0, scale: float = 1) -> Path:
        """Write a page to ``path``: SVG or PNG by its suffix (``.svg``, ``.png``)."""
        path = Path(path)
        suffix = path.suffix.lower()
        if suffix == ".svg":
            path.write_text(self.to_svg(page), encoding="utf-8")
        elif suffix == ".png":
            path.write_bytes(self.to_png(page, scale))
        else:
            raise ValueError(f"expected a .svg or .png path, got {str(path)!r}")
        return path

    def _join_frame(self, client: RoomClient) -> board.State:
        return board.State(self._state.items, self._state.epoch)

    def _on_front_end_message(self, widget: Any, content: Any, buffers: Any) -> None:
        """A page joining through the kernel (``hello``) gets, after ``state``, the
        teacher's page and the pages' names, as a direct joiner does (docs/protocol.md)."""
        super()._on_front_end_message(widget, content, buffers)
        if isinstance(content, dict) and content.get("kind") == "hello" and self._client is not None:
            for frame in board.pages_frames(self._state.page, dict(self._state.page_names)):
                self._to_front_end({"kind": "frame", "data": frame.serialize()})
