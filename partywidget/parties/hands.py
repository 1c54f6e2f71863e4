"""The ``hands`` party: raised hands and a question queue with upvotes, teachers in charge.

Built on the public Party API alone (:class:`ActivityParty`): the queue is
one storage value (:class:`~partywidget.protocol.hands.Queue`) and each
connection gets the ``hands`` frame its role allows. Frames are documented in
docs/protocol.md; their envelopes are in :mod:`partywidget.protocol.hands`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..protocol import hands
from ..protocol.activity import ActivityView
from ..rooms import Connection
from .activity import ActivityParty
from .logged import now_ms

__all__ = ["HandsParty"]


class HandsParty(ActivityParty):
    """Raise/lower hands, ask and upvote questions; teachers answer, dismiss, lower."""

    join_type = hands.JOIN_TYPE

    def load(self, stored: Any) -> None:
        self.queue = hands.Queue.from_json(stored)

    def dump(self) -> Any:
        return self.queue.to_json()

    def view(self, user: Mapping[str, Any]) -> ActivityView:
        return self.queue.view(user)

    async def on_message(self, message: str | bytes, sender: Connection) -> None:
        command = hands.parse_command(message, max_depth=self.room.limits.max_json_depth)
        user = sender.user
        if isinstance(command, hands.Raise):
            self.queue.raise_hand(user, now_ms())
        elif isinstance(command, hands.Lower):
            self.queue.lower(user, command)
        elif isinstance(command, hands.Ask):
            self.queue.ask(user, command, now_ms())
        elif isinstance(command, hands.Upvote):
            self.queue.upvote(user, command)
        elif isinstance(command, hands.Answer):
            self.queue.close_question(user, command.id, answered=True)
        elif isinstance(command, hands.Dismiss):
            self.queue.close_question(user, command.id, answered=False)
        await self.changed()
