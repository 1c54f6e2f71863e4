"""Reference server for the ``yjs`` benchmark: pycrdt-websocket's own ``WebsocketServer``.

Each path is a room (``YRoom``: one ``pycrdt.Doc``, updates applied and sent to
every client), served over ``websockets`` through a minimal ``pycrdt.Channel``
adapter (pycrdt-websocket ships adapters for ASGI and Django only). No store:
the room is in memory, where partywidget's ``yjs`` party also writes SQLite.

Run: ``python -m benchmarks.servers.pycrdt_websocket_server --port N``.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal

from pycrdt.websocket import WebsocketServer
from websockets.asyncio.server import ServerConnection, serve
from websockets.exceptions import ConnectionClosed


class Channel:
    """``pycrdt.Channel`` over a ``websockets`` server connection."""

    def __init__(self, ws: ServerConnection) -> None:
        self.ws = ws
        self._path = ws.request.path.split("?", 1)[0] if ws.request else "/"

    @property
    def path(self) -> str:
        return self._path

    def __aiter__(self) -> Channel:
        return self

    async def __anext__(self) -> bytes:
        try:
            return await self.recv()
        except ConnectionClosed:
            raise StopAsyncIteration from None

    async def send(self, message: bytes) -> None:
        try:
            await self.ws.send(message)
        except ConnectionClosed:
            pass  # the client left; the room notices when its iteration ends

    async def recv(self) -> bytes:
        message = await self.ws.recv()
        return message if isinstance(message, bytes) else message.encode()


async def main(port: int) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    async with WebsocketServer(auto_clean_rooms=False, log=logging.getLogger("bench")) as rooms:
        async with serve(lambda ws: rooms.serve(Channel(ws)), "127.0.0.1", port,
                         compression=None, max_size=None, ping_interval=None):
            await stop.wait()


if __name__ == "__main__":
    logging.basicConfig(level=logging.WARNING)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    asyncio.run(main(parser.parse_args().port))
