"""``Party``: the class users subclass, as PartyKit's ``party/index.ts``.

Every hook has a harmless default; override the ones you need, never patch the
framework. ``self.room`` is the :class:`~partywidget.rooms.room.Room` the party
instance serves (one instance per room)::

    class Echo(Party):
        async def on_message(self, message, sender):
            self.room.broadcast(message, exclude=[sender.id])

A hook that raises is logged; the connection it concerned is closed with 1011
and the room and everyone else carry on. Raise
:class:`~partywidget.errors.ProtocolError` from ``on_message`` to answer the
sender with a ``{"type": "error"}`` frame instead.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from .connection import Connection, ConnectionContext
from .http import Request, Response

if TYPE_CHECKING:
    from .room import Room

__all__ = ["Party"]


class Party:
    """Server-side logic of one room. Subclass it and override hooks."""

    #: Accept binary frames? Parties that only speak JSON leave this False and
    #: binary frames close the connection with 1008.
    accepts_binary: bool = False

    #: Frames of one connection that may be inside ``on_message`` at once. At 1
    #: (the default) each call finishes before the next frame is read, so a
    #: hook sees what its previous call changed. Above 1, frames still *start*
    #: in arrival order but hooks that await overlap, so a burst from one
    #: client shares one storage group commit. Safe when the hook's only awaits
    #: are storage writes, which run in submission order (the chat's case).
    max_concurrent_messages: int = 1

    def __init__(self, room: Room) -> None:
        self.room = room

    async def on_start(self) -> None:
        """Once per room load, before the first connection or request is served."""

    def get_connection_tags(self, connection: Connection, ctx: ConnectionContext) -> Sequence[str]:
        """Tags for ``room.get_connections(tag)``; at most 10 of 256 characters."""
        return ()

    async def on_connect(self, connection: Connection, ctx: ConnectionContext) -> None:
        """A client joined. ``connection.user`` is verified; ``ctx.query`` is not."""

    async def on_message(self, message: str | bytes, sender: Connection) -> None:
        """A frame arrived: ``str`` for text, ``bytes`` for binary."""

    async def on_close(self, connection: Connection) -> None:
        """A client left (closed, dropped, replaced or removed)."""

    async def on_error(self, connection: Connection, error: BaseException) -> None:
        """A hook raised while serving ``connection``; it is closed with 1011 next."""

    async def on_request(self, request: Request) -> Response:
        """HTTP to ``/parties/{party}/{room}[/...]``. Default: 404."""
        return Response.json({"type": "error", "code": "not_found",
                              "message": "this party does not answer HTTP requests"}, 404)

    async def on_alarm(self) -> None:
        """The alarm set with ``room.set_alarm`` fired."""
