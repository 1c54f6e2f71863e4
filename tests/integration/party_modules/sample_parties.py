"""Parties the integration tests register by configuration and ``--party``.

The servers under test import this module from ``PYTHONPATH``, exactly as a
user's own ``pkg.mod:Class`` would be imported; it is never collected by pytest.
"""

from __future__ import annotations

import json
from typing import Any

from partywidget import Party
from partywidget.rooms import Connection, Request, Response


class Poll(Party):
    """A tiny poll: ``{"vote": option}`` counts, everyone sees the totals."""

    async def totals(self) -> dict[str, Any]:
        return dict(await self.room.storage.list(prefix="votes:"))

    async def on_message(self, message: str | bytes, sender: Connection) -> None:
        option = json.loads(message)["vote"]
        key = f"votes:{option}"
        await self.room.storage.put(key, (await self.room.storage.get(key) or 0) + 1)
        self.room.broadcast({"type": "votes", "votes": await self.totals()})

    async def on_request(self, request: Request) -> Response:
        return Response.json({"type": "votes", "votes": await self.totals(),
                              "user": request.user.get("username")})


class Faulty(Party):
    """Echoes text to the room, but the frame ``"boom"`` makes ``on_message`` raise."""

    async def on_message(self, message: str | bytes, sender: Connection) -> None:
        if message == "boom":
            raise RuntimeError("this party fails on purpose")
        self.room.broadcast({"type": "echo", "text": message, "from": sender.id})


class Blast(Party):
    """``{"count": n, "size": s}`` broadcasts n distinct frames of s bytes to the others.

    Every frame is a new string, so a host that buffered without bound would
    hold all of them (one shared bytes object would hide that).
    """

    async def on_message(self, message: str | bytes, sender: Connection) -> None:
        order = json.loads(message)
        filler = "x" * int(order["size"])
        for i in range(int(order["count"])):
            self.room.broadcast(f"{i}:{filler}", exclude=[sender.id])
        still_open = [c.id for c in self.room.get_connections() if c.open]
        sender.send({"type": "blasted", "open": still_open})
