"""A minimal RFC 6455 client for the load generator, and the servers' dialects.

Why not the ``websockets`` client: at 150,000+ deliveries/s the load generator
must parse frames more cheaply than the servers it measures, or it becomes the
bottleneck. :class:`BenchClient` is an :class:`asyncio.Protocol` that counts
relayed frames in place, without copying or decoding them, and hands a payload
to a listener only where one is wanted (the fairness observer, latency
probes). Outgoing frames are masked with ``websockets``' C ``apply_mask``.

A :class:`Dialect` says how one server family wraps the benchmark's payload:
the relays pass it through, python-socketio wraps it in Engine.IO/Socket.IO
packets, and the ``main`` chat party in ``{"content": ...}`` / ``message``.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import socket
import struct
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from websockets.utils import apply_mask

__all__ = ["DIALECTS", "BenchClient", "Dialect", "connect"]

Listener = Callable[["BenchClient", bytes, int], None]


class Dialect:
    """How to send a payload, and how to recognise and unwrap a relayed one."""

    name = "relay"
    #: Prefix of a frame that carries a relayed payload (``b""``: every data frame).
    marker = b""

    def wrap(self, payload: str) -> str:
        return payload

    def unwrap(self, frame: bytes) -> Any:
        return json.loads(frame)

    async def join(self, client: BenchClient) -> None:
        """Whatever must happen after the upgrade before the client is in the room."""

    def control(self, client: BenchClient, frame: bytes) -> None:
        """A data frame that is not a relayed payload (pings, presence, ...)."""


class SocketIODialect(Dialect):
    """Engine.IO 4 / Socket.IO 5 over a bare WebSocket: event ``m``."""

    name = "socketio"
    marker = b"42"

    def wrap(self, payload: str) -> str:
        return '42["m",' + payload + "]"

    def unwrap(self, frame: bytes) -> Any:
        return json.loads(frame[2:])[1]

    async def join(self, client: BenchClient) -> None:
        await client.next_frame(b"0")  # Engine.IO open
        client.send_text("40")  # connect to namespace "/"
        await client.next_frame(b"40")

    def control(self, client: BenchClient, frame: bytes) -> None:
        if frame == b"2":  # Engine.IO ping: answer or be dropped
            client.send_text("3")


class ChatDialect(Dialect):
    """partywidget's ``main`` party: the sender gets its own message back (its ack)."""

    name = "chat"
    marker = b'{"type":"message"'

    def wrap(self, payload: str) -> str:
        return '{"content":' + payload + "}"

    def unwrap(self, frame: bytes) -> Any:
        return json.loads(frame)["content"]

    async def join(self, client: BenchClient) -> None:
        client.join_frame = await client.next_frame(b'{"type":"history"')


DIALECTS: dict[str, Dialect] = {d.name: d for d in (Dialect(), SocketIODialect(), ChatDialect())}


