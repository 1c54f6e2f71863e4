"""Clients the integration tests drive real room hosts with.

* :class:`RoomSocket`: a ``websockets`` client that reads frames as JSON, as
  every well-behaved client of the ``main`` contract does;
* :class:`RawWebSocket`: a hand-driven RFC 6455 client over a blocking socket,
  for what no real client library sends (invalid UTF-8, oversized frames) and
  for a client that stops reading;
* :func:`fetch`: plain HTTP to a room, as curl or ``PartySocket.fetch`` would;
* :func:`run_node`: a script of ``tests/node`` (the npm ``partysocket`` client).
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import socket
import struct
import subprocess
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

#: How long a test waits for one expected frame before failing.
FRAME_TIMEOUT = 15.0

NODE_DIR = Path(__file__).resolve().parents[1] / "node"


class RoomSocket:
    """One ``websockets`` connection to a room, read as JSON frames."""

    def __init__(self, ws: ClientConnection, pk: str) -> None:
        self.ws = ws
        #: The ``_pk`` this socket presented.
        self.pk = pk
        #: The room's id for this connection (its ``_pk`` namespaced by the user).
        self.id = ws.response.headers["Partywidget-Id"] if ws.response else None

    async def recv(self, timeout: float = FRAME_TIMEOUT) -> dict[str, Any]:
        frame = await asyncio.wait_for(self.ws.recv(), timeout)
        return json.loads(frame)

    async def expect(self, kind: str, timeout: float = FRAME_TIMEOUT) -> dict[str, Any]:
        """The next frame, which must be of type ``kind``."""
        frame = await self.recv(timeout)
        assert frame.get("type") == kind, f"expected a {kind!r} frame, got {frame!r}"
        return frame

    async def skip_to(self, kind: str, timeout: float = FRAME_TIMEOUT,
                      **fields: Any) -> dict[str, Any]:
        """The next frame of type ``kind`` (with these ``fields``), skipping others."""
        async with asyncio.timeout(timeout):
            while True:
                frame = await self.recv(timeout)
                if frame.get("type") == kind and all(
                        frame.get(k) == v for k, v in fields.items()):
                    return frame

    async def joined(self) -> tuple[dict[str, Any], dict[str, Any]]:
        """The ``welcome`` and ``history`` frames every joiner of a log party gets first."""
        return await self.expect("welcome"), await self.expect("history")

    async def send(self, value: Any) -> None:
        await self.ws.send(value if isinstance(value, (str, bytes)) else json.dumps(value))

    async def close_code(self, timeout: float = FRAME_TIMEOUT) -> int | None:
        """Read until the server closes; the close code it sent (None: no close frame)."""
        async with asyncio.timeout(timeout):
            try:
                while True:
                    await self.ws.recv()
            except ConnectionClosed:
                pass
            await self.ws.wait_closed()
        return self.ws.close_code

    async def close(self) -> None:
        await self.ws.close()


def room_ws_url(server: Any, room: str, party: str = "main", *, pk: str | None = None,
                query: dict[str, str] | None = None) -> tuple[str, str]:
    """(url, _pk) for a socket to ``room``; ``_pk`` is generated when not given."""
    pk = pk or base64.urlsafe_b64encode(os.urandom(9)).decode()
    params = {"_pk": pk, **(query or {})}
    return f"{server.room_url(room, party)}?{urlencode(params)}", pk


async def join(server: Any, room: str, party: str = "main", *, pk: str | None = None,
               query: dict[str, str] | None = None, headers: dict[str, str] | None = None,
               authenticated: bool = True, **options: Any) -> RoomSocket:
    """Open a socket to ``room`` (token in the Authorization header when ``authenticated``)."""
    url, pk = room_ws_url(server, room, party, pk=pk, query=query)
    all_headers = {**(server.auth_headers() if authenticated else {}), **(headers or {})}
    # Unbounded client-side queue: a test that leaves frames unread must still
    # be able to finish the close handshake promptly.
    options = {"max_size": None, "max_queue": None, "open_timeout": FRAME_TIMEOUT, **options}
    ws = await connect(url, additional_headers=all_headers, **options)
    return RoomSocket(ws, pk)


async def refused_status(server: Any, room: str, party: str = "main", **options: Any) -> int:
    """The HTTP status that refused a socket to ``room`` (options as :func:`join`)."""
    try:
        sock = await join(server, room, party, **options)
    except InvalidStatus as refusal:
        return refusal.response.status_code
    await sock.close()
    raise AssertionError(f"expected the socket to {room!r} to be refused, it was accepted")


async def refused_url_status(url: str, **options: Any) -> int:
    """The HTTP status that refused a socket to ``url`` (options as ``websockets.connect``)."""
    try:
        ws = await connect(url, open_timeout=FRAME_TIMEOUT, **options)
    except InvalidStatus as refusal:
        return refusal.response.status_code
    await ws.close()
    raise AssertionError(f"expected the socket to {url} to be refused, it was accepted")


@dataclass
class HttpResult:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


def http_request(method: str, url: str, body: bytes | None = None,
                 headers: dict[str, str] | None = None) -> HttpResult:
    """One blocking HTTP request; HTTP errors are results, not exceptions."""
    request = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=FRAME_TIMEOUT) as response:
            return HttpResult(response.status, dict(response.headers), response.read())
    except urllib.error.HTTPError as error:
        with error:
            return HttpResult(error.code, dict(error.headers), error.read())


async def fetch(method: str, url: str, *, body: bytes | str | None = None,
                headers: dict[str, str] | None = None) -> HttpResult:
    """One HTTP request (in a thread, so the test's event loop keeps running)."""
    data = body.encode() if isinstance(body, str) else body
    return await asyncio.to_thread(http_request, method, url, data, dict(headers or {}))


class RawWebSocket:
    """A minimal RFC 6455 client on a blocking socket that reads only when asked.

    ``receive_buffer`` shrinks the kernel's receive buffer before connecting, so
    a client that never reads pushes back on the server quickly.
    """

    def __init__(self, url: str, headers: dict[str, str] | None = None, *,
                 receive_buffer: int | None = None, timeout: float = FRAME_TIMEOUT) -> None:
        parts = urlsplit(url)
        self.sock = socket.socket()
        if receive_buffer is not None:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer)
        self.sock.settimeout(timeout)
        self.sock.connect((parts.hostname, parts.port))
        self._buffer = b""
        key = base64.b64encode(os.urandom(16)).decode()
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        lines = [f"GET {target} HTTP/1.1", f"Host: {parts.netloc}", "Upgrade: websocket",
                 "Connection: Upgrade", f"Sec-WebSocket-Key: {key}",
                 "Sec-WebSocket-Version: 13", *(f"{k}: {v}" for k, v in (headers or {}).items())]
        self.sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        head = self._read_until(b"\r\n\r\n")
        self.status = int(head.split(b" ", 2)[1])
        #: Response headers, names lower-cased.
        self.headers = {name.strip().lower(): value.strip() for name, _, value in (
            line.decode("latin-1").partition(":") for line in head.split(b"\r\n")[1:])}

    def _read_until(self, marker: bytes) -> bytes:
        while marker not in self._buffer:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("server closed during the handshake")
            self._buffer += chunk
        head, _, self._buffer = self._buffer.partition(marker)
        return head

    def _read_exactly(self, n: int) -> bytes:
        while len(self._buffer) < n:
            chunk = self.sock.recv(max(65536, n - len(self._buffer)))
            if not chunk:
                raise ConnectionError("connection ended mid-frame")
            self._buffer += chunk
        data, self._buffer = self._buffer[:n], self._buffer[n:]
        return data

    def send_frame(self, opcode: int, payload: bytes, *, fin: bool = True) -> None:
        """A masked client frame (clients must mask, RFC 6455 §5.3)."""
        mask = os.urandom(4)
        n = len(payload)
        first = (0x80 if fin else 0) | opcode
        if n < 126:
            header = struct.pack("!BB", first, 0x80 | n)
        elif n <= 0xFFFF:
            header = struct.pack("!BBH", first, 0x80 | 126, n)
        else:
            header = struct.pack("!BBQ", first, 0x80 | 127, n)
        keystream = (mask * (n // 4 + 1))[:n]
        masked = (int.from_bytes(payload, "big") ^ int.from_bytes(keystream, "big")).to_bytes(
            n, "big")
        self.sock.sendall(header + mask + masked)

    def read_frame(self) -> tuple[int, bytes]:
        """(opcode, payload) of the next server frame."""
        first, second = self._read_exactly(2)
        n = second & 0x7F
        if n == 126:
            (n,) = struct.unpack("!H", self._read_exactly(2))
        elif n == 127:
            (n,) = struct.unpack("!Q", self._read_exactly(8))
        return first & 0x0F, self._read_exactly(n)

    def read_until_close(self) -> tuple[int | None, list[bytes]]:
        """Read every frame up to the server's close frame: (close code, text payloads).

        ``None`` for the code when the server dropped the TCP connection without one.
        """
        payloads: list[bytes] = []
        try:
            while True:
                opcode, payload = self.read_frame()
                if opcode == 0x8:
                    return (struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else None,
                            payloads)
                if opcode in (0x1, 0x2):
                    payloads.append(payload)
        except (ConnectionError, OSError):
            return None, payloads

    def close(self) -> None:
        self.sock.close()


def run_node(script: str, *args: str, timeout: float = 60) -> Any:
    """Run ``node tests/node/<script> <args>`` and parse the JSON it prints."""
    assert (NODE_DIR / "node_modules" / "partysocket").is_dir(), \
        "run `npm ci` in tests/node first (scripts/test.sh does)"
    result = subprocess.run(["node", script, *args], cwd=NODE_DIR, capture_output=True,
                            text=True, timeout=timeout)
    assert result.returncode == 0, f"node {script} failed:\n{result.stderr}"
    return json.loads(result.stdout)
