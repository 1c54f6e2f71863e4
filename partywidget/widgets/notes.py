"""``Notes``: a shared Markdown editor on a ``yjs`` room, in a notebook cell."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import traitlets

from .room_widget import STATIC, RoomView, endpoint_url

if TYPE_CHECKING:
    import pycrdt

    from ..client.ydoc import SharedDoc

__all__ = ["Notes"]

F = TypeVar("F", bound=Callable[..., Any])


class Notes(RoomView):
    """A collaborative editor of the room's ``Y.Text`` ``field``, with its kernel side.

    ``Notes("class-101")`` shows CodeMirror bound to ``doc.getText("notes")`` of
    room ``class-101`` of the ``yjs`` party: every page (and any stock Yjs
    client) editing that text sees the others' edits and cursors. The page
    connects by itself (y-partyserver's provider); the kernel joins the same
    document through :func:`partywidget.doc` on first use:

    >>> notes = Notes("class-101")        # doctest: +SKIP
    >>> notes.append("\\n- from Python")   # doctest: +SKIP
    >>> notes.text                         # doctest: +SKIP
    '...\\n- from Python'

    ``endpoint`` as for :class:`Chat`, except ``"relay"``: a document needs a
    room host the page reaches (the kernel relay carries JSON frames only).
    """

    _esm = STATIC / "notes.js"
    _css = STATIC / "notes.css"

    field = traitlets.Unicode("notes", help="Name of the document's Y.Text.").tag(sync=True)

    def __init__(self, room: str, *, field: str = "notes", party: str = "yjs",
                 endpoint: str | None = None, **kwargs: Any) -> None:
        super().__init__(room, party=party, endpoint=endpoint, field=field, **kwargs)
        self._doc: SharedDoc | None = None
        self._doc_lock = threading.Lock()

    @property
    def doc(self) -> SharedDoc:
        """The kernel's live copy of the room's document, joined on first use.

        Raises :class:`~partywidget.NotConnectedError` when no room host can be
        found or the document does not arrive.
        """
        with self._doc_lock:
            if self._doc is None:
                # Loaded here, not at import: `from partywidget import Chat` loads no pycrdt.
                from ..client.ydoc import doc

                self._doc = doc(self.room, self.party, url=endpoint_url(self._endpoint))
            return self._doc

    @property
    def ytext(self) -> pycrdt.Text:
        """The ``pycrdt.Text`` the editor shows (``+=``, ``insert``, ``observe``...)."""
        import pycrdt

        return self.doc.get(self.field, type=pycrdt.Text)

    @property
    def text(self) -> str:
        """The whole text now, as every synced client has it."""
        return str(self.ytext)

    @text.setter
    def text(self, value: str) -> None:
        """Replace the whole text for everyone (one Yjs transaction)."""
        ytext = self.ytext
        with self.doc.transaction():
            ytext.clear()
            ytext += value

    def append(self, value: str) -> None:
        """Add ``value`` at the end (concurrent edits elsewhere are kept)."""
        ytext = self.ytext
        ytext += value

    def on_change(self, fn: F) -> F:
        """Decorator: ``fn(text)`` with the whole text after every change.

        Runs on the client thread for remote edits (so while the kernel is
        idle), and at once for the kernel's own.
        """
        ytext = self.ytext
        ytext.observe(lambda _event: fn(str(ytext)))
        return fn

    def close(self) -> None:
        """Close the widget's views and the kernel's copy of the document."""
        with self._doc_lock:
            document, self._doc = self._doc, None
        if document is not None:
            document.close()
        super().close()
