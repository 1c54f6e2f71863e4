"""``Party``: the class users subclass, as PartyKit's ``party/index.ts`` / partyserver's ``Server``.

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

Options are class attributes (docs/custom-parties.md, "Options"): the room's
limits (``None`` keeps the host's value), binary frames, pipelining and the
input gate.
"""

from __future__ import annotations

import inspect
from collections.abc import Collection, Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar

from ..protocol.frames import error_frame
from .connection import Connection, ConnectionContext
from .http import Request, Response
from ..protocol.outgoing import Outgoing

if TYPE_CHECKING:
    from .context import Lobby
    from .room import Room

__all__ = ["Party"]


class Party:
    """Server-side logic of one room. Subclass it and override hooks."""

    #: Accept binary frames? Parties that only speak JSON leave this False and
    #: binary frames close the connection with 1008.
    accepts_binary: ClassVar[bool] = False

    #: Deliver this room's events one at a time while a hook awaits its
    #: storage (Durable Objects' input gate, see :mod:`.gate`), so a ``get``
    #: then ``put`` never loses a concurrent update. On by default: custom
    #: parties are read-modify-write code. Parties that only append to the log
    #: and pipeline (the chat) turn it off.
    input_gate: ClassVar[bool] = True

    #: Frames of one connection that may be inside ``on_message`` at once. At 1
    #: (the default) each call finishes before the next frame is read, so a
    #: hook sees what its previous call changed. Above 1, frames still *start*
    #: in arrival order but hooks that await overlap, so a burst from one
    #: client shares one storage group commit. Safe when the hook's only awaits
    #: are storage writes, which run in submission order (the chat's case).
    max_concurrent_messages: ClassVar[int] = 1

    #: This party's limits; ``None`` keeps the host's (``c.PartyWidget`` options).
    #: A cursor or game party raises the message rate, say.
    max_frame_size: ClassVar[int | None] = None
    messages_per_second: ClassVar[float | None] = None
    message_burst: ClassVar[int | None] = None
    bytes_per_second: ClassVar[int | None] = None
    byte_burst: ClassVar[int | None] = None
    max_buffered_bytes: ClassVar[int | None] = None
    #: Log offsets each room keeps (``self.room.storage.log``).
    history: ClassVar[int | None] = None
    #: Seconds an empty room stays loaded.
    idle_unload_seconds: ClassVar[float | None] = None

    def __init__(self, room: Room) -> None:
        self.room = room

    def __init_subclass__(cls, **kwargs: object) -> None:
        super().__init_subclass__(**kwargs)
        # on_close gained partyserver's code and reason: say so where the class
        # is defined, not with a TypeError logged at every close.
        try:
            inspect.signature(cls.on_close).bind(None, None, None, "")
        except TypeError:
            raise TypeError(
                f"{cls.__qualname__}.on_close must take (self, connection, code, reason): "
                "the close code and reason are passed since partywidget 0.2") from None

    # before any room exists -------------------------------------------------------

    @classmethod
    async def on_before_connect(cls, request: Request, lobby: Lobby) -> Request | Response:
        """A WebSocket asks to join ``lobby.room``; the host has authenticated it already.

        Runs before the room is created or woken. Return a :class:`Response`
        to refuse (its status and body reach the client), or the request,
        possibly with data attached (``request.with_data(...)``) that the
        connection then carries in ``ctx.data``.
        """
        return request

    @classmethod
    async def on_before_request(cls, request: Request, lobby: Lobby) -> Request | Response:
        """An HTTP request for ``lobby.room``, authenticated, before the room exists.

        Return a :class:`Response` to answer it here, or the (modified)
        request, which ``on_request`` then gets.
        """
        return request

    # the room's life ----------------------------------------------------------------

    async def on_start(self) -> None:
        """Once per room load, before the first connection or request is served."""

    def get_connection_tags(self, connection: Connection, ctx: ConnectionContext) -> Sequence[str]:
        """Tags for ``room.get_connections(tag)``; at most 10 of 256 characters."""
        return ()

    async def on_connect(self, connection: Connection, ctx: ConnectionContext) -> None:
        """A client joined. ``connection.user`` is verified; ``ctx.query`` is not."""

    async def on_message(self, message: str | bytes, sender: Connection) -> None:
        """A frame arrived: ``str`` for text, ``bytes`` for binary."""

    async def on_close(self, connection: Connection, code: int | None, reason: str) -> None:
        """A client left: closed, dropped, replaced or removed.

        ``code`` and ``reason`` are the WebSocket close code and reason, the
        client's or the server's (``None`` when the connection dropped without
        a close frame).
        """

    async def on_error(self, connection: Connection, error: BaseException) -> None:
        """A hook raised while serving ``connection``; it is closed with 1011 next."""

    def error_message(self, connection: Connection, message: str | bytes, code: str,
                      text: str) -> str | bytes | None:
        """What to send ``connection`` when its ``message`` was refused (None: nothing).

        Called for the rate limit (``code`` ``rate_limited``) and for each
        :class:`~partywidget.errors.ProtocolError` raised by ``on_message``.
        Default: ``{"type": "error", "code", "message": text}``. A party whose
        clients read only binary frames (the ``yjs`` party) answers in their
        format, or not at all.
        """
        return error_frame(code, text)

    async def on_request(self, request: Request) -> Response:
        """HTTP to ``/parties/{party}/{room}[/...]``. Default: 404."""
        return Response.error("not_found", "this party does not answer HTTP requests", 404)

    async def on_alarm(self) -> None:
        """The alarm set with ``room.set_alarm`` fired."""

    # several processes (docs/scaling.md) ----------------------------------------------

    def on_broadcast(self, message: Outgoing, exclude: Collection[str], offset: int) -> None:
        """A broadcast reached this process: hand it to this process's connections.

        Every broadcast passes here, this process's and (with a backplane)
        every other's, once each, log frames in ``offset`` order. Override to
        hold frames back from some connections (the log parties' joiners).
        """
        self.room.deliver_local(message, exclude)

    def on_signal(self, data: Mapping[str, Any]) -> None:
        """A ``room.signal(data)`` from this or another process's instance of this party.

        Party state that every process must share (a moderator's lock) changes
        here; the sender's own instance gets its signal too, at once.
        """

    def on_member_lost(self, member: Mapping[str, Any]) -> None:
        """A connection of another process was lost with that process (no ``on_close`` ran).

        ``member`` is its presence info (``id``, ``user``); one process gets
        each. Default: nothing.
        """
