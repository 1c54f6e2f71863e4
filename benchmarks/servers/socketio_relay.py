"""Reference server: python-socketio rooms on aiohttp, the usual Python choice.

A client joins the room named by its ``room`` query parameter; each ``m`` event
is emitted to that room, skipping the sender. Clients speak Engine.IO 4 over a
WebSocket directly (``/socket.io/?EIO=4&transport=websocket``), no polling.

Run: ``python -m benchmarks.servers.socketio_relay --port N``.
"""

from __future__ import annotations

import argparse
from typing import Any
from urllib.parse import parse_qs

import socketio
from aiohttp import web

sio = socketio.AsyncServer(async_mode="aiohttp", cors_allowed_origins=[],
                           max_http_buffer_size=1 << 20)
ROOM_OF: dict[str, str] = {}


@sio.event
async def connect(sid: str, environ: dict[str, Any], auth: Any = None) -> None:
    room = parse_qs(environ.get("QUERY_STRING", "")).get("room", ["lobby"])[0]
    ROOM_OF[sid] = room
    await sio.enter_room(sid, room)


@sio.event
async def disconnect(sid: str, *args: Any) -> None:
    ROOM_OF.pop(sid, None)


@sio.on("m")
async def relay(sid: str, data: Any) -> None:
    await sio.emit("m", data, room=ROOM_OF.get(sid), skip_sid=sid)


def main(port: int) -> None:
    app = web.Application()
    sio.attach(app)
    web.run_app(app, host="127.0.0.1", port=port, print=None, access_log=None)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    main(parser.parse_args().port)
