"""Reference server: a bare ``websockets`` relay, every path its own room.

Each text frame is passed to :func:`websockets.asyncio.server.broadcast` for
every other connection of the same path, as is: the fastest idiomatic
pure-Python fan-out we know of, and the yardstick every ratio is taken against.
Compression is off, as on partywidget's sockets, so both write the same bytes.

Run: ``python -m benchmarks.servers.websockets_relay --port N``.
"""

from __future__ import annotations

import argparse
import asyncio
import signal

from websockets.asyncio.server import ServerConnection, broadcast, serve
from websockets.exceptions import ConnectionClosed

ROOMS: dict[str, set[ServerConnection]] = {}


async def relay(ws: ServerConnection) -> None:
    path = ws.request.path.split("?", 1)[0] if ws.request else "/"
    room = ROOMS.setdefault(path, set())
    room.add(ws)
    try:
        async for message in ws:
            broadcast([c for c in room if c is not ws], message)
    except ConnectionClosed:
        pass  # load generators drop their sockets without waiting for the handshake
    finally:
        room.discard(ws)
        if not room:
            ROOMS.pop(path, None)


async def main(port: int) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    async with serve(relay, "127.0.0.1", port, compression=None, max_size=1 << 20,
                     ping_interval=None):
        await stop.wait()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    asyncio.run(main(parser.parse_args().port))
