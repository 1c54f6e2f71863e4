"""The input gate (Durable Objects' rule) and the hooks that run before a room exists.

A read-modify-write party loses updates when hooks interleave between their
``get`` and ``put``; with the gate (the default) it cannot. The storage here
yields to the loop inside every call, as SQLite's worker thread and Redis do.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from partywidget.rooms import Connection, Limits, Party, Request, Response, RoomHost
from partywidget.storage import MemoryStorage

from .conftest import ALICE, FakeTransport, Join, MakeHost


class YieldingStorage(MemoryStorage):
    """MemoryStorage whose every call lets other tasks run first (a disk or a network)."""

    async def get(self, room: str, key: str) -> Any | None:
        await asyncio.sleep(0)
        return await super().get(room, key)

    async def put(self, room: str, key: str, value: Any) -> None:
        await asyncio.sleep(0)
        await super().put(room, key, value)


class Votes(Party):
    """The read-modify-write of docs/custom-parties.md, with no lock."""

    async def on_message(self, message: str | bytes, sender: Connection) -> None:
        votes = await self.room.storage.get("votes") or {}
        votes[message] = votes.get(message, 0) + 1
        await self.room.storage.put("votes", votes)


class UngatedVotes(Votes):
    input_gate = False


async def vote_concurrently(make_host: MakeHost, join: Join, party: type[Party]) -> int:
    host = await make_host(party, storage=YieldingStorage())
    room = host.room("p", "r")
    voters = [await join(room, f"v{i}") for i in range(20)]
    await asyncio.gather(*(voter.send("yes") for voter in voters))
    return (await room.storage.get("votes"))["yes"]


async def test_the_gate_keeps_every_concurrent_read_modify_write(make_host: MakeHost,
                                                                   join: Join) -> None:
    assert await vote_concurrently(make_host, join, Votes) == 20


async def test_without_the_gate_the_same_party_loses_updates(make_host: MakeHost,
                                                             join: Join) -> None:
    # The control: the test above can fail, and the gate is what makes it pass.
    assert await vote_concurrently(make_host, join, UngatedVotes) < 20


class Refusing(Party):
    """Refuses every join before a room exists, and counts rooms it ever started."""

    started = 0

    @classmethod
    async def on_before_connect(cls, request: Request, lobby: Any) -> Request | Response:
        return Response.error("closed", f"{lobby.party}/{lobby.room} is closed", 403)

    async def on_start(self) -> None:
        type(self).started += 1
        await self.room.storage.put("touched", True)


async def test_a_join_refused_before_connect_creates_no_room_and_stores_nothing() -> None:
    storage = MemoryStorage()
    host = RoomHost(storage, {"p": Refusing})
    await host.start()
    try:
        answer = await host.before_connect("p", "r", Request("GET", "ws://t/parties/p/r", ALICE))
        assert isinstance(answer, Response) and answer.status == 403
        assert json.loads(answer.body)["code"] == "closed"
        assert host.loaded("p", "r") is None and not host.rooms
        assert Refusing.started == 0 and await storage.get("r", "touched") is None
    finally:
        await host.close()


class Echo(Party):
    async def on_message(self, message: str | bytes, sender: Connection) -> None:
        sender.send(message)


@pytest.mark.parametrize("text", ["a" * 100, "\N{GRINNING FACE}" * 25], ids=["ascii", "emoji"])
async def test_the_byte_rate_counts_utf8_bytes_not_characters(
        make_host: MakeHost, join: Join, text: str) -> None:
    # 100 ASCII characters and 25 four-byte emoji both weigh 100 bytes on the
    # wire, so a 250-byte burst admits two of either and refuses the third.
    assert len(text.encode()) == 100
    host = await make_host(Echo, limits=Limits(bytes_per_second=1, byte_burst=250,
                                               max_frame_size=200))
    client = await join(host.room("p", "r"), "a", transport=FakeTransport())
    for _ in range(3):
        await client.send(text)
    assert [f for f in client.frames if f == text] == [text, text]
    assert [e["code"] for e in client.of_type("error")] == ["rate_limited"]
