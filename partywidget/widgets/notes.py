"""``Notes``: a shared Markdown editor on a ``yjs`` room, in a notebook cell."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import traitlets

from ..client.discovery import find_room_host
from .notes_relay import DocRelay
from .room_widget import STATIC, RoomView, endpoint_url, page_is_the_kernels_user

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
    syncs with y-partyserver's provider; the kernel joins the same document
    through :func:`partywidget.doc` on first use:

    >>> notes = Notes("class-101")        # doctest: +SKIP
    >>> notes.append("\\n- from Python")   # doctest: +SKIP
    >>> notes.text                         # doctest: +SKIP
    '...\\n- from Python'

    ``endpoint`` as for :class:`Chat`. The page's provider connects by itself
    to the room host it can reach, or, with ``endpoint="relay"`` (the default
    when the kernel names its host in ``PARTYWIDGET_URL``, and where the page
    has no Jupyter server of its own), through the kernel: its WebSocket is a
    tunnel over the widget's comm and the kernel opens the room's socket with
    its own URL and token (:mod:`.notes_relay`), so page and kernel always
    edit one document and the page never holds the token.
    ``page_moderation`` as for :class:`Chat` (may the page lock the document
    with the kernel's identity).
    """

    _esm = STATIC / "notes.js"
    _css = STATIC / "notes.css"

    field = traitlets.Unicode("notes", help="Name of the document's Y.Text.").tag(sync=True)

    def __init__(self, room: str, *, field: str = "notes", party: str = "yjs",
                 endpoint: str | None = None, page_moderation: bool | None = None,
                 **kwargs: Any) -> None:
        super().__init__(room, party=party, endpoint=endpoint, field=field, **kwargs)
        self._doc: SharedDoc | None = None
        self._doc_lock = threading.Lock()
        # The same host (and token) as the kernel's own document: one document.
        self._relay = DocRelay(self, lambda: find_room_host(endpoint_url(self._endpoint)),
                               page_is_the_kernels_user(os.environ)
                               if page_moderation is None else page_moderation)
        self.on_msg(lambda _widget, content, buffers: self._relay.handle(content, buffers))

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
        """Close the widget's views, the page's tunnels and the kernel's copy of the document."""
        if "_relay" not in self.__dict__:  # __init__ stopped early (a bad name): nothing opened
            super().close()
            return
        with self._doc_lock:
            document, self._doc = self._doc, None
        if document is not None:
            document.close()
        self._relay.close()
        super().close()
