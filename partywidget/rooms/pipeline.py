"""Pipelining: several frames of one connection handled at once, up to the party's bound.

At ``Party.max_concurrent_messages`` = 1 an adapter reads a connection's next
frame only once ``on_message`` returned for the previous one. A party that
sets it higher (the chat: a post's one await is its log append, and storage
runs appends in submission order) lets a burst from one client share one
storage group commit. The policy lives in the room core so every adapter gets
it: :meth:`Room.feed` returns what the adapter must await before reading the
next frame, and nothing when it may read on.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from typing import Any

__all__ = ["Pipeline"]

log = logging.getLogger("partywidget")


class Pipeline:
    """The frames of one connection being handled, and the wait at the bound."""

    __slots__ = ("limit", "_working", "_slot")

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._working: set[asyncio.Task[None]] = set()
        self._slot: asyncio.Future[None] | None = None

    def submit(self, handling: Coroutine[Any, Any, None]) -> asyncio.Future[None] | None:
        """Start handling a frame; return a future to await when at the bound.

        Tasks start in creation order, so frames start in arrival order; at the
        bound, reading the socket waits until one finishes (back-pressure,
        bounded memory).
        """
        task = asyncio.ensure_future(handling)
        self._working.add(task)
        task.add_done_callback(self._done)
        if len(self._working) >= self.limit:
            # One future that the next finished message resolves: cheaper per
            # frame than asyncio.wait, which hooks into every pending task.
            slot = self._slot = asyncio.get_running_loop().create_future()
            return slot
        return None

    def _done(self, task: asyncio.Task[None]) -> None:
        """A frame was handled: free its place, log what it raised."""
        self._working.discard(task)
        slot = self._slot
        if slot is not None:
            self._slot = None
            if not slot.done():
                slot.set_result(None)
        if not task.cancelled() and task.exception() is not None:
            log.error("handling a message failed", exc_info=task.exception())
