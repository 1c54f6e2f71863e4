"""Parties the integration tests register by configuration and ``--party``.

The servers under test import this module from ``PYTHONPATH``, exactly as a
user's own ``pkg.mod:Class`` would be imported; it is never collected by pytest.
"""

from __future__ import annotations

import json
from partywidget import Party
from partywidget.rooms import Connection, ConnectionContext, Request, Response


class Poll(Party):
    """A tiny poll: ``{"vote": option}`` counts, everyone sees the totals.

    Totals live in memory and are stored before they are broadcast: a get-then-put
    per vote would race with other connections' votes between the awaits.
    """

    async def on_start(self) -> None:
        self.votes: dict[str, int] = await self.room.storage.list(prefix="votes:")

    async def on_message(self, message: str | bytes, sender: Connection) -> None:
        key = f"votes:{json.loads(message)['vote']}"
        self.votes[key] = self.votes.get(key, 0) + 1
        await self.room.storage.put(key, self.votes[key])
        self.room.broadcast({"type": "votes", "votes": self.votes})

    async def on_request(self, request: Request) -> Response:
        return Response.json({"type": "votes", "votes": await self.room.storage.list(
            prefix="votes:"), "user": request.user.get("username")})


class Faulty(Party):
    """Echoes text to the room, but the frame ``"boom"`` makes ``on_message`` raise."""

    async def on_message(self, message: str | bytes, sender: Connection) -> None:
        if message == "boom":
            raise RuntimeError("this party fails on purpose")
        self.room.broadcast({"type": "echo", "text": message, "from": sender.id})


class Blast(Party):
    """``{"count": n, "size": s}`` broadcasts n distinct frames of s bytes to the others.

    A joiner gets ``{"type": "welcome"}`` and the others ``{"type": "joined",
    "id"}``: the handshake completes before a connection is in the room, so
    a test waits for these before it blasts.

    Every frame is a new string, so a host that buffered without bound would
    hold all of them (one shared bytes object would hide that). It stops early
    once no one else is left open: the host's close timer (5 s in Tornado) for
    the cut-off client must not run out while it keeps the event loop busy.
    """

    async def on_connect(self, connection: Connection, ctx: ConnectionContext) -> None:
        connection.send({"type": "welcome", "id": connection.id})
        self.room.broadcast({"type": "joined", "id": connection.id}, exclude=[connection.id])

    async def on_message(self, message: str | bytes, sender: Connection) -> None:
        order = json.loads(message)
        filler = "x" * int(order["size"])
        for i in range(int(order["count"])):
            if not any(c.open for c in self.room.get_connections() if c is not sender):
                break
            self.room.broadcast(f"{i}:{filler}", exclude=[sender.id])
        still_open = [c.id for c in self.room.get_connections() if c.open]
        sender.send({"type": "blasted", "open": still_open})
