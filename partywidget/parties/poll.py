"""The ``poll`` party: one live poll per room, one ballot per user, teachers in charge.

Built on the public Party API alone. State is one storage value (``"poll"``,
:class:`~partywidget.protocol.poll.Ballots`), written before anyone is told,
so a poll survives restarts; the default input gate serialises the
read-modify-write of concurrent votes. After every change each connection
gets its own ``poll`` frame, since what it may see depends on who it is
(docs/security.md, "Classroom activities"). Frames are documented in
docs/protocol.md; their envelopes are in :mod:`partywidget.protocol.poll`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..errors import ProtocolError
from ..protocol import poll
from ..protocol.frames import UserJoined, UserLeft, Welcome
from ..protocol.jsonrules import encode_json
from ..rooms import Connection, ConnectionContext, Party, Request, Response

__all__ = ["PollParty"]

#: Storage key of the room's poll.
KEY = "poll"


def require_moderator(user: Mapping[str, Any], action: str) -> None:
    """Teacher actions are the server's to refuse, whatever a client sends (issue 15)."""
    if not user.get("moderator"):
        raise ProtocolError("forbidden", f"only teachers (moderators) can {action}")


class PollParty(Party):
    """A poll: create (moderators), vote (everyone, once each), close, reveal, reset."""

    #: The join completes with the ``poll`` frame (adapters announce it to clients).
    join_type = poll.JOIN_TYPE

    async def on_start(self) -> None:
        stored = await self.room.storage.get(KEY)
        self.ballots: poll.Ballots | None = poll.Ballots.from_json(stored) if stored else None

    def view(self, user: Mapping[str, Any]) -> poll.PollView:
        return self.ballots.view(user) if self.ballots is not None else poll.no_poll()

    async def on_connect(self, connection: Connection, ctx: ConnectionContext) -> None:
        connection.send(Welcome(self.room.id, self.room.name, connection.id, connection.user,
                                None, [c.info() for c in self.room.get_connections()]
                                ).serialize())
        connection.send(self.view(connection.user).serialize())
        self.room.broadcast(UserJoined(connection.id, connection.user).serialize(),
                            exclude=[connection.id])

    async def on_close(self, connection: Connection, code: int | None, reason: str) -> None:
        self.room.broadcast(UserLeft(connection.id, connection.user).serialize())

    async def on_message(self, message: str | bytes, sender: Connection) -> None:
        command = poll.parse_command(message, max_depth=self.room.limits.max_json_depth)
        user = sender.user
        if isinstance(command, poll.Create):
            require_moderator(user, "ask a poll")
            self.ballots = poll.Ballots.new(command)
        elif self.ballots is None:
            raise ProtocolError("no_poll", "no poll has been asked in this room yet")
        elif isinstance(command, poll.Vote):
            self.vote(user, command)
        elif isinstance(command, poll.Close):
            require_moderator(user, "close a poll")
            self.ballots.closed = command.closed
        elif isinstance(command, poll.Reveal):
            require_moderator(user, "reveal a poll's results")
            self.ballots.revealed = command.revealed
        elif isinstance(command, poll.Reset):
            require_moderator(user, "reset a poll")
            self.ballots = poll.Ballots.new(self.ballots.question)
        await self.save()
        self.announce()

    def vote(self, user: Mapping[str, Any], vote: poll.Vote) -> None:
        """Cast ``user``'s ballot unless the poll could then no longer be stored.

        Ballots are the only part that grows (a poll's text is bounded), so
        they are what the storage value limit refuses: a flood of identities
        fills one poll, never the storage (docs/security.md).
        """
        assert self.ballots is not None
        previous = self.ballots.cast(user, vote)
        size = len(encode_json(self.ballots.to_json()).encode("utf-8"))
        if size > self.room.limits.max_value_bytes:
            self.ballots.restore(user, previous)
            raise ProtocolError("too_large", "this poll holds as many ballots as it can")

    async def save(self) -> None:
        """Persist the poll before anyone hears of the change (it survives restarts)."""
        assert self.ballots is not None
        await self.room.storage.put(KEY, self.ballots.to_json())

    def announce(self) -> None:
        """Send every connection the poll as it may see it (views differ by role and user)."""
        for conn in self.room.get_connections():
            conn.send(self.view(conn.user).serialize())

    async def on_request(self, request: Request) -> Response:
        """``GET``: the poll as the requester may see it (the same rules as the socket)."""
        if request.method != "GET":
            return Response.error("method_not_allowed", "expected GET", 405)
        return Response.frame(self.view(request.user).serialize())
