"""The delivery contract across restarts and crashes (DESIGN.md, "Delivery contract").

Order is persist -> assign offset -> broadcast, so a message anyone saw
acknowledged is in storage: after a clean restart (SIGTERM) and after SIGKILL in
the middle of a burst. Offsets only grow and are never reused; the epoch stays
while history survives; a client that resumes with ``since``/``epoch`` gets
exactly what it missed.
"""

from __future__ import annotations

import asyncio
import random

import pytest
from websockets.exceptions import ConnectionClosed

from partywidget.rooms import CloseCode

from .clients import RoomSocket, fetch

MESSAGE_FIELDS = {"type", "id", "from", "user", "content", "timestamp", "cid"}


@pytest.fixture(params=["jupyter", "standalone"])
def own_server(request: pytest.FixtureRequest):
    """A server of each kind this test may restart or kill (SQLite in tmp_path)."""
    return request.getfixturevalue(f"{request.param}_server")


async def history(server, room: str, query: str = "") -> dict:
    response = await fetch("GET", server.room_url(room, ws=False) + query,
                           headers=server.auth_headers())
    assert response.status == 200, response.body
    return response.json()


async def send_and_ack(sock: RoomSocket, contents: list[str]) -> list[dict]:
    acks = []
    for content in contents:
        await sock.send({"content": content, "cid": content})
        acks.append(await sock.skip_to("message", cid=content))
    return acks


async def test_a_restart_keeps_every_acknowledged_message_and_resume_gets_the_missed(
        own_server, join):
    room = "durable"
    writer = await join(own_server, room)
    welcome, _ = await writer.joined()
    reader = await join(own_server, room)
    await reader.joined()
    seen_by_reader = await send_and_ack(writer, [f"early-{n}" for n in range(5)])
    await reader.skip_to("message", cid="early-4")
    await reader.close()  # offline from here on
    missed = await send_and_ack(writer, [f"late-{n}" for n in range(5)])

    await asyncio.to_thread(own_server.restart)

    assert await writer.close_code() == CloseCode.GOING_AWAY
    stored = await history(own_server, room)
    assert stored["epoch"] == welcome["epoch"]
    assert stored["messages"] == seen_by_reader + missed
    resumed = await join(own_server, room,
                         query={"since": str(seen_by_reader[-1]["id"]), "epoch": welcome["epoch"]})
    _, replay = await resumed.joined()
    assert replay["recovered"] is True
    assert replay["messages"] == missed
    up_to_date = await join(own_server, room,
                            query={"since": str(missed[-1]["id"]), "epoch": welcome["epoch"]})
    _, nothing = await up_to_date.joined()
    assert (nothing["recovered"], nothing["messages"]) == (True, [])
    await resumed.send({"content": "after restart"})
    assert (await resumed.skip_to("message"))["id"] == missed[-1]["id"] + 1


async def burst(sock: RoomSocket, name: str, count: int, acked: dict[str, int],
                progress: asyncio.Event) -> None:
    """Send ``count`` messages without waiting, record each acknowledgement until cut off."""
    for n in range(count):
        await sock.send({"content": f"{name}-{n}", "cid": f"{name}-{n}"})
    try:
        while len([c for c in acked if c.startswith(name + "-")]) < count:
            frame = await sock.recv(timeout=60)
            if frame["type"] == "message" and frame.get("from") == sock.id:
                acked[frame["cid"]] = frame["id"]
                progress.set()
    except ConnectionClosed:
        pass  # the server was killed: what was acknowledged so far is the record


async def test_kill_9_during_a_burst_loses_no_acknowledged_message(own_server, join):
    room = "crash"
    clients = [await join(own_server, room) for _ in range(4)]
    welcome, _ = await clients[0].joined()
    for sock in clients[1:]:
        await sock.joined()
    per_client = 60  # within the rate limit's burst, so every send is accepted
    kill_after = random.randint(10, len(clients) * per_client - 40)
    acked: dict[str, int] = {}
    progress = asyncio.Event()

    async def kill_at_a_random_moment() -> None:
        while len(acked) < kill_after:
            progress.clear()
            await progress.wait()
        await asyncio.to_thread(own_server.kill)

    async with asyncio.timeout(120):
        await asyncio.gather(kill_at_a_random_moment(), *(
            burst(sock, f"c{i}", per_client, acked, progress) for i, sock in enumerate(clients)))
    await asyncio.to_thread(own_server.start)

    stored = await history(own_server, room)
    messages = stored["messages"]
    ids = [m["id"] for m in messages]
    cids = [m["cid"] for m in messages]
    assert len(acked) >= kill_after, (len(acked), kill_after)
    assert stored["epoch"] == welcome["epoch"]
    assert ids == sorted(set(ids)), "ids must be strictly increasing"
    assert len(cids) == len(set(cids)), "no message may be stored twice"
    assert all(set(m) == MESSAGE_FIELDS and m["content"] == m["cid"] for m in messages), \
        "every stored entry must be whole"
    by_cid = dict(zip(cids, ids))
    assert {cid: by_cid.get(cid) for cid in acked} == acked, "an acknowledged message was lost"

    # A client that saw up to some acknowledged id resumes with exactly the rest.
    since = min(acked.values())
    survivor = await join(own_server, room, query={"since": str(since),
                                                   "epoch": welcome["epoch"]})
    _, replay = await survivor.joined()
    assert replay["recovered"] is True
    assert replay["messages"] == [m for m in messages if m["id"] > since]
    await survivor.send({"content": "after the crash"})
    assert (await survivor.skip_to("message"))["id"] > max(ids)
