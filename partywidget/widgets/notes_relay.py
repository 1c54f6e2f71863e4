"""The Notes widget's kernel relay: the page's Yjs provider reaches the room through the kernel.

Where the kernel names its room host (``PARTYWIDGET_URL``, often with a JWT
in ``PARTYWIDGET_TOKEN`` that the page must never hold) the page's own
Jupyter server is another host, so the page's provider gets a WebSocket-like
class (js/notes-tunnel.ts) whose sockets are tunnels through the widget's
comm. Custom messages, page to kernel::

    {"kind": "ws-open", "sid": n}                      # new WebSocket(...)
    {"kind": "ws-send", "sid": n, "text": "..."}       # a text frame, or
    {"kind": "ws-send", "sid": n} + one binary buffer  # a binary (Yjs) frame
    {"kind": "ws-close", "sid": n}                     # socket.close()

and kernel to page ``ws-open``, ``ws-frame`` (the same two forms) and
``{"kind": "ws-close", "sid", "code", "reason"}``. Each page socket is one
:class:`~partywidget.client.tunnel.Tunnel`: one kernel connection to the
widget's own room (kernel-owned traits) on the kernel's host, with its token.

The page is trusted no more than with the JSON widgets' relay (see
room_widget.py; docs/security.md, "The Notes relay"): it names neither host
nor room, holds at most :data:`MAX_TUNNELS` sockets (the oldest go first), and its text frames
(``lock``, moderation) go out only with ``page_moderation``; without it the
room's ``access`` frames reach the page with ``moderator: false``, so the
page offers no lock it cannot use.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Sequence
from typing import Any

import anywidget

from ..client.discovery import HostAddress
from ..client.tunnel import Tunnel
from ..errors import PartyWidgetError
from ..protocol import yjs
from ..protocol.close import CloseCode

__all__ = ["MAX_TUNNELS", "DocRelay"]

#: Sockets one widget's pages may hold through the kernel at once (a provider has
#: one, and closes it before opening the next; views of a model share it; each
#: open page has its own). Past it, the oldest is closed.
MAX_TUNNELS = 8
OPEN, SEND, FRAME, CLOSE = "ws-open", "ws-send", "ws-frame", "ws-close"


class DocRelay:
    """The tunnels of one widget's pages (see the module docs)."""

    def __init__(self, widget: anywidget.AnyWidget, address: Callable[[], HostAddress],
                 page_moderation: bool) -> None:
        self.widget = widget
        #: Finds the kernel's room host (raises PartyWidgetError saying what to set).
        self.address = address
        self.page_moderation = page_moderation
        self._tunnels: dict[int, Tunnel] = {}
        self._lock = threading.Lock()

    def handle(self, content: Any, buffers: Sequence[Any] | None) -> None:
        """One custom message from the page (others are not the relay's: ignored)."""
        if not isinstance(content, dict) or type(content.get("sid")) is not int:
            return
        sid, kind = content["sid"], content.get("kind")
        if kind == OPEN:
            self._open(sid)
        elif kind == SEND:
            self._send(sid, content.get("text"), buffers or ())
        elif kind == CLOSE:
            with self._lock:
                tunnel = self._tunnels.pop(sid, None)
            if tunnel is not None:
                tunnel.close()

    def close(self) -> None:
        """The widget closed: end every tunnel."""
        with self._lock:
            tunnels, self._tunnels = list(self._tunnels.values()), {}
        for tunnel in tunnels:
            tunnel.close()

    def _open(self, sid: int) -> None:
        try:
            address = self.address()
        except PartyWidgetError as exc:
            # Nothing to retry until the kernel's environment changes: final.
            self._to_page({"kind": CLOSE, "sid": sid, "code": CloseCode.POLICY_VIOLATION,
                           "reason": str(exc)})
            return
        tunnel = Tunnel(address, self.widget.party, self.widget.room,
                        on_open=lambda: self._to_page({"kind": OPEN, "sid": sid}),
                        on_frame=lambda raw: self._frame(sid, raw),
                        on_close=lambda code, reason: self._closed(sid, tunnel, code, reason))
        with self._lock:
            # A page that went away (reloaded, closed) never says so: its sockets
            # are the oldest, and make room for the new (a live provider holds one).
            evicted = [self._tunnels.pop(sid)] if sid in self._tunnels else []
            while len(self._tunnels) >= MAX_TUNNELS:
                evicted.append(self._tunnels.pop(next(iter(self._tunnels))))
            self._tunnels[sid] = tunnel
        for old in evicted:
            old.close(CloseCode.TRY_AGAIN_LATER, "a newer socket of this widget's pages took "
                                                 "its place in the kernel")
        tunnel.start()

    def _send(self, sid: int, text: Any, buffers: Sequence[Any]) -> None:
        with self._lock:
            tunnel = self._tunnels.get(sid)
        if tunnel is None:
            return
        if isinstance(text, str) and not buffers:
            # The Yjs party's only text frame is `lock`: a moderator's right.
            if self.page_moderation:
                tunnel.send(text)
        elif text is None and len(buffers) == 1:
            tunnel.send(bytes(buffers[0]))

    def _frame(self, sid: int, raw: str | bytes) -> None:
        if isinstance(raw, bytes):
            self._to_page({"kind": FRAME, "sid": sid}, [raw])
        else:
            self._to_page({"kind": FRAME, "sid": sid, "text": self._access_for_page(raw)})

    def _access_for_page(self, text: str) -> str:
        """``text``, or an ``access`` frame without the moderator rights the page may not use."""
        if self.page_moderation or not text.startswith(yjs.YPS_PREFIX):
            return text
        try:
            data = json.loads(text.removeprefix(yjs.YPS_PREFIX))
        except ValueError:
            return text
        if not isinstance(data, dict) or data.get("type") != yjs.Access.type:
            return text
        return yjs.Access(bool(data.get("locked")), False).serialize()

    def _closed(self, sid: int, tunnel: Tunnel, code: int, reason: str) -> None:
        with self._lock:
            current = self._tunnels.get(sid)
            if current is tunnel:
                del self._tunnels[sid]
            elif current is not None:
                # The page opened `sid` again: that newer socket is not the one that closed.
                return
        self._to_page({"kind": CLOSE, "sid": sid, "code": int(code), "reason": reason})

    def _to_page(self, content: dict[str, Any], buffers: list[bytes] | None = None) -> None:
        # From the client thread too: Widget.send goes through ipykernel's
        # thread-safe iopub socket (as RoomWidget's relay).
        anywidget.AnyWidget.send(self.widget, content, buffers)
