"""A room's input gate: Durable Objects' rule that makes read-modify-write safe.

Cloudflare's rule, which PartyKit rooms inherit: *while a storage operation is
in progress, no new event is delivered to the object*. A hook that does
``value = await storage.get(k)`` then ``await storage.put(k, value + 1)`` can
then never interleave with another event's hook between the two, so no update
is lost, without a lock in the party's code.

Mechanics, on one asyncio loop: every storage call of the room
closes the gate for its duration. Events (connect, message, close,
request, alarm) :meth:`wait` for an open gate before their hook starts. When the
last storage call returns, the gate does not open at once: it opens in a
callback scheduled *after* the awaiting task's continuation, which runs first
(the task is woken before that callback, and asyncio runs callbacks in
order). So a continuation that goes straight to its next storage call keeps
the gate closed. Waiting events are let in one at a time, each after the
previous one reached its first storage call (or an await elsewhere, or its
end): two events can never both read before either writes.

An await on anything but storage (a timer, another room, the network) opens
the gate, exactly as in Durable Objects.
"""

from __future__ import annotations

import asyncio
from collections import deque

__all__ = ["InputGate"]


class InputGate:
    """Closed while storage calls are in flight; events wait for it to open."""

    __slots__ = ("_calls", "_waiters", "_opening")

    def __init__(self) -> None:
        self._calls = 0
        self._waiters: deque[asyncio.Future[None]] = deque()
        self._opening = False

    @property
    def is_open(self) -> bool:
        return self._calls == 0 and not self._waiters and not self._opening

    def close(self) -> None:
        """A storage call starts."""
        self._calls += 1

    def reopen(self) -> None:
        """A storage call ended: open once the caller's continuation has run."""
        self._calls -= 1
        if self._calls == 0 and self._waiters:
            self._schedule()

    def __enter__(self) -> InputGate:
        """``with gate:`` around a storage call (what ``RoomStorage`` does)."""
        self.close()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.reopen()

    async def wait(self) -> None:
        """Return when this event may be delivered (at once when the gate is open)."""
        if self.is_open:
            return
        waiter = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        if self._calls == 0:
            self._schedule()  # closed only by earlier waiters: let them in in turn
        try:
            await waiter
        except asyncio.CancelledError:
            if waiter in self._waiters:
                self._waiters.remove(waiter)
            elif waiter.done() and not waiter.cancelled():
                self._let_next()  # admitted, but gone: the next one's turn
            raise

    def _schedule(self) -> None:
        # Once: two queued callbacks would admit two events before the first
        # one's task ran (each waits for its predecessor's first step).
        if not self._opening:
            self._opening = True
            asyncio.get_running_loop().call_soon(self._let_next)

    def _let_next(self) -> None:
        """Admit the oldest waiting event; the next one once it has taken its first step."""
        self._opening = False
        if self._calls:
            return  # a continuation went back to storage: its reopen() schedules us
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                # Its task runs before this callback: FIFO order of call_soon.
                if self._waiters:
                    self._schedule()
                return
