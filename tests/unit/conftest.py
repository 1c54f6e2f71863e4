"""Fixtures for the transport-free core: a fake transport and a room host, no sockets.

``FakeTransport`` is what an adapter hands the core, reduced to a recorder:
every :class:`~partywidget.rooms.Outgoing` it was given, every close code, and
a ``buffered_amount`` a test sets to play a client that stopped reading.
``join`` does what an adapter does when a socket is accepted.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from typing import Any

import pytest

from partywidget.rooms import (Connection, ConnectionContext, Limits, Outgoing, Party, Request,
                               Room, RoomHost)
from partywidget.storage import MemoryStorage, Storage


#: Identities as the host attaches them; ``moderator`` is what teachers get.
ALICE: dict[str, Any] = {"username": "alice", "name": "Alice"}
BOB: dict[str, Any] = {"username": "bob", "name": "Bob"}
TEACHER: dict[str, Any] = {"username": "teacher", "moderator": True}


async def stored(room: Room) -> list[dict[str, Any]]:
    """What the room's log holds: each entry decoded, with its offset as ``id``."""
    _, entries = await room.storage.log.read()
    return [{"id": offset, **json.loads(entry)} for offset, entry in entries]


class FakeTransport:
    """Records what the room sends and how it closes; never blocks, never raises."""

    def __init__(self, buffered_amount: int = 0) -> None:
        self.sent: list[Outgoing] = []
        self.closes: list[tuple[int, str]] = []
        self.buffered_amount = buffered_amount

    def send(self, message: Outgoing) -> None:
        self.sent.append(message)

    def close(self, code: int, reason: str) -> None:
        self.closes.append((code, reason))

    @property
    def close_code(self) -> int | None:
        """The first close code the room asked for, or None while open."""
        return self.closes[0][0] if self.closes else None

    @property
    def frames(self) -> list[Any]:
        """Every text frame, JSON-decoded (non-JSON text stays a string)."""
        out = []
        for message in self.sent:
            if not message.is_text:
                out.append(message.data)
                continue
            try:
                out.append(json.loads(message.text))
            except ValueError:
                out.append(message.text)
        return out


class Client:
    """One fake socket in one room, driven the way an adapter drives the core."""

    def __init__(self, room: Room, conn: Connection, transport: FakeTransport) -> None:
        self.room = room
        self.conn = conn
        self.transport = transport
        self.joined = False

    @property
    def id(self) -> str:
        return self.conn.id

    @property
    def frames(self) -> list[Any]:
        return self.transport.frames

    @property
    def close_code(self) -> int | None:
        return self.transport.close_code

    def of_type(self, kind: str) -> list[dict[str, Any]]:
        """The JSON frames of one ``type``, in arrival order."""
        return [f for f in self.frames if isinstance(f, dict) and f.get("type") == kind]

    def clear(self) -> None:
        """Forget what was received so far (to look only at what follows)."""
        self.transport.sent.clear()

    async def send(self, message: Any) -> None:
        """A frame from this client: dicts/lists as JSON text, str/bytes as they are."""
        if not isinstance(message, (str, bytes)):
            message = json.dumps(message)
        await self.room.receive(self.conn, message)

    async def leave(self, code: int | None = 1000, reason: str = "") -> None:
        """The socket closed (either side): what the adapter's ``on_close`` leads to."""
        await self.room.disconnect(self.conn, code, reason)


class HeldStorage(MemoryStorage):
    """MemoryStorage whose next call can be held at one chosen point.

    Set ``hold`` to ``"before read"``, ``"after read"``, ``"after append"`` or
    ``"after put"``: the next such call sets ``held`` and waits for
    ``release``. Races that a slow disk or a slow acknowledgement open up
    become one deterministic interleaving.
    """

    def __init__(self) -> None:
        super().__init__()
        self.hold: str | None = None
        self.held = asyncio.Event()
        self.release = asyncio.Event()

    async def _pause(self, point: str) -> None:
        if self.hold == point:
            self.hold = None
            self.held.set()
            await self.release.wait()

    async def read(self, room: str, *, after: int = 0) -> Any:
        await self._pause("before read")
        result = await super().read(room, after=after)
        await self._pause("after read")
        return result

    async def append(self, room: str, entry: str, *, keep: int) -> int:
        offset = await super().append(room, entry, keep=keep)
        await self._pause("after append")
        return offset

    async def put(self, room: str, key: str, value: Any) -> None:
        await super().put(room, key, value)
        await self._pause("after put")


@pytest.fixture
def held_storage() -> HeldStorage:
    return HeldStorage()


Join = Callable[..., Awaitable[Client]]


@pytest.fixture
def join() -> Join:
    """``await join(room, "id", user={...}, query={...})`` connects a fake client."""

    async def join(room: Room, id: str = "a", user: Mapping[str, Any] | None = None, *,
                   query: Mapping[str, str] | None = None,
                   transport: FakeTransport | None = None) -> Client:
        transport = transport or FakeTransport()
        conn = Connection(id, user or {"username": id}, transport, limits=room.limits)
        client = Client(room, conn, transport)
        ctx = ConnectionContext(Request("GET", f"ws://test/parties/{room.name}/{room.id}",
                                        conn.user, query=dict(query or {})))
        client.joined = await room.connect(conn, ctx)
        return client

    return join


MakeHost = Callable[..., Awaitable[RoomHost]]


@pytest.fixture
async def make_host() -> AsyncIterator[MakeHost]:
    """``await make_host(PartyClass | {name: cls}, limits=..., storage=...)``; closed after."""
    hosts: list[RoomHost] = []

    async def make(parties: type[Party] | Mapping[str, type[Party]], *,
                   storage: Storage | None = None, limits: Limits | None = None) -> RoomHost:
        if isinstance(parties, type):
            parties = {"p": parties}
        host = RoomHost(storage or MemoryStorage(), parties, limits=limits)
        await host.start()
        hosts.append(host)
        return host

    yield make
    for host in hosts:
        await host.close()


@pytest.fixture
def transport() -> FakeTransport:
    return FakeTransport()