class BenchClient(asyncio.Protocol):
    """One WebSocket client; counts relayed frames, optionally listens to them."""

    def __init__(self, dialect: Dialect, listener: Listener | None = None) -> None:
        self.dialect = dialect
        self.listener = listener
        self.count = 0
        #: The frame that completed the join, if the dialect keeps it (chat: history).
        self.join_frame: bytes | None = None
        self.transport: asyncio.Transport | None = None
        self.upgraded = asyncio.get_running_loop().create_future()
        self.closed = asyncio.get_running_loop().create_future()
        self._buffer = bytearray()
        self._open = False
        #: Until it has joined, data frames wait here for :meth:`next_frame`.
        self._joining = True
        self._pending: list[bytes] = []
        self._waiting: tuple[bytes, asyncio.Future[bytes]] | None = None

    # connection ------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        sock = transport.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def connection_lost(self, exc: Exception | None) -> None:
        self._open = False
        for future in (self.upgraded, self.closed):
            if not future.done():
                future.set_result(None)
        if self._waiting is not None and not self._waiting[1].done():
            self._waiting[1].set_exception(ConnectionError("connection closed"))

    def request(self, url: str) -> None:
        parts = urlsplit(url)
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        key = base64.b64encode(os.urandom(16)).decode()
        assert self.transport is not None
        self.transport.write(
            f"GET {target} HTTP/1.1\r\nHost: {parts.netloc}\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
            "Sec-WebSocket-Version: 13\r\n\r\n".encode())

    def close(self) -> None:
        """Send a close frame (1000) and drop the socket; bounded, never waits."""
        if self.transport is not None and not self.transport.is_closing():
            if self._open:
                self._write(0x88, struct.pack("!H", 1000))
            self.transport.close()
        self._open = False

    # frames ----------------------------------------------------------------

    def send_text(self, text: str) -> None:
        self._write(0x81, text.encode())

    def send_binary(self, data: bytes) -> None:
        self._write(0x82, data)

    def _write(self, opcode: int, data: bytes) -> None:
        n = len(data)
        if n < 126:
            header = struct.pack("!BB", opcode, 0x80 | n)
        elif n <= 0xFFFF:
            header = struct.pack("!BBH", opcode, 0xFE, n)
        else:
            header = struct.pack("!BBQ", opcode, 0xFF, n)
        mask = os.urandom(4)
        assert self.transport is not None
        self.transport.write(header + mask + apply_mask(data, mask))

    def next_frame(self, prefix: bytes) -> asyncio.Future[bytes]:
        """The next data frame starting with ``prefix``, while joining; others go to
        the dialect's :meth:`~Dialect.control`."""
        future = asyncio.get_running_loop().create_future()
        while self._pending:
            frame = self._pending.pop(0)
            if frame.startswith(prefix):
                future.set_result(frame)
                return future
            self.dialect.control(self, frame)
        if not self._open:
            future.set_exception(ConnectionError("connection closed while joining"))
        else:
            self._waiting = (prefix, future)
        return future

    def joined(self) -> None:
        """Joining is over: frames that came early are counted, the rest live."""
        self._joining = False
        pending, self._pending = self._pending, []
        for frame in pending:
            self._data_frame(frame, 0)

    def data_received(self, data: bytes) -> None:
        buf = self._buffer
        buf += data
        if not self._open:
            end = buf.find(b"\r\n\r\n")
            if end < 0:
                return
            status = bytes(buf[:buf.find(b"\r\n")])
            del buf[:end + 4]
            if b" 101 " not in status + b" ":
                self.upgraded.set_exception(ConnectionError(f"upgrade refused: {status!r}"))
                assert self.transport is not None
                self.transport.close()
                return
            self._open = True
            self.upgraded.set_result(None)
        self._frames(buf)

    def _frames(self, buf: bytearray) -> None:
        marker = self.dialect.marker
        listener = self.listener
        now = time.perf_counter_ns() if listener is not None else 0
        pos, size = 0, len(buf)
        while size - pos >= 2:
            length = buf[pos + 1] & 0x7F
            head = 2
            if length == 126:
                if size - pos < 4:
                    break
                length = (buf[pos + 2] << 8) | buf[pos + 3]
                head = 4
            elif length == 127:
                if size - pos < 10:
                    break
                length = int.from_bytes(buf[pos + 2:pos + 10], "big")
                head = 10
            start = pos + head
            end = start + length
            if end > size:
                break
            opcode = buf[pos] & 0x0F
            pos = end
            if opcode == 1 or opcode == 2:
                if self._joining:
                    self._early(bytes(buf[start:end]))
                elif buf.startswith(marker, start):
                    self.count += 1
                    if listener is not None:
                        listener(self, bytes(buf[start:end]), now)
                else:
                    self.dialect.control(self, bytes(buf[start:end]))
            elif opcode == 9:  # ping: pong with the same data (RFC 6455 §5.5.2)
                self._write(0x8A, bytes(buf[start:end]))
            elif opcode == 8:
                self._open = False
                if self.transport is not None:
                    self.transport.close()
                break
        if pos:
            del buf[:pos]

    def _data_frame(self, frame: bytes, now: int) -> None:
        if frame.startswith(self.dialect.marker):
            self.count += 1
            if self.listener is not None:
                self.listener(self, frame, now or time.perf_counter_ns())
        else:
            self.dialect.control(self, frame)

    def _early(self, frame: bytes) -> None:
        waiting = self._waiting
        if waiting is None:
            self._pending.append(frame)
        elif frame.startswith(waiting[0]):
            self._waiting = None
            if not waiting[1].done():
                waiting[1].set_result(frame)
        else:
            self.dialect.control(self, frame)


async def connect(url: str, dialect: Dialect, listener: Listener | None = None,
                  timeout: float = 30.0) -> BenchClient:
    """Open a client to ``url`` and wait until it has joined (bounded by ``timeout``)."""
    parts = urlsplit(url)
    loop = asyncio.get_running_loop()

    async def opening() -> BenchClient:
        _, client = await loop.create_connection(
            lambda: BenchClient(dialect, listener), parts.hostname, parts.port)
        client.request(url)
        await client.upgraded
        if not client._open:
            raise ConnectionError(f"connection to {url} closed during the upgrade")
        await dialect.join(client)
        client.joined()
        return client

    return await asyncio.wait_for(opening(), timeout)
