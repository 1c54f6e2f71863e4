"""``ActivityParty``: what the classroom parties (poll, hands) share.

An activity keeps one state per room under one storage key, written before
anyone is told (so it survives restarts); the default input gate serialises
the read-modify-write of concurrent commands. Every connection gets its own
view after the join and after each change, because what it may see depends on
who it is (docs/security.md, "Classroom activities"); ``GET`` answers the same
view to the requester.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, Protocol

from ..errors import ProtocolError
from ..protocol.activity import ActivityView
from ..protocol.frames import UserJoined, UserLeft, Welcome
from ..protocol.jsonrules import encode_json
from ..protocol.poll import Close, Reveal
from ..rooms import Connection, ConnectionContext, Party, Request, Response

__all__ = ["ActivityParty", "Gated", "close_or_reveal", "require_moderator"]


def require_moderator(user: Mapping[str, Any], action: str) -> None:
    """Teacher actions are the server's to refuse, whatever a client sends (issue 15)."""
    if not user.get("moderator"):
        raise ProtocolError("forbidden", f"only teachers (moderators) can {action}")


class Gated(Protocol):
    """An activity a teacher closes and reveals (the poll's ballots, the quiz's marks)."""

    closed: bool
    revealed: bool


def close_or_reveal(command: object, user: Mapping[str, Any], state: Gated, what: str) -> bool:
    """Apply a teacher's :class:`Close` or :class:`Reveal` to ``state``; False for other commands."""
    if isinstance(command, Close):
        require_moderator(user, f"close {what}")
        state.closed = command.closed
    elif isinstance(command, Reveal):
        require_moderator(user, f"reveal {what}")
        state.revealed = command.revealed
    else:
        return False
    return True


class ActivityParty(Party):
    """Base of the activities: load, per-recipient views, save then announce."""

    #: The view frame's type, which also completes a join (adapters announce it).
    join_type: ClassVar[str]

    async def on_start(self) -> None:
        #: The state as last stored: what a refused change goes back to.
        self.saved = await self.room.storage.get(self.join_type)
        self.load(self.saved)

    def load(self, stored: Any) -> None:
        """Set the state from what :meth:`dump` stored (``None``: nothing yet)."""
        raise NotImplementedError

    def dump(self) -> Any:
        """The state as a storage value."""
        raise NotImplementedError

    def view(self, user: Mapping[str, Any]) -> ActivityView:
        """The state as ``user`` may see it."""
        raise NotImplementedError

    async def on_connect(self, connection: Connection, ctx: ConnectionContext) -> None:
        connection.send(Welcome(self.room.id, self.room.name, connection.id, connection.user,
                                None, [c.info() for c in self.room.get_connections()]
                                ).serialize())
        connection.send(self.view(connection.user).serialize())
        self.room.broadcast(UserJoined(connection.id, connection.user).serialize(),
                            exclude=[connection.id])

    async def on_close(self, connection: Connection, code: int | None, reason: str) -> None:
        self.room.broadcast(UserLeft(connection.id, connection.user).serialize())

    async def changed(self) -> None:
        """Persist the state, then send every connection its view of it.

        A change that would make the state larger than a storage value may be
        (``max_value_bytes``) is undone and refused with ``too_large``: a flood
        of identities or questions fills one activity, never the storage.
        """
        state = self.dump()
        if len(encode_json(state).encode("utf-8")) > self.room.limits.max_value_bytes:
            self.load(self.saved)
            raise ProtocolError("too_large", f"this {self.join_type} is full")
        await self.room.storage.put(self.join_type, state)
        self.saved = state
        for conn in self.room.get_connections():
            conn.send(self.view(conn.user).serialize())

    async def on_request(self, request: Request) -> Response:
        """``GET``: the state as the requester may see it (the same rules as the socket)."""
        if request.method != "GET":
            return Response.error("method_not_allowed", "expected GET", 405)
        return Response.frame(self.view(request.user).serialize())
