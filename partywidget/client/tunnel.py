"""A WebSocket to a room, opened by the kernel on behalf of a page: bytes in, bytes out.

The Notes widget's page speaks y-websocket's protocol itself (its provider),
but where only the kernel knows the room host and holds its token
(``PARTYWIDGET_URL``/``PARTYWIDGET_TOKEN``) the page cannot open that socket.
A :class:`Tunnel` is the kernel's half of one page socket: the page asks, the
kernel opens one connection to ``{host}/parties/{party}/{room}`` with its own
credentials (:class:`~.discovery.HostAddress`), and frames travel through
unchanged, both ways. It never reconnects: when the room's socket ends, the
page hears the close code and its provider reconnects (a new tunnel), running
the y-websocket handshake again, exactly as with a socket of its own.

What the page may make the kernel do is bounded here (docs/security.md,
"The Notes relay"): frames above :data:`~..protocol.defaults.MAX_FRAME_SIZE`
are refused, and at most :data:`MAX_BUFFERED_BYTES` wait to be written to the
room (past that the tunnel closes with 1013 and the provider resyncs).
"""

from __future__ import annotations

import asyncio
import uuid
from collections import deque
from collections.abc import Callable
from urllib.parse import urlencode

from websockets.asyncio.client import ClientConnection
from websockets.asyncio.client import connect as ws_connect
from websockets.exceptions import ConnectionClosed, InvalidStatus, WebSocketException

from ..errors import Removed
from ..protocol.close import FINAL_CLOSE_CODES, CloseCode
from ..protocol.defaults import MAX_FRAME_SIZE
from ..protocol.yjs import CONTROLS_PARAM
from .discovery import HostAddress
from .loop import client_loop
from .membership import MAX_INCOMING_BYTES, refusal

__all__ = ["ABNORMAL", "MAX_BUFFERED_BYTES", "Tunnel"]

#: Bytes of the page's frames waiting for the room's socket before the tunnel
#: closes (a page must not grow the kernel's memory without bound).
MAX_BUFFERED_BYTES = 4 * MAX_FRAME_SIZE
#: The close code a browser reports when a socket ended without a close frame
#: (RFC 6455 §7.1.5): the page's provider retries, as after a network error.
ABNORMAL = 1006

#: Receives a frame from the room (``str`` or ``bytes``).
OnFrame = Callable[[str | bytes], None]
#: Receives the close code and reason once, when the tunnel ends.
OnClose = Callable[[int, str], None]


