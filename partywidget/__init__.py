"""partywidget: PartyKit-style realtime rooms for Jupyter.

The public surface is small on purpose (pinned by ``tests/test_exports.py``):

* :class:`Party` to write server-side room logic;
* :func:`connect` to join a room from Python (kernels, scripts);
* :func:`doc` for a live ``pycrdt.Doc`` shared through a ``yjs`` room, and
  :func:`shared` for a dict on top of it;
* :class:`Chat`, :class:`Board` and :class:`Notes`, the notebook widgets, and the
  classroom's :class:`Poll`, :class:`Hands`, :class:`Quiz` and :class:`Snippets`;
* the error tree rooted at :class:`PartyWidgetError`.

``%load_ext partywidget`` registers the ``%party``, ``%chat`` and ``%board`` magics.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .errors import (AuthError, ClientError, ConfigurationError, InvalidName, LimitExceeded,
                     NotAllowed, NotConnectedError, PartyWidgetError, ProtocolError, Removed,
                     StorageError, UnknownParty)

__version__ = "0.2.0"

__all__ = [
    "AuthError", "Board", "Chat", "ClientError", "ConfigurationError", "Hands", "InvalidName",
    "LimitExceeded", "NotAllowed", "NotConnectedError", "Notes", "Party", "PartyWidgetError",
    "Poll", "ProtocolError", "Quiz", "Removed", "Snippets", "StorageError", "UnknownParty",
    "__version__", "connect", "doc", "load_ipython_extension", "shared",
]

if TYPE_CHECKING:
    from .client import connect
    from .client.shared import shared
    from .client.ydoc import doc
    from .rooms import Party
    from .widgets import Board, Chat, Hands, Notes, Poll, Quiz, Snippets


def __getattr__(name: str) -> Any:
    # Each side loads only what it uses, on first use: a kernel never loads
    # the room host (rooms, storage, sqlite3, tornado) and a server never
    # loads the websockets client or anywidget.
    if name == "connect":
        from .client import connect

        return connect
    if name == "doc":
        from .client.ydoc import doc  # loads pycrdt: only for those who use documents

        return doc
    if name == "shared":
        from .client.shared import shared

        return shared
    if name == "Party":
        from .rooms import Party

        return Party
    if name in ("Chat", "Board", "Notes", "Poll", "Hands", "Quiz", "Snippets"):
        from . import widgets

        return getattr(widgets, name)
    raise AttributeError(f"module 'partywidget' has no attribute {name!r}")


def _jupyter_server_extension_points() -> list[dict[str, Any]]:
    from .server.extension import PartyWidget

    return [{"module": "partywidget", "app": PartyWidget}]


def load_ipython_extension(ipython: Any) -> None:
    """``%load_ext partywidget``: register the magics."""
    from .magics import register

    register(ipython)
