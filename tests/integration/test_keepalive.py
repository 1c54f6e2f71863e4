"""Keep-alive of room sockets inside Jupyter: exactly one, jupyter_server's.

Jupyter's ``WebSocketMixin`` pings every ``ws_ping_interval`` milliseconds and
closes a socket whose pong is ``ws_ping_timeout`` milliseconds late, as for
kernel sockets. Tornado's own ping task reads the same ``ping_interval`` as
seconds; the extension turns it off (one timer per socket, not two).
"""

from __future__ import annotations

import asyncio
import time

from tests.integration.clients import RawWebSocket, room_ws_url
from tests.integration.conftest import start_server

PING, PONG, CLOSE = 0x9, 0xA, 0x8


def first_ping_then_close(sock: RawWebSocket, *, answer_pings: int) -> tuple[int, bool]:
    """Pings seen (answering the first ``answer_pings``), and whether a close frame came."""
    pings = 0
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            opcode, payload = sock.read_frame()
        except (ConnectionError, OSError):
            return pings, False
        if opcode == PING:
            pings += 1
            if pings <= answer_pings:
                sock.send_frame(PONG, payload)
        elif opcode == CLOSE:
            return pings, True
    return pings, False


async def test_jupyter_pings_in_milliseconds_and_closes_a_silent_socket(tmp_path, room):
    settings = {"ws_ping_interval": 200, "ws_ping_timeout": 600}
    server = start_server("jupyter", tmp_path / "keepalive",
                          jupyter_config={"ServerApp": {"tornado_settings": settings}})
    try:
        url, _ = room_ws_url(server, room)
        sock = await asyncio.to_thread(RawWebSocket, url, server.auth_headers())
        try:
            assert sock.status == 101
            # Answers three pings, then stays silent: the next pings go unanswered
            # and the server closes within the timeout.
            pings, closed = await asyncio.to_thread(first_ping_then_close, sock, answer_pings=3)
        finally:
            sock.close()
        log = server.log()
    finally:
        server.stop()

    assert pings >= 4 and closed, f"expected pings then a close, got {pings} pings, {closed}"
    # Tornado's ping task would read the timeout (600) against its interval (200) as
    # seconds and warn; turned off, it never looks.
    assert "cannot be longer than the websocket_ping_interval" not in log
