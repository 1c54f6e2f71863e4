"""A joiner whose history frame is larger than the unread-bytes bound still joins.

The slow-consumer bound (``Limits.max_buffered_bytes``, 4 MiB) is on what a
client leaves unread, not on the size of one frame: a history of 100 messages of
120 kB (12 MB, one frame) must reach a new joiner whole.
"""

from __future__ import annotations

from partywidget.rooms import Limits

MESSAGES = 100
CONTENT = "x" * 120_000
WRITERS = 4


async def test_a_history_larger_than_the_unread_bound_reaches_a_joiner(room_server, room, join):
    assert MESSAGES * len(CONTENT) > Limits().max_buffered_bytes
    # Several writers, so no one connection passes its byte-rate burst (4 MiB).
    writers = [await join(room_server, room) for _ in range(WRITERS)]
    for writer in writers:
        await writer.joined()
    for n in range(MESSAGES):
        writer = writers[n % WRITERS]
        await writer.send({"content": CONTENT, "cid": f"big-{n}"})
        await writer.skip_to("message", cid=f"big-{n}")

    reader = await join(room_server, room)
    await reader.expect("welcome")
    history = await reader.expect("history", timeout=30)

    assert [m["cid"] for m in history["messages"]] == [f"big-{n}" for n in range(MESSAGES)]
    assert all(m["content"] == CONTENT for m in history["messages"])
