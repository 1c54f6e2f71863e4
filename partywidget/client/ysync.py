"""A pycrdt document kept in step with a ``yjs`` room, sans I/O: frames in, frames out.

:class:`DocSync` is the client half of y-websocket's protocol
(:mod:`partywidget.protocol.yjs`) around a ``pycrdt.Doc``: :meth:`hello` is
what a provider sends on every (re)connect (SyncStep1, then our awareness),
:meth:`receive` applies the server's frames and answers its SyncStep1 with
what it lacks (so edits made offline reach the room after a reconnect), and
local changes go out as Updates through ``send``, merged: ``schedule(flush)``
decides when (the kernel client: on its loop's next turn), so a cell that makes
a thousand small edits sends a few frames, not a thousand paced ones. It never
touches a socket: :mod:`.ydoc` wires it to a room membership, tests to anything.
"""

from __future__ import annotations

import json
import sys
import threading
from collections.abc import Callable
from typing import Any

import pycrdt

from ..protocol import yjs

__all__ = ["DocSync"]


class DocSync:
    """Keeps ``doc`` (a ``pycrdt.Doc``) in sync through ``send(frame_bytes)``."""

    def __init__(self, doc: Any, send: Callable[[bytes], None],
                 schedule: Callable[[Callable[[], None]], None] | None = None) -> None:
        self.doc = doc
        self.send = send
        #: Runs ``flush`` later (default: at once, one frame per change).
        self.schedule = schedule or (lambda flush: flush())
        self._pending: list[bytes] = []
        self._pending_lock = threading.Lock()
        #: True once the server's SyncStep2 arrived on the current connection.
        self.synced = False
        #: Our awareness state (a JSON object), sent on every connect; None: none.
        self.local_state: dict[str, Any] | None = None
        self._clock = 0
        #: Other clients' awareness states by Yjs clientID, as the server stamped them.
        self.states: dict[int, dict[str, Any]] = {}
        #: The last refusal the server sent (``"code: message"``), if any.
        self.denied: str | None = None
        self._synced_event = threading.Event()
        # Updates we apply from the server must not go back to it: the thread
        # applying one is remembered while pycrdt runs the observers.
        self._applying: int | None = None
        self._subscription = doc.observe(self._changed)

    def close(self) -> None:
        self.doc.unobserve(self._subscription)

    def hello(self) -> None:
        """What to send on each new connection: SyncStep1, then our awareness."""
        self.synced = False
        self._synced_event.clear()
        self.send(yjs.SyncStep1(self.doc.get_state()).serialize())
        if self.local_state is not None:
            self._send_awareness()

    def wait_synced(self, timeout: float) -> bool:
        return self._synced_event.wait(timeout)

    def set_awareness(self, state: dict[str, Any] | None) -> None:
        """Set our awareness state (the server replaces its ``user``) and send it."""
        self.local_state = state
        self._send_awareness()

    def _send_awareness(self) -> None:
        self._clock += 1
        text = "null" if self.local_state is None else json.dumps(self.local_state)
        self.send(yjs.Awareness((yjs.AwarenessEntry(self.doc.client_id, self._clock, text),))
                  .serialize())

    def receive(self, data: bytes) -> None:
        """Apply one server frame, answering what asks for an answer."""
        for message in yjs.parse_frame(data):
            if isinstance(message, yjs.SyncStep1):
                self.send(yjs.SyncStep2(self.doc.get_update(message.state_vector)).serialize())
            elif isinstance(message, (yjs.SyncStep2, yjs.Update)):
                self._apply(message.update)
                if isinstance(message, yjs.SyncStep2):
                    self.synced = True
                    self._synced_event.set()
            elif isinstance(message, yjs.Awareness):
                self._awareness(message)
            elif isinstance(message, yjs.QueryAwareness):
                if self.local_state is not None:
                    self._send_awareness()
            elif isinstance(message, yjs.PermissionDenied):
                self.denied = message.reason
                print(f"partywidget: the document refused a change: {message.reason}",
                      file=sys.stderr)

    def _apply(self, update: bytes) -> None:
        if update == yjs.EMPTY_UPDATE:
            return
        self._applying = threading.get_ident()
        try:
            self.doc.apply_update(update)
        finally:
            self._applying = None

    def _changed(self, event: Any) -> None:
        if self._applying == threading.get_ident():
            return
        with self._pending_lock:
            first = not self._pending
            self._pending.append(event.update)
        if first:
            self.schedule(self.flush)

    def flush(self) -> None:
        """Send the local changes made since the last flush as one Update."""
        with self._pending_lock:
            updates, self._pending = self._pending, []
        if updates:
            update = updates[0] if len(updates) == 1 else pycrdt.merge_updates(*updates)
            self.send(yjs.Update(update).serialize())

    def _awareness(self, message: yjs.Awareness) -> None:
        for entry in message.entries:
            if entry.client_id == self.doc.client_id:
                continue
            if entry.gone:
                self.states.pop(entry.client_id, None)
            else:
                try:
                    state = json.loads(entry.state)
                except ValueError:
                    continue
                if isinstance(state, dict):
                    self.states[entry.client_id] = state
