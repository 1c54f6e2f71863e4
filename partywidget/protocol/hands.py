"""The ``hands`` party: raised hands and a question queue, its frames and rules.

A room holds raised hands (one per username, in the order raised) and open
questions (docs/protocol.md, "The hands party"). Everyone raises and lowers
their own hand, asks, and upvotes others' questions (one vote per user);
teachers lower anyone's hand and mark a question answered or dismiss it,
which takes it off the queue. An author may withdraw their own question.

Server to client: ``welcome``, then the ``hands`` frame (:func:`hands_frame`),
again after every change, built for its recipient by :meth:`Queue.view`:
names (of hands and of authors) reach teachers only; a student sees how many
hands are up, their own place, every question's text and votes, and which
are theirs.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from ..errors import ProtocolError
from .activity import ActivityView, display_name, parse_with, text
from .frames import Envelope, User, require_int
from .jsonrules import MAX_JSON_DEPTH

__all__ = [
    "COMMANDS", "JOIN_TYPE", "MAX_OPEN_PER_USER", "MAX_OPEN_QUESTIONS", "MAX_QUESTION_LENGTH",
    "Answer", "Ask", "Dismiss", "HandsCommand", "Lower", "Queue", "Raise", "Upvote",
    "hands_frame", "parse_command",
]

JOIN_TYPE = "hands"
MAX_QUESTION_LENGTH = 500
#: Open questions per user and per room: a flood fills a bounded queue.
MAX_OPEN_PER_USER = 3
MAX_OPEN_QUESTIONS = 200


@dataclass(frozen=True, slots=True)
class Raise(Envelope):
    """``{"type": "raise"}``: raise the sender's hand (kept in place if already up)."""

    type: ClassVar[str] = "raise"

    def to_json(self) -> dict[str, Any]:
        return {"type": "raise"}

    @classmethod
    def parse(cls, data: Mapping[str, Any]) -> Raise:
        return cls()


@dataclass(frozen=True, slots=True)
class Lower(Envelope):
    """``{"type": "lower", "username"?}``: lower one's hand, or (teachers) someone's."""

    username: str | None = None
    type: ClassVar[str] = "lower"

    def to_json(self) -> dict[str, Any]:
        return {"type": "lower"} if self.username is None else {
            "type": "lower", "username": self.username}

    @classmethod
    def parse(cls, data: Mapping[str, Any]) -> Lower:
        username = data.get("username")
        if username is not None and not isinstance(username, str):
            raise ProtocolError("bad_message", "expected \"username\": <a raised hand's user>")
        return cls(username)


@dataclass(frozen=True, slots=True)
class Ask(Envelope):
    """``{"type": "ask", "text"}``: put a question at the end of the queue."""

    text: str
    type: ClassVar[str] = "ask"

    def to_json(self) -> dict[str, Any]:
        return {"type": "ask", "text": self.text}

    @classmethod
    def parse(cls, data: Mapping[str, Any]) -> Ask:
        return cls(text(data.get("text"), "\"text\"", MAX_QUESTION_LENGTH, "bad_question"))


@dataclass(frozen=True, slots=True)
class Upvote(Envelope):
    """``{"type": "upvote", "id", "up": bool}``: add (or take back) the sender's vote."""

    id: int
    up: bool = True
    type: ClassVar[str] = "upvote"

    def to_json(self) -> dict[str, Any]:
        return {"type": "upvote", "id": self.id, "up": self.up}

    @classmethod
    def parse(cls, data: Mapping[str, Any]) -> Upvote:
        return cls(require_int(data, "id", "question id"), data.get("up", True) is not False)


@dataclass(frozen=True, slots=True)
class Answer(Envelope):
    """``{"type": "answer", "id"}``: a teacher marks the question answered (off the queue)."""

    id: int
    type: ClassVar[str] = "answer"

    def to_json(self) -> dict[str, Any]:
        return {"type": "answer", "id": self.id}

    @classmethod
    def parse(cls, data: Mapping[str, Any]) -> Answer:
        return cls(require_int(data, "id", "question id"))


@dataclass(frozen=True, slots=True)
class Dismiss(Envelope):
    """``{"type": "dismiss", "id"}``: a teacher, or its author, takes the question off."""

    id: int
    type: ClassVar[str] = "dismiss"

    def to_json(self) -> dict[str, Any]:
        return {"type": "dismiss", "id": self.id}

    @classmethod
    def parse(cls, data: Mapping[str, Any]) -> Dismiss:
        return cls(require_int(data, "id", "question id"))


HandsCommand = Raise | Lower | Ask | Upvote | Answer | Dismiss

