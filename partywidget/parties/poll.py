"""The ``poll`` party: one live poll per room, one ballot per user, teachers in charge.

Built on the public Party API alone (:class:`ActivityParty`): the poll is
one storage value (:class:`~partywidget.protocol.poll.Ballots`) and each
connection gets the ``poll`` frame its role allows. Frames are documented in
docs/protocol.md; their envelopes are in :mod:`partywidget.protocol.poll`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..errors import ProtocolError
from ..protocol import poll
from ..protocol.activity import ActivityView
from ..rooms import Connection
from .activity import ActivityParty, close_or_reveal, require_moderator

__all__ = ["PollParty"]


class PollParty(ActivityParty):
    """A poll: create (moderators), vote (everyone, once each), close, reveal, reset."""

    join_type = poll.JOIN_TYPE

    def load(self, stored: Any) -> None:
        self.ballots: poll.Ballots | None = poll.Ballots.from_json(stored) if stored else None

    def dump(self) -> Any:
        return self.ballots.to_json() if self.ballots is not None else None

    def view(self, user: Mapping[str, Any]) -> ActivityView:
        return self.ballots.view(user) if self.ballots is not None else poll.no_poll()

    async def on_message(self, message: str | bytes, sender: Connection) -> None:
        command = poll.parse_command(message, max_depth=self.room.limits.max_json_depth)
        user = sender.user
        if isinstance(command, poll.Create):
            require_moderator(user, "ask a poll")
            self.ballots = poll.Ballots.new(command)
        elif self.ballots is None:
            raise ProtocolError("no_poll", "no poll has been asked in this room yet")
        elif isinstance(command, poll.Vote):
            self.ballots.cast(user, command)
        elif close_or_reveal(command, user, self.ballots, "a poll"):
            pass
        elif isinstance(command, poll.Reset):
            require_moderator(user, "reset a poll")
            self.ballots = poll.Ballots.new(self.ballots.question)
        await self.changed()
