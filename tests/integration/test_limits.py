"""Limits against real hosts (defaults of ``partywidget.rooms.Limits``).

Oversized frames close with 1009, floods get ``rate_limited`` errors while
others keep chatting, a client that stops reading is cut off with 4008 while
the server's memory stays bounded, invalid UTF-8 ends the connection. In every
case nothing the limit refused is stored.
"""

from __future__ import annotations

import asyncio
import json

import psutil

from partywidget.rooms import CloseCode, Limits

from .clients import RawWebSocket, fetch, room_ws_url

LIMITS = Limits()
MiB = 1024 * 1024


async def stored_contents(server, room) -> list:
    history = await fetch("GET", server.room_url(room, ws=False), headers=server.auth_headers())
    return [m["content"] for m in history.json()["messages"]]


async def raw_socket(server, room, party="main", **options) -> tuple[RawWebSocket, str]:
    """A hand-driven socket in ``room`` and the room's id for it."""
    url, _ = room_ws_url(server, room, party)
    raw = await asyncio.to_thread(RawWebSocket, url, server.auth_headers(), **options)
    assert raw.status == 101
    return raw, raw.headers["partywidget-id"]


def rss(server) -> int:
    return psutil.Process(server.proc.pid).memory_info().rss


async def test_a_frame_over_the_size_limit_closes_with_1009_and_stores_nothing(
        room_server, room, join):
    sock = await join(room_server, room)
    await sock.joined()
    await sock.send({"content": "x" * LIMITS.max_frame_size})

    assert await sock.close_code() == CloseCode.MESSAGE_TOO_BIG
    assert await stored_contents(room_server, room) == []


async def test_an_http_body_over_the_size_limit_is_refused(room_server, room):
    try:
        response = await fetch("POST", room_server.room_url(room, ws=False),
                               body="x" * (LIMITS.max_frame_size + 1),
                               headers={**room_server.auth_headers(),
                                        "Content-Type": "text/plain"})
        status: int | None = response.status
    except OSError:
        # Tornado answers a too-long Content-Length with 400 and drops the
        # connection, which can reset it (or break the pipe) under an upload
        # still being sent.
        status = None

    assert status in (400, 413, None)
    assert await stored_contents(room_server, room) == []


async def test_a_flood_is_refused_with_errors_while_others_keep_chatting(room_server, room,
                                                                         join):
    flooder = await join(room_server, room)
    await flooder.joined()
    calm = await join(room_server, room)
    await calm.joined()
    await flooder.expect("userJoined")

    # Above the burst, well below max_refused_in_a_row (which would close 4029).
    sent = LIMITS.message_burst + LIMITS.max_refused_in_a_row * 3 // 4
    await asyncio.gather(*(flooder.send({"content": n, "cid": f"f{n}"}) for n in range(sent)))
    await calm.send({"content": "calm", "cid": "calm"})

    # The calm client's message is acknowledged although the room is flooded.
    calm_ack = await calm.skip_to("message", timeout=30, cid="calm")
    replies = []
    async with asyncio.timeout(60):
        while len(replies) < sent:
            frame = await flooder.recv()
            if frame["type"] == "error" or frame.get("from") == flooder.id:
                replies.append(frame)
    flood_acks = [r for r in replies if r["type"] == "message"]
    errors = [r for r in replies if r["type"] == "error"]

    assert calm_ack["from"] == calm.id
    assert errors and {e["code"] for e in errors} == {"rate_limited"}
    assert len(flood_acks) >= LIMITS.message_burst
    stored = await stored_contents(room_server, room)
    assert sorted(c for c in stored if c != "calm") == sorted(a["content"] for a in flood_acks)


async def test_binary_frames_to_a_text_party_close_with_1008(room_server, room, join):
    sock = await join(room_server, room)
    await sock.joined()
    await sock.send(b'{"content": "as bytes"}')

    assert await sock.close_code() == CloseCode.POLICY_VIOLATION
    assert await stored_contents(room_server, room) == []


async def test_invalid_utf8_ends_the_connection_and_stores_nothing(room_server, room, join):
    watcher = await join(room_server, room)
    await watcher.joined()
    raw, pk = await raw_socket(room_server, room)
    try:
        await watcher.skip_to("userJoined", id=pk)
        raw.send_frame(0x1, b'{"content": "\xff\xfe"}')
        code, _ = await asyncio.to_thread(raw.read_until_close)
    finally:
        raw.close()

    # RFC 6455 says 1007; Tornado drops the TCP connection instead. Either ends it.
    assert code in (None, 1007)
    assert (await watcher.skip_to("userLeft"))["id"] == pk
    await watcher.send({"content": "still fine"})
    await watcher.skip_to("message")
    assert await stored_contents(room_server, room) == ["still fine"]


async def send_acknowledged(sock, content, cid: str) -> list[dict]:
    """Send until acknowledged (pausing on ``rate_limited``); the other frames seen."""
    seen = []
    while True:
        await sock.send({"content": content, "cid": cid})
        while True:
            frame = await sock.recv()
            if frame["type"] == "message" and frame.get("cid") == cid:
                return seen
            if frame["type"] == "error":
                assert frame["code"] == "rate_limited", frame
                # Pacing under the rate limit, not an assertion about time.
                await asyncio.sleep(1 / LIMITS.messages_per_second)
                break
            seen.append(frame)


async def test_a_chat_client_that_stops_reading_is_closed_with_4008(room_server, room, join):
    writer = await join(room_server, room)
    await writer.joined()
    slow, slow_id = await raw_socket(room_server, room, receive_buffer=4096)
    try:
        await writer.skip_to("userJoined", id=slow_id)
        payload = "x" * 100_000
        dropped = False
        async with asyncio.timeout(120):
            # Bounded: 300 x 100 kB is far beyond the 4 MiB queue plus kernel buffers.
            for n in range(300):
                seen = await send_acknowledged(writer, payload, f"big-{n}")
                if any(f["type"] == "userLeft" and f["id"] == slow_id for f in seen):
                    dropped = True
                    break
        code, frames = await asyncio.to_thread(slow.read_until_close)
    finally:
        slow.close()

    assert dropped, "the non-reading client was never disconnected"
    assert code == CloseCode.SLOW_CONSUMER
    # What it did get before the cut was whole frames, in order.
    ids = [json.loads(f)["id"] for f in frames if json.loads(f)["type"] == "message"]
    assert ids == sorted(ids)


async def test_server_memory_stays_bounded_while_a_client_stops_reading(room_server, room,
                                                                        join):
    trigger = await join(room_server, room, party="blast")
    await trigger.expect("welcome")
    slow, slow_id = await raw_socket(room_server, room, "blast", receive_buffer=4096)
    try:
        assert (await trigger.expect("joined"))["id"] == slow_id
        before = rss(room_server)
        # 300 distinct 1 MB frames: a host that buffered without bound would hold 300 MB.
        await trigger.send({"count": 300, "size": MiB})
        blasted = await trigger.expect("blasted", timeout=120)
        grown = rss(room_server) - before
        code, _ = await asyncio.to_thread(slow.read_until_close)
    finally:
        slow.close()

    assert slow_id not in blasted["open"]  # the server cut it off during the blast
    # The close frame waits behind unread bytes; Tornado drops a socket whose
    # close goes unanswered for 5 s, so a client that only reads after a long
    # blast (a loaded machine) may find the TCP connection gone instead.
    assert code in (CloseCode.SLOW_CONSUMER, None)
    assert grown < 150 * MiB, f"server RSS grew by {grown / MiB:.0f} MiB"
