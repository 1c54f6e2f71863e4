"""The send buffer: frames waiting for a socket, chat frames waiting for their echo.

partysocket queues sends made while it is offline and writes them on open,
but a frame written to a socket that then dies is simply lost. Chat frames
carry a ``cid`` the server de-duplicates by, so we can do better: they stay
*in flight* until the server echoes them (the echo is the acknowledgement, per
the delivery contract) and go out again after a reconnect if it never came.
Frames without a ``cid`` are sent at most once, as partysocket does.

Which reply belongs to which frame: the server answers each chat frame with
its echo or with an ``error`` (which names no ``cid``). It starts frames in
arrival order and refuses them before its first ``await`` (rate limit,
validation), while echoes wait for the log append (the chat pipelines
appends, ``ChatParty.max_concurrent_messages``). So errors arrive in send
order among themselves, echoes too, and an error for frame *k* may overtake
the echoes of frames sent before *k*, never those sent after it. Hence:

* an echo for ``cid`` X settles every frame sent before X: each of them was
  echoed or refused already, and the refused ones take the oldest unmatched
  errors, in order;
* once as many errors wait as frames are in flight, all of those were refused.

Errors name no frame, so an error about a frame without a ``cid`` (a relayed
browser frame, a moderation frame) that arrives while chat frames are in
flight counts as one of theirs: it can settle a chat frame before its echo,
which then loses only its resend should the socket die before that echo.

A refusal with code ``rate_limited`` is not the message's fault: the frame
goes out again (the server stores a ``cid`` at most once, so that is safe)
instead of being lost; other refusals drop it.

The buffer is bounded (``limit`` frames queued plus in flight), so a client
that keeps sending while its host is down fails loudly instead of growing.
"""

from __future__ import annotations

import threading
from collections import OrderedDict, deque
from dataclasses import dataclass

from ..errors import NotConnectedError

__all__ = ["RETRIED_ERRORS", "Outbox", "Pending"]

#: Error codes that refuse a frame for now, not for good: it is sent again.
RETRIED_ERRORS = frozenset({"rate_limited"})


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
        #: Refused for now (``rate_limited``), in send order: they go out before ``_queued``.
        self._retry: deque[Pending] = deque()
        self._in_flight: OrderedDict[str, Pending] = OrderedDict()
        #: Codes of errors not yet matched to a frame in flight, in arrival order.
        self._errors: deque[str] = deque()

    def __len__(self) -> int:
        with self._lock:
            return len(self._queued) + len(self._retry) + len(self._in_flight)

    @property
    def retrying(self) -> bool:
        """Frames refused for now wait to go out again."""
        with self._lock:
            return bool(self._retry)

    def put(self, item: Pending, status: str) -> None:
        """Queue ``item``, or refuse it when ``limit`` frames are already waiting."""
        with self._lock:
            if len(self._queued) + len(self._retry) + len(self._in_flight) >= self.limit:
                raise NotConnectedError(
                    f"the send buffer is full: {self.limit} messages are waiting while the "
                    f"client is {status}; nothing was added. Wait until room.status is "
                    "'open' before sending more")
            self._queued.append(item)

    def take(self) -> Pending | None:
        """The next frame to write (retries first); chat frames move to in flight."""
        with self._lock:
            source = self._retry or self._queued
            if not source:
                return None
            item = source.popleft()
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
                    settled, item = self._in_flight.popitem(last=False)
                    if settled == cid:
                        break
                    self._refused(item)  # sent before the echoed frame, never echoed
                self._settle_if_all_refused()
            else:
                # A resumed history holds a frame whose echo the old socket lost.
                for frames in (self._queued, self._retry):
                    if any(item.cid == cid for item in frames):
                        kept = [item for item in frames if item.cid != cid]
                        frames.clear()
                        frames.extend(kept)

    def refuse(self, code: str) -> None:
        """The server answered an ``error``: one frame in flight was refused.

        With no chat frame in flight the error is about a frame sent at most
        once (no ``cid``), and there is nothing to settle.
        """
        with self._lock:
            if self._in_flight:
                self._errors.append(code)
                self._settle_if_all_refused()

    def socket_lost(self) -> None:
        """The socket died: frames still in flight are queued again, first, in order."""
        with self._lock:
            self._queued.extendleft(reversed(self._in_flight.values()))
            self._in_flight.clear()
            self._errors.clear()  # replies of the old socket; its frames go out again

    def _settle_if_all_refused(self) -> None:
        if self._errors and len(self._errors) >= len(self._in_flight):
            while self._in_flight:
                self._refused(self._in_flight.popitem(last=False)[1])
        if not self._in_flight:
            self._errors.clear()  # left over: about frames without a cid

    def _refused(self, item: Pending) -> None:
        """Settle a frame the server refused: again later if only for now, else drop it."""
        code = self._errors.popleft() if self._errors else None
        if code in RETRIED_ERRORS:
            self._retry.append(item)
