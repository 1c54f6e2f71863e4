"""The ``yjs`` party on real room hosts, with stock Yjs providers and pycrdt clients.

``tests/node/yjs.mjs`` drives y-partyserver's ``YProvider`` and y-websocket's
``WebsocketProvider`` (``ws`` as their WebSocket, nothing else changed); the
Python side is a ``websockets`` socket whose frames a ``pycrdt.Doc`` follows
(:class:`~partywidget.client.ysync.DocSync`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pycrdt
import pytest

from partywidget.client.ysync import DocSync
from partywidget.protocol import yjs

from .clients import FRAME_TIMEOUT, RoomSocket, run_node
from .conftest import start_server


def node(mode: str, server, room: str, *args: str) -> dict:
    token = [server.token] if server.token else []
    return run_node("yjs.mjs", mode, server.host, room, *args, *token)


class YSocket:
    """A pycrdt document synced through one socket to a ``yjs`` room."""

    def __init__(self, sock: RoomSocket) -> None:
        self.sock = sock
        self.doc = pycrdt.Doc()
        self.text = self.doc.get("t", type=pycrdt.Text)
        self.outbox: list[bytes] = []
        self.sync = DocSync(self.doc, self.outbox.append)
        self.received: list[yjs.YMessage] = []
        self.sync.hello()

    async def flush(self) -> None:
        while self.outbox:
            await self.sock.ws.send(self.outbox.pop(0))

    async def until(self, what: str, check: Callable[[], bool]) -> None:
        """Send what is queued, then read and apply frames until ``check()``."""
        async with asyncio.timeout(FRAME_TIMEOUT):
            while True:
                await self.flush()
                if check():
                    return
                frame = await self.sock.ws.recv()
                assert isinstance(frame, bytes), f"a text frame reached a Yjs client: {frame}"
                self.received.extend(yjs.parse_frame(frame))
                self.sync.receive(frame)


@pytest.fixture
def ysocket(join):
    async def open_(server, room: str, **options) -> YSocket:
        return YSocket(await join(server, room, "yjs", **options))

    return open_


async def test_stock_providers_converge_and_see_the_identity_the_server_set(
        room_server, room, join):
    run = await asyncio.to_thread(node, "converge", room_server, room)
    # Concurrent inserts at 0 converge to one order, the same everywhere.
    assert run["a"]["text"] == run["b"]["text"] == run["c"]["text"] in ("alice bob ",
                                                                          "bob alice ")
    assert run["a"]["map"] == run["b"]["map"] == run["c"]["map"] == {
        "from-a": 1, "from-b": {"nested": [1, 2]}}
    # YProvider "yjs-alice" claimed {"name": "Teacher"}: the others see who it is.
    # Who the host says alice is: on the dev server a guest named (keyed) after
    # her _pk, so ask with the same _pk; in Jupyter the server's user.
    welcome = await (await join(room_server, room, pk="yjs-alice")).expect("welcome")
    username = welcome["user"]["username"]
    user = run["awareness"]["user"]
    assert user["username"] == username and user["name"] != "Teacher"
    assert user["color"] != "#000000" and run["awareness"]["cursor"] == 7
    assert len(run["awarenessAfterLeave"]) == 2  # alice's state left with her socket


async def test_stock_providers_reach_a_document_below_a_path(tmp_path, room):
    # As under a JupyterHub service prefix: y-partyserver's host and y-websocket's
    # server URL both carry the path.
    server = start_server("standalone", tmp_path / "prefix",
                          extra_args=["--prefix", "/services/rooms/"])
    try:
        assert server.host.endswith("/services/rooms")
        run = await asyncio.to_thread(node, "converge", server, room)
        assert run["c"]["text"] in ("alice bob ", "bob alice ")
    finally:
        server.stop()


async def test_a_pycrdt_client_and_stock_providers_edit_one_document(
        shared_standalone, room, ysocket):
    py = await ysocket(shared_standalone, room)
    await py.until("sync", lambda: py.sync.synced)
    py.text.insert(0, "python ")
    await py.flush()
    written = await asyncio.to_thread(node, "write", shared_standalone, room, "node ")
    assert "python " in written["text"] and "node " in written["text"]
    await py.until("node's edit", lambda: "node " in str(py.text))
    assert str(py.text) == written["text"]


async def test_awareness_at_pointer_rate_is_not_rate_limited(shared_standalone, room, ysocket):
    mover = await ysocket(shared_standalone, room)
    watcher = await ysocket(shared_standalone, room)
    await mover.until("sync", lambda: mover.sync.synced)
    await watcher.until("sync", lambda: watcher.sync.synced)
    for x in range(300):  # 300 pointer moves at once: far past the chat's 100-frame burst
        mover.sync.set_awareness({"cursor": x})
    await mover.flush()
    await watcher.until("the last move", lambda: any(
        s.get("cursor") == 299 for s in watcher.sync.states.values()))
    await mover.until("a round trip", lambda: True)
    assert mover.sock.ws.close_code is None
    assert not any(isinstance(m, yjs.PermissionDenied) for m in mover.received)


async def test_the_document_survives_a_restart_and_a_kill_9(standalone_server, room):
    server = standalone_server
    await asyncio.to_thread(node, "write", server, room, "before-restart ")
    await asyncio.to_thread(server.restart)
    assert (await asyncio.to_thread(node, "read", server, room))["text"] == "before-restart "
    await asyncio.to_thread(node, "write", server, room, "before-kill ")
    server.kill()
    await asyncio.to_thread(server.start)
    text = (await asyncio.to_thread(node, "read", server, room))["text"]
    assert "before-restart " in text and "before-kill " in text


async def test_the_document_survives_a_kill_9_of_jupyter(jupyter_server, room):
    await asyncio.to_thread(node, "write", jupyter_server, room, "relayed ")
    jupyter_server.kill()
    await asyncio.to_thread(jupyter_server.start)
    assert (await asyncio.to_thread(node, "read", jupyter_server, room))["text"] == "relayed "


async def test_a_two_megabyte_document_joins(shared_jupyter, room, ysocket):
    writer = await ysocket(shared_jupyter, room)
    watcher = await ysocket(shared_jupyter, room)
    await writer.until("sync", lambda: writer.sync.synced)
    chunk = "x" * (512 * 1024)
    for _ in range(4):  # one update per frame, each under the 1 MiB frame bound
        writer.text.insert(len(writer.text), chunk)
        await writer.flush()
    # The room relays after it stores: once the watcher has it all, so has storage.
    await watcher.until("2 MB", lambda: len(watcher.text) == 4 * len(chunk))
    reader = await asyncio.to_thread(node, "read", shared_jupyter, room)
    assert len(reader["text"]) == 4 * len(chunk)