class Tunnel:
    """One kernel-side socket to a room, relaying a page's socket (see the module docs).

    ``on_open``, ``on_frame`` and ``on_close`` run on the client thread;
    :meth:`start`, :meth:`send` and :meth:`close` may be called from any thread.
    ``on_close`` is called exactly once, however the tunnel ends.
    """

    def __init__(self, address: HostAddress, party: str, room: str, *,
                 on_open: Callable[[], None], on_frame: OnFrame, on_close: OnClose) -> None:
        self.address = address
        self.party = party
        self.room = room
        self.on_open = on_open
        self.on_frame = on_frame
        self.on_close = on_close
        self._loop = client_loop()
        self._queue: deque[str | bytes] = deque()
        self._buffered = 0
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._ws: ClientConnection | None = None
        self._closing: asyncio.Task[None] | None = None
        self._ended = False

    def url(self) -> str:
        """The room's URL: a fresh ``_pk``, and the Access frames the Notes view shows."""
        query = {"_pk": str(uuid.uuid4()), CONTROLS_PARAM: "1"}
        return f"{self.address.room_url(self.party, self.room)}?{urlencode(query)}"

    def start(self) -> None:
        self._loop.call_soon_threadsafe(self._start)

    def send(self, data: str | bytes) -> None:
        """Queue one of the page's frames for the room (refused when too big or too many)."""
        self._loop.call_soon_threadsafe(self._put, data)

    def close(self, code: int = CloseCode.NORMAL, reason: str = "") -> None:
        """End the tunnel (the page closed its socket, or the widget makes room)."""
        self._loop.call_soon_threadsafe(self._abort, code, reason)

    # client loop ----------------------------------------------------------------

    def _start(self) -> None:
        if not self._ended:
            self._task = self._loop.create_task(self._run())

    def _put(self, data: str | bytes) -> None:
        size = len(data.encode("utf-8")) if isinstance(data, str) else len(data)
        if size > MAX_FRAME_SIZE:
            # What the room host would do to the socket; nothing of it is sent.
            self._abort(CloseCode.MESSAGE_TOO_BIG,
                        f"a frame of {size} bytes is above the limit of {MAX_FRAME_SIZE}")
        elif self._buffered + size > MAX_BUFFERED_BYTES:
            self._abort(CloseCode.TRY_AGAIN_LATER,
                        "the room host is not keeping up with this page's edits")
        elif not self._ended:
            self._queue.append(data)
            self._buffered += size
            self._wake.set()

    def _abort(self, code: int, reason: str) -> None:
        """End the tunnel now with ``code``: tell the page, close the room's socket."""
        self._finish(code, reason)
        if self._ws is not None:
            # The room only needs a goodbye; why is the page's business (told above).
            self._closing = self._loop.create_task(self._ws.close())
        elif self._task is not None:
            self._task.cancel()

    def _finish(self, code: int, reason: str) -> None:
        if self._ended:
            return
        self._ended = True
        self._queue.clear()
        self._buffered = 0
        self.on_close(code, reason)

    async def _run(self) -> None:
        try:
            ws = await ws_connect(
                self.url(), additional_headers=self.address.headers(),
                proxy=None,  # as the kernel's own memberships: env proxies never apply
                max_size=MAX_INCOMING_BYTES, compression=None, open_timeout=10,
                ping_interval=20, ping_timeout=20, close_timeout=5)
        except InvalidStatus as exc:
            self._finish(*_refused(self.address, self.party, self.room, exc))
            return
        except (OSError, TimeoutError, WebSocketException) as exc:
            self._finish(ABNORMAL, f"the kernel could not reach the room host "
                                   f"{self.address.url}: {type(exc).__name__}: {exc}")
            return
        if self._ended:  # the page left while the handshake was finishing
            await ws.close()
            return
        self._ws = ws
        self.on_open()
        writer = self._loop.create_task(self._write(ws))
        try:
            async for raw in ws:
                if not self._ended:
                    self.on_frame(raw)
        except ConnectionClosed:
            pass
        finally:
            writer.cancel()
            await asyncio.gather(writer, return_exceptions=True)
            await ws.close()  # done already, unless a callback failed: then say goodbye
            received = ws.protocol.close_rcvd
            if received is None:
                self._finish(ABNORMAL, "the kernel lost its connection to the room host")
            else:
                self._finish(received.code,
                             received.reason or FINAL_CLOSE_CODES.get(received.code, ""))

    async def _write(self, ws: ClientConnection) -> None:
        while True:
            if not self._queue:
                self._wake.clear()
                await self._wake.wait()
                continue
            data = self._queue.popleft()
            self._buffered -= len(data.encode("utf-8")) if isinstance(data, str) else len(data)
            await ws.send(data)


def _refused(address: HostAddress, party: str, room: str, exc: InvalidStatus) -> tuple[int, str]:
    """The close code and reason the page hears for a refused handshake.

    A refusal retrying cannot fix ends the page's provider for good, with the
    kernel client's own words (:func:`.membership.refusal`): 4003 after a
    removal, else 1008; any other status is retried like a network error.
    """
    error = refusal(address, party, room, exc.response)
    if error is None:
        return ABNORMAL, f"HTTP {exc.response.status_code} on the handshake"
    return (CloseCode.REMOVED if isinstance(error, Removed) else CloseCode.POLICY_VIOLATION,
            str(error))
