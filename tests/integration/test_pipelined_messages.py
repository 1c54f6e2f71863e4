"""A burst from one chat client is pipelined and still kept in send order.

The ``main`` party sets ``Party.max_concurrent_messages``: its host reads a
client's next frame while the last one is being stored, so a burst shares one
group commit (docs/performance.md). The delivery contract must not notice:
acknowledgements, every other member's copies and the stored history follow
the order the client sent in, with growing offsets.
"""

from __future__ import annotations

from .clients import fetch

#: Within the default burst allowance (100 messages), so nothing is rate limited.
BURST = 80


async def test_a_burst_is_acknowledged_relayed_and_stored_in_send_order(room_server, room,
                                                                        join):
    sender = await join(room_server, room)
    await sender.joined()
    other = await join(room_server, room)
    await other.joined()
    await sender.skip_to("userJoined", id=other.id)

    for i in range(BURST):  # back to back: no send waits for an acknowledgement
        await sender.send({"content": i, "cid": f"burst-{i}"})
    acks = [await sender.skip_to("message") for _ in range(BURST)]
    relayed = [await other.skip_to("message") for _ in range(BURST)]
    stored = (await fetch("GET", room_server.room_url(room, ws=False),
                          headers=room_server.auth_headers())).json()["messages"]

    ids = [m["id"] for m in acks]
    assert [m["content"] for m in acks] == list(range(BURST))
    assert ids == sorted(ids) and len(set(ids)) == BURST
    assert [(m["id"], m["content"]) for m in relayed] == [(m["id"], m["content"]) for m in acks]
    assert [(m["id"], m["content"]) for m in stored] == [(m["id"], m["content"]) for m in acks]
