"""``partywidget.doc(room)``: a live ``pycrdt.Doc`` kept in sync with a ``yjs`` room.

::

    doc = partywidget.doc("class-101")            # returns once synced
    text = doc.get("notes", type=pycrdt.Text)     # what a JavaScript Y.Text "notes" is
    text += "hello from the kernel"               # sent to the room at once

    @text.observe
    def changed(event): ...                       # runs while the kernel is idle

The document is a :class:`SharedDoc`, a ``pycrdt.Doc`` with ``close()``,
``status`` and ``awareness``. It rides a :class:`~.roomclient.RoomClient`
(discovery, reconnect with backoff, pacing): on every (re)connect the
y-websocket handshake runs again (:class:`~.ysync.DocSync`), so edits made
while offline reach the room then instead of being buffered frame by frame.
This module imports pycrdt; ``import partywidget`` does not load it.
"""

from __future__ import annotations

import asyncio
import sys
from typing import Any

import pycrdt

from ..errors import NotConnectedError, PartyWidgetError
from .loop import client_loop, run_async, run_sync
from .roomclient import CLOSE_TIMEOUT, RoomClient
from .ysync import DocSync

__all__ = ["SharedDoc", "adoc", "doc"]


class SharedDoc(pycrdt.Doc):  # type: ignore[misc]
    """A ``pycrdt.Doc`` whose changes travel through a ``yjs`` room, both ways."""

    _client: RoomClient
    _sync: DocSync

    def __init__(self, room: str, party: str, url: str | None, token: str | None,
                 name: str | None) -> None:
        # Remote updates are applied on the client thread, edits come from any.
        super().__init__(allow_multithreading=True)
        self._sync = DocSync(self, self._send,
                             lambda flush: client_loop().call_soon_threadsafe(flush))
        # The client exists before its socket opens: the first "open" already
        # sends our SyncStep1 through it.
        self._client = RoomClient(room, party, url=url, token=token, name=name)
        self._client.on_event(self._frame)
        self._client.on_status(self._status)

    def _send(self, frame: bytes) -> None:
        client = getattr(self, "_client", None)
        # Offline, nothing is buffered: the next handshake's SyncStep2 carries
        # every change the room lacks (y-websocket's own recovery).
        if client is None or client.status != "open":
            return
        try:
            client.send_raw(frame)
        except PartyWidgetError as exc:
            print(f"partywidget: a document change was not sent now ({exc}); it goes with "
                  "the next resync", file=sys.stderr)

    def _status(self, status: str) -> None:
        if status == "open":
            self._sync.hello()

    def _frame(self, frame: Any) -> None:
        if isinstance(frame, bytes):
            self._sync.receive(frame)

    @property
    def status(self) -> str:
        """The room connection's status: ``connecting``, ``open``, ``reconnecting``, ``closed``."""
        return self._client.status

    @property
    def synced(self) -> bool:
        """True once the room's document arrived on the current connection."""
        return self._sync.synced

    @property
    def awareness(self) -> dict[int, dict[str, Any]]:
        """Other clients' awareness states by Yjs clientID (``user`` set by the server)."""
        return dict(self._sync.states)

    def set_awareness(self, state: dict[str, Any] | None) -> None:
        """Publish our awareness state (a JSON object; the server sets its ``user``)."""
        self._sync.set_awareness(state)

    def close(self) -> None:
        """Leave the room; the document stays readable and stops syncing."""
        self._sync.close()
        self._client.close()

    async def aclose(self) -> None:
        self._sync.close()
        await self._client.aclose()

    def __enter__(self) -> SharedDoc:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def doc(room: str, party: str = "yjs", *, url: str | None = None, token: str | None = None,
        name: str | None = None, timeout: float = 10.0) -> SharedDoc:
    """Join ``room`` of a ``yjs`` party; returns the document once the room's state arrived.

    Arguments as :func:`partywidget.connect`. Raises :class:`NotConnectedError`
    when the room cannot be joined, or its document does not arrive, within
    ``timeout`` seconds.
    """
    shared = SharedDoc(room, party, url, token, name)
    run_sync(shared._client._open(timeout), timeout + CLOSE_TIMEOUT, "partywidget.doc()")
    if not shared._sync.wait_synced(timeout):
        shared.close()
        raise NotConnectedError(f"the document of room {party}/{room} did not arrive within "
                                f"{timeout:g} s")
    return shared


async def adoc(room: str, party: str = "yjs", *, url: str | None = None,
               token: str | None = None, name: str | None = None,
               timeout: float = 10.0) -> SharedDoc:
    """:func:`doc` for async code: ``d = await partywidget.adoc("class-101")``."""
    shared = SharedDoc(room, party, url, token, name)
    await run_async(shared._client._open(timeout))
    if not await asyncio.to_thread(shared._sync.wait_synced, timeout):
        await shared.aclose()
        raise NotConnectedError(f"the document of room {party}/{room} did not arrive within "
                                f"{timeout:g} s")
    return shared
