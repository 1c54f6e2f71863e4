"""The backplane: how one room spread over several processes behaves as one.

Without a backplane (one process) a broadcast is delivered at once to the
room's connections. With one, :meth:`Room.broadcast` publishes it and every
process that has the room loaded (the sender's too) delivers what it
receives to its own connections: each broadcast reaches each connection
exactly once, with its exclusions (connection ids are global).

Order: log frames carry their offset. A process delivers them in offset
order (:class:`OffsetOrder`): a frame whose predecessor has not arrived yet
waits for it, at most ``hold_seconds`` (an offset whose publisher died
between its append and its publish never arrives). Frames without an offset
(presence, cursors) go out in arrival order.

Presence is global: each process registers its connections with the
backplane, which keeps them while the process is alive (a heartbeat with an
expiry); a process that dies without a goodbye loses its members after the
expiry, and one surviving process claims each lost member and announces it.

This module is transport-free: :class:`Backplane` is what the room core
needs; ``partywidget.storage.redis_backplane`` implements it on Redis.
"""

from __future__ import annotations

import abc
import asyncio
import heapq
import json
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

from ..protocol.outgoing import Outgoing

__all__ = ["Backplane", "Broadcast", "OffsetOrder", "batch_origin", "decode_batch",
           "encode_batch"]


class Broadcast(NamedTuple):
    """One message for a room's connections on every process, or a party signal.

    ``signal`` (a JSON object) is for the party instances themselves
    (:meth:`Party.on_signal`), not for connections: a moderator's lock or
    removal must change every process's party state. A named tuple, not a
    dataclass: a receiving process makes one per broadcast of every batch, and
    a frozen dataclass costs several times a tuple to build.
    """

    message: Outgoing | None = None
    exclude: tuple[str, ...] = ()
    offset: int = 0
    signal: dict[str, Any] | None = None
    #: The publishing process (:attr:`Backplane.id`), so it can skip its own echo.
    origin: str = ""


def encode_batch(items: Sequence[Broadcast]) -> bytes:
    """Several broadcasts of one room and one origin as one backplane message.

    The origin line, one JSON line of headers (one per item: its body length
    ``n``, ``t`` text or binary, ``o`` offset, ``x`` exclusions, or ``s`` a
    signal), then the message bodies as they go on the wire, back to back:
    bodies are never re-encoded or escaped, and one ``json.dumps`` covers the
    whole batch. Client-chosen strings (connection ids in ``x``) are
    JSON-escaped, so none can end the header line early.
    """
    origin = items[0].origin
    headers: list[dict[str, Any]] = []
    bodies: list[bytes] = []
    for item in items:
        if item.origin != origin:
            raise ValueError("a batch holds the broadcasts of one origin")
        header: dict[str, Any] = {}
        if item.exclude:
            header["x"] = item.exclude
        if item.offset:
            header["o"] = item.offset
        if item.signal is not None:
            header["s"] = item.signal
        if item.message is not None:
            header["t"] = int(item.message.is_text)
            header["n"] = len(item.message.data)
            bodies.append(item.message.data)
        headers.append(header)
    head = json.dumps(headers, separators=(",", ":")).encode()
    return b"".join((origin.encode(), b"\n", head, b"\n", *bodies))


def batch_origin(data: bytes) -> bytes:
    """The origin of an encoded batch, read without decoding the rest."""
    return data[:data.find(b"\n")]


def decode_batch(data: bytes) -> list[Broadcast]:
    """The broadcasts of :func:`encode_batch`, in their order; ``ValueError`` if malformed.

    Every process decodes every other's batches, once per broadcast: the checks
    compare exact types (what ``json.loads`` makes), the cheapest way to refuse
    a malformed batch whole.
    """
    first = data.index(b"\n")
    second = data.index(b"\n", first + 1)
    origin = data[:first].decode()
    headers = json.loads(data[first + 1:second])
    if type(headers) is not list:
        raise ValueError("a batch's headers are a JSON array")
    items = []
    pos, size = second + 1, len(data)
    for header in headers:
        if type(header) is not dict:
            raise ValueError("a batch header is a JSON object")
        message = None
        if "t" in header:
            n = header.get("n")
            # A negative or non-integer length would slice a body twice or not at all.
            if type(n) is not int or n < 0:
                raise ValueError("a batch body length is a non-negative integer")
            end = pos + n
            if end > size:
                raise ValueError("a batch body runs past its end")
            message = Outgoing(data[pos:end], bool(header["t"]))
            pos = end
        exclude: Any = ()
        if "x" in header:
            exclude = header["x"]
            if type(exclude) is not list or any(type(x) is not str for x in exclude):
                raise ValueError("a batch header's x is a list of connection ids")
            exclude = tuple(exclude)
        offset, signal = header.get("o", 0), header.get("s")
        if type(offset) is not int or not (signal is None or type(signal) is dict):
            raise ValueError("a batch header's o or s has the wrong type")
        items.append(Broadcast(message, exclude, offset, signal, origin))
    if pos != size:
        raise ValueError("a batch has bytes no header accounts for")
    return items


