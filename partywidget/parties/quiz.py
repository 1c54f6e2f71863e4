"""The ``quiz`` party: a teacher's quiz whose answers the server keeps until revealed.

Built on the public Party API alone (:class:`ActivityParty`): the quiz is
one storage value (:class:`~partywidget.protocol.quiz.Marks`) and each
connection gets the ``quiz`` frame its role allows. Frames are documented in
docs/protocol.md; their envelopes are in :mod:`partywidget.protocol.quiz`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..errors import ProtocolError
from ..protocol import poll, quiz
from ..protocol.activity import ActivityView
from ..rooms import Connection
from .activity import ActivityParty, close_or_reveal, require_moderator

__all__ = ["QuizParty"]


class QuizParty(ActivityParty):
    """A quiz: set (moderators), submit (everyone), close, reveal, reset."""

    join_type = quiz.JOIN_TYPE

    def load(self, stored: Any) -> None:
        self.marks: quiz.Marks | None = quiz.Marks.from_json(stored) if stored else None

    def dump(self) -> Any:
        return self.marks.to_json() if self.marks is not None else None

    def view(self, user: Mapping[str, Any]) -> ActivityView:
        return self.marks.view(user) if self.marks is not None else quiz.quiz_frame(None)

    async def on_message(self, message: str | bytes, sender: Connection) -> None:
        command = quiz.parse_command(message, max_depth=self.room.limits.max_json_depth)
        user = sender.user
        if isinstance(command, quiz.SetQuiz):
            require_moderator(user, "set a quiz")
            self.marks = quiz.Marks(command.questions)
        elif self.marks is None:
            raise ProtocolError("no_quiz", "no quiz has been set in this room yet")
        elif isinstance(command, quiz.Submit):
            self.marks.submit(user, command)
        elif close_or_reveal(command, user, self.marks, "a quiz"):
            pass
        elif isinstance(command, poll.Reset):
            require_moderator(user, "reset a quiz")
            self.marks = quiz.Marks(self.marks.questions)
        await self.changed()
