"""Room-to-room calls on one host, as PartyKit's ``room.context.parties``.

From any hook, ``self.room.context.parties["lobby"].get("main")`` is a
:class:`RoomStub` of another room (of any registered party) on the same host:
``await stub.fetch(...)`` runs that room's ``on_request`` (loading and starting
the room if needed) and ``stub.broadcast(message)`` sends to its connections.
A lobby that counts who is in every room, or a teacher's room that pushes to
each group's room, is a few lines (docs/custom-parties.md).

``on_before_connect`` and ``on_before_request`` run before any room exists, so
they get a :class:`Lobby`: the party and room asked for, and the same
``parties``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..errors import UnknownParty
from ..protocol.names import check_name
from .http import Request, Response

if TYPE_CHECKING:
    from .host import RoomHost

__all__ = ["Lobby", "Parties", "PartyRooms", "RoomContext", "RoomStub", "room_caller"]


def room_caller(party: str, room: str) -> dict[str, Any]:
    """The ``user`` of a request one room makes to another.

    Parties are code the host runs (docs/security.md), so a room's own
    requests are trusted as a moderator's; ``"room"`` tells them from people.
    """
    name = f"{party}/{room}"
    return {"username": name, "name": name, "display_name": f"room {name}",
            "initials": "R", "color": None, "room": True, "moderator": True}


class RoomStub:
    """Another room of this host: ``fetch`` its ``on_request``, ``broadcast`` to it."""

    __slots__ = ("_host", "party", "id", "_caller")

    def __init__(self, host: RoomHost, party: str, room_id: str, caller: dict[str, Any]) -> None:
        self._host = host
        self.party = party
        self.id = check_name("room", room_id)
        self._caller = caller

    def __repr__(self) -> str:
        return f"<RoomStub {self.party}/{self.id}>"

    async def fetch(self, path: str = "", *, method: str = "GET", body: bytes | str = b"",
                    headers: Mapping[str, str] | None = None,
                    query: Mapping[str, str] | None = None) -> Response:
        """Call the room's ``on_request`` (without ``on_before_request``: this is no client)."""
        if isinstance(body, str):
            body = body.encode("utf-8")
        url = f"partywidget://{self.party}/{self.id}" + (f"/{path}" if path else "")
        request = Request(method.upper(), url, self._caller, path=path, query=dict(query or {}),
                          headers=dict(headers or {}), body=body)
        return await self._host.room(self.party, self.id).request(request)

    def broadcast(self, message: Any, exclude: Iterable[str] = ()) -> None:
        """Send ``message`` to the room's connections (nothing if nobody is there)."""
        room = self._host.loaded(self.party, self.id)
        if room is not None:
            room.broadcast(message, exclude)


class PartyRooms:
    """The rooms of one party: ``get(room_id)`` gives a :class:`RoomStub`."""

    __slots__ = ("_host", "name", "_caller")

    def __init__(self, host: RoomHost, name: str, caller: dict[str, Any]) -> None:
        self._host = host
        self.name = name
        self._caller = caller

    def get(self, room_id: str) -> RoomStub:
        return RoomStub(self._host, self.name, room_id, self._caller)


class Parties(Mapping[str, PartyRooms]):
    """``context.parties``: every party registered on this host, by name."""

    __slots__ = ("_host", "_caller")

    def __init__(self, host: RoomHost, caller: dict[str, Any]) -> None:
        self._host = host
        self._caller = caller

    def __getitem__(self, name: str) -> PartyRooms:
        if name not in self._host.parties:
            raise UnknownParty(f"no party named {name!r}; known: "
                               f"{', '.join(sorted(self._host.parties))}")
        return PartyRooms(self._host, name, self._caller)

    def __iter__(self) -> Iterator[str]:
        return iter(self._host.parties)

    def __len__(self) -> int:
        return len(self._host.parties)


class RoomContext:
    """``room.context``: what a room can reach beyond itself."""

    __slots__ = ("parties",)

    def __init__(self, host: RoomHost, party: str, room: str) -> None:
        self.parties = Parties(host, room_caller(party, room))


@dataclass(frozen=True)
class Lobby:
    """What ``on_before_connect`` / ``on_before_request`` get beside the request."""

    #: The party and room the request is for (validated names; the room may not exist).
    party: str
    room: str
    parties: Parties
