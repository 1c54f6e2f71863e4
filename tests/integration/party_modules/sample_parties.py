"""Parties the integration tests register by configuration and ``--party``.

The servers under test import this module from ``PYTHONPATH``, exactly as a
user's own ``pkg.mod:Class`` would be imported; it is never collected by pytest.
"""

from __future__ import annotations

import json
import os
import time
import uuid

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


class Guarded(Party):
    """Admits sockets and requests only with ``?password=sesame`` (checked before any room
    exists), and tells each joiner what ``on_before_connect`` attached."""

    @classmethod
    async def on_before_connect(cls, request: Request, lobby) -> Request | Response:
        if request.query.get("password") != "sesame":
            return Response.json({"type": "error", "code": "wrong_password",
                                  "message": f"room {lobby.room} needs the password"}, 403)
        return request.with_data(admitted_as=request.user.get("username"), room=lobby.room)

    @classmethod
    async def on_before_request(cls, request: Request, lobby) -> Request | Response:
        if request.query.get("password") != "sesame":
            return Response.text("no password, no room", 401)
        return request.with_data(checked=True)

    async def on_start(self) -> None:
        await self.room.storage.put("started", True)

    async def on_connect(self, connection: Connection, ctx: ConnectionContext) -> None:
        connection.send({"type": "admitted", "data": dict(ctx.data)})

    async def on_request(self, request: Request) -> Response:
        return Response.json({"type": "checked", "data": dict(request.data)})


class Goodbyes(Party):
    """Remembers the close code and reason each connection left with (GET reads them)."""

    async def on_start(self) -> None:
        self.closes: list[list] = []

    async def on_message(self, message: str | bytes, sender: Connection) -> None:
        sender.close(4400, f"asked by {message}")

    async def on_close(self, connection: Connection, code: int | None, reason: str) -> None:
        self.closes.append([connection.id, code, reason])

    async def on_request(self, request: Request) -> Response:
        return Response.json({"type": "closes", "closes": self.closes})


class Cursors(Party):
    """Relays pointer positions to the others, with its own, higher, message rate."""

    messages_per_second = 1000.0
    message_burst = 2000

    async def on_message(self, message: str | bytes, sender: Connection) -> None:
        self.room.broadcast(message, exclude=[sender.id])


class Plain(Cursors):
    """The same relay under the host's default limits."""

    messages_per_second = None
    message_burst = None


class Counted(Party):
    """A room that reports its connection count to room ``main`` of the ``lobby`` party."""

    async def report(self) -> None:
        await self.room.context.parties["lobby"].get("main").fetch(
            method="POST", body=json.dumps({"room": self.room.id,
                                            "count": len(self.room.connections)}))

    async def on_connect(self, connection: Connection, ctx: ConnectionContext) -> None:
        await self.report()

    async def on_close(self, connection: Connection, code: int | None, reason: str) -> None:
        await self.report()


class Lobby(Party):
    """Counts the connections of every ``counted`` room; its sockets see the totals live."""

    async def on_start(self) -> None:
        self.counts: dict[str, int] = await self.room.storage.get("counts") or {}

    async def on_connect(self, connection: Connection, ctx: ConnectionContext) -> None:
        connection.send({"type": "counts", "counts": self.counts})

    async def on_request(self, request: Request) -> Response:
        if request.method == "POST":
            if not request.user.get("room"):  # only rooms of this host may report
                return Response.text("rooms only", 403)
            report = request.json()
            self.counts[report["room"]] = report["count"]
            await self.room.storage.put("counts", self.counts)
            self.room.broadcast({"type": "counts", "counts": self.counts})
        return Response.json({"type": "counts", "counts": self.counts})


class Claimed(Party):
    """Refuses the first ``_pk`` presented in each room with 409, as a host whose ids are
    not namespaced by user would once another user holds that ``_pk``; others get in."""

    first_pk: dict[str, str] = {}

    @classmethod
    async def on_before_connect(cls, request: Request, lobby) -> Request | Response:
        pk = request.query.get("_pk", "")
        if cls.first_pk.setdefault(lobby.room, pk) == pk:
            return Response.error("id_taken", "this connection id is in use", 409)
        return request

    async def on_connect(self, connection: Connection, ctx: ConnectionContext) -> None:
        connection.send({"type": "welcome", "id": connection.id, "user": connection.user})


class Alarmed(Party):
    """``POST {"in": s}`` sets the room's alarm s seconds ahead; each firing stores a key
    of its own (a get-then-put counter could hide two firings racing on two processes).
    ``GET`` answers this process's pending alarm and the pid of every firing stored."""

    async def on_request(self, request: Request) -> Response:
        if request.method == "POST":
            await self.room.set_alarm(time.time() + float(request.json()["in"]))
        fired = await self.room.storage.list(prefix="fired:")
        return Response.json({"type": "alarm", "pending": await self.room.get_alarm(),
                              "fired": sorted(fired.values())})

    async def on_alarm(self) -> None:
        await self.room.storage.put(f"fired:{uuid.uuid4().hex}", os.getpid())