class OffsetOrder:
    """Releases log frames in offset order; frames without an offset at once.

    ``release`` is called with every frame that may go out now. A gap is
    waited for ``hold_seconds`` at most, then skipped: delivery stays live
    even when an offset is never published.
    """

    def __init__(self, release: Callable[[Broadcast], None], hold_seconds: float = 0.5) -> None:
        self._release = release
        self.hold_seconds = hold_seconds
        #: The newest offset released (None: not known yet, the first one sets it).
        self.last: int | None = None
        self._held: list[tuple[int, int, Broadcast]] = []
        self._count = 0
        self._timer: asyncio.TimerHandle | None = None

    def start_after(self, offset: int) -> None:
        """Offsets up to ``offset`` were published before this process listened."""
        if self.last is None or offset > self.last:
            self.last = offset

    def feed(self, item: Broadcast) -> None:
        offset = item.offset
        if not offset or self.last is None or offset <= self.last + 1:
            if offset and (self.last is None or offset > self.last):
                self.last = offset
            self._release(item)  # in order, or late (its gap was skipped): never dropped
            self._drain()
            return
        self._count += 1
        heapq.heappush(self._held, (offset, self._count, item))
        if self._timer is None:
            self._timer = asyncio.get_running_loop().call_later(self.hold_seconds, self._skip)

    def _drain(self) -> None:
        while self._held and self.last is not None and self._held[0][0] <= self.last + 1:
            offset, _, item = heapq.heappop(self._held)
            self.last = max(self.last, offset)
            self._release(item)
        if not self._held and self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _skip(self) -> None:
        """The gap did not fill in time: release what waits, in order."""
        self._timer = None
        if self._held:
            self.last = self._held[0][0] - 1
            self._drain()

    def close(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._held.clear()


#: Called with each broadcast of a room, or ``None`` when the process stopped
#: listening and may have missed some (its connections must resume).
Listener = Callable[[Broadcast | None], None]


class Backplane(abc.ABC):
    """Publish/subscribe per room, and presence across processes."""

    #: This process, among those sharing the backplane.
    id: str = ""

    #: Seconds after which the members of a process that stopped answering are
    #: gone (its heartbeat expired).
    member_expiry: float = 15.0

    #: Seconds the newest probe took through the backplane (None: no probe heard yet).
    lag_seconds: float | None = None

    def unready(self) -> str:
        """Why this process cannot deliver broadcasts now ("" when it can): ``/readyz``."""
        return ""

    async def start(self) -> None:
        """Connect, and start the heartbeat."""

    async def close(self) -> None:
        """Stop listening, remove this process's members, disconnect."""

    @abc.abstractmethod
    async def subscribe(self, room: str, listener: Listener) -> None:
        """Deliver every later broadcast of ``room`` to ``listener`` (in publish order)."""

    @abc.abstractmethod
    async def unsubscribe(self, room: str, listener: Listener) -> None:
        """Stop delivering to ``listener`` (not to a newer one of a reloaded room)."""

    @abc.abstractmethod
    def publish(self, room: str, item: Broadcast) -> None:
        """Send ``item`` to every subscriber of ``room``; this process's calls stay in order."""

    @abc.abstractmethod
    async def add_member(self, room: str, id: str, info: dict[str, Any]) -> None: ...

    @abc.abstractmethod
    async def remove_member(self, room: str, id: str) -> None:
        """Remove ``id`` if this process registered it (not a newer one elsewhere)."""

    @abc.abstractmethod
    async def members(self, room: str) -> list[dict[str, Any]]:
        """Every live member's info, on every process."""

    @abc.abstractmethod
    async def claim_lost(self, room: str) -> list[dict[str, Any]]:
        """Remove and return members whose process died; each is returned to one caller."""