COMMANDS: Mapping[str, Any] = {
    cls.type: cls for cls in (Raise, Lower, Ask, Upvote, Answer, Dismiss)}


def parse_command(message: str | bytes, *, max_depth: int = MAX_JSON_DEPTH) -> HandsCommand:
    """A hands client frame, validated; :class:`ProtocolError` names what is wrong."""
    return parse_with(COMMANDS, message, max_depth=max_depth)  # type: ignore[no-any-return]


def hands_frame(view: dict[str, Any]) -> ActivityView:
    """``{"type": "hands", "hands": {...}}``: the room as one recipient may see it."""
    return ActivityView(JOIN_TYPE, view)


def _is_teacher(user: User) -> bool:
    return bool(user.get("moderator"))


@dataclass
class Question:
    id: int
    username: str
    name: str
    text: str
    at: int
    votes: list[str] = field(default_factory=list)


@dataclass
class Queue:
    """A room's raised hands and open questions; stored as :meth:`to_json`."""

    #: (username, display name, raised at ms), in the order raised.
    hands: list[tuple[str, str, int]] = field(default_factory=list)
    questions: list[Question] = field(default_factory=list)
    #: The last question id given: ids only grow (a dismissed id is never reused).
    last_id: int = 0

    def raise_hand(self, user: User, now: int) -> None:
        username = str(user.get("username"))
        if all(h[0] != username for h in self.hands):
            self.hands.append((username, display_name(user), now))

    def lower(self, user: User, command: Lower) -> None:
        target = command.username or str(user.get("username"))
        if target != user.get("username") and not _is_teacher(user):
            raise ProtocolError("forbidden", "only teachers (moderators) can lower others' hands")
        self.hands = [h for h in self.hands if h[0] != target]

    def ask(self, user: User, command: Ask, now: int) -> int:
        username = str(user.get("username"))
        if sum(q.username == username for q in self.questions) >= MAX_OPEN_PER_USER:
            raise ProtocolError("too_many", f"at most {MAX_OPEN_PER_USER} open questions each")
        if len(self.questions) >= MAX_OPEN_QUESTIONS:
            raise ProtocolError("too_many", "the question queue is full")
        self.last_id += 1
        self.questions.append(Question(self.last_id, username, display_name(user),
                                       command.text, now))
        return self.last_id

    def _question(self, id: int) -> Question:
        for question in self.questions:
            if question.id == id:
                return question
        raise ProtocolError("not_found", "expected \"id\": <an open question's id>")

    def upvote(self, user: User, command: Upvote) -> None:
        question = self._question(command.id)
        username = str(user.get("username"))
        if username in question.votes:
            if not command.up:
                question.votes.remove(username)
        elif command.up:
            question.votes.append(username)

    def close_question(self, user: User, id: int, *, answered: bool) -> None:
        """Answer (teachers) or dismiss (teachers, or the author) question ``id``."""
        question = self._question(id)
        if not _is_teacher(user) and (answered or question.username != user.get("username")):
            raise ProtocolError("forbidden", "only teachers (moderators) can "
                                             + ("answer questions" if answered else
                                                "dismiss others' questions"))
        self.questions.remove(question)

    def view(self, user: User) -> ActivityView:
        """The ``hands`` frame for ``user``: names for teachers only (module docstring)."""
        teacher = _is_teacher(user)
        username = str(user.get("username"))
        place = next((n for n, h in enumerate(self.hands, 1) if h[0] == username), None)
        return hands_frame({
            "raised": len(self.hands), "position": place,
            "hands": [{"username": u, "name": n, "at": at} for u, n, at in self.hands]
            if teacher else None,
            "questions": [{"id": q.id, "text": q.text, "at": q.at, "votes": len(q.votes),
                           "voted": username in q.votes, "mine": q.username == username,
                           **({"author": q.name} if teacher else {})}
                          for q in self.questions]})

    def to_json(self) -> dict[str, Any]:
        return {"hands": [list(h) for h in self.hands], "last_id": self.last_id,
                "questions": [{"id": q.id, "username": q.username, "name": q.name,
                               "text": q.text, "at": q.at, "votes": list(q.votes)}
                              for q in self.questions]}

    @classmethod
    def from_json(cls, data: Mapping[str, Any] | None) -> Queue:
        """What :meth:`to_json` stored (``None``: an empty room)."""
        if not data:
            return cls()
        return cls([(u, n, at) for u, n, at in data["hands"]],
                   [Question(**{**q, "votes": list(q["votes"])}) for q in data["questions"]], int(data["last_id"]))
