"""The send buffer: frames waiting for a socket, chat frames waiting for their echo.

partysocket queues sends made while it is offline and writes them on open,
but a frame written to a socket that then dies is simply lost. Chat frames
carry a ``cid`` the server de-duplicates by, so we can do better: they stay
*in flight* until the server echoes them (the echo is the acknowledgement, per
the delivery contract) and go out again after a reconnect if it never came.
Frames without a ``cid`` are sent at most once, as partysocket does.

The server answers a connection's chat frames one at a time, in order
(Tornado reads the next frame only after ``on_message`` returns), each with
either its echo or an ``error``. So an echo for ``cid`` X settles every frame
sent before X on that socket, and an ``error`` settles the oldest one.

The buffer is bounded (``limit`` frames queued plus in flight), so a client
that keeps sending while its host is down fails loudly instead of growing.
"""

from __future__ import annotations

import threading
from collections import OrderedDict, deque
from dataclasses import dataclass

from ..errors import NotConnectedError

__all__ = ["Outbox", "Pending"]


@dataclass(frozen=True)
class Pending:
    """One frame to send; ``cid`` marks a chat frame that is re-sent until echoed."""

    data: str | bytes
    cid: str | None = None


class Outbox:
    """Thread-safe: ``put`` from any thread, everything else from the client loop."""

    def __init__(self, limit: int = 1000) -> None:
        self.limit = limit
        self._lock = threading.Lock()
        self._queued: deque[Pending] = deque()
        self._in_flight: OrderedDict[str, Pending] = OrderedDict()

    def __len__(self) -> int:
        with self._lock:
            return len(self._queued) + len(self._in_flight)

    def put(self, item: Pending, status: str) -> None:
        """Queue ``item``, or refuse it when ``limit`` frames are already waiting."""
        with self._lock:
            if len(self._queued) + len(self._in_flight) >= self.limit:
                raise NotConnectedError(
                    f"the send buffer is full: {self.limit} messages are waiting while the "
                    f"client is {status}; nothing was added. Wait until room.status is "
                    "'open' before sending more")
            self._queued.append(item)

    def take(self) -> Pending | None:
        """The next frame to write; chat frames move to in flight."""
        with self._lock:
            if not self._queued:
                return None
            item = self._queued.popleft()
            if item.cid is not None:
                self._in_flight[item.cid] = item
            return item

    def put_back(self, item: Pending) -> None:
        """A frame taken but never written (its socket closed first) goes first again."""
        with self._lock:
            if item.cid is None or self._in_flight.pop(item.cid, None) is not None:
                self._queued.appendleft(item)

    def acknowledge(self, cid: str) -> None:
        """The server echoed ``cid``: it and every frame sent before it are settled."""
        with self._lock:
            if cid in self._in_flight:
                while self._in_flight:
                    settled, _ = self._in_flight.popitem(last=False)
                    if settled == cid:
                        break
            elif any(item.cid == cid for item in self._queued):
                # A resumed history holds a frame whose echo the old socket lost.
                self._queued = deque(item for item in self._queued if item.cid != cid)

    def refuse_oldest(self) -> None:
        """The server answered the oldest frame in flight with an ``error``."""
        with self._lock:
            if self._in_flight:
                self._in_flight.popitem(last=False)

    def socket_lost(self) -> None:
        """The socket died: frames still in flight are queued again, first, in order."""
        with self._lock:
            self._queued.extendleft(reversed(self._in_flight.values()))
            self._in_flight.clear()
