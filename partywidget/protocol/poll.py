"""The ``poll`` party: its frames, the ballot rules, and the client's fold.

One poll per room (docs/protocol.md, "The poll party"). A moderator (a
teacher) asks it with :class:`Create`; everyone votes with :class:`Vote`,
one ballot per *username* whatever the tabs or kernels (a later vote
replaces the earlier one); a moderator :class:`Close`\\ s it, :class:`Reveal`\\ s
the results to everyone and :class:`Reset`\\ s the ballots.

Server to client: ``welcome``, then the ``poll`` frame (:func:`poll_frame`),
sent again to every connection after each change. It is built for its
recipient by :meth:`Ballots.view`: counts reach non-moderators only once
revealed, names only moderators and only in polls that are not anonymous, and
``mine`` is the recipient's own ballot. The client's fold is
:class:`~.activity.LatestView`; :func:`choices` reads option labels.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

from ..errors import ProtocolError
from .activity import ActivityView, display_name, parse_with, text
from .frames import Envelope, User
from .jsonrules import MAX_JSON_DEPTH

__all__ = [
    "COMMANDS", "JOIN_TYPE", "MAX_OPTIONS", "MAX_OPTION_LENGTH", "MAX_QUESTION_LENGTH",
    "Ballots", "Close", "Create", "PollCommand", "Reset", "Reveal",
    "Vote", "choices", "no_poll", "parse_command", "poll_frame",
]

#: The frame that completes a join to a poll (after ``welcome``), and its updates.
JOIN_TYPE = "poll"
MAX_OPTIONS = 20
MAX_OPTION_LENGTH = 200
MAX_QUESTION_LENGTH = 1000


# --- client to server ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Create(Envelope):
    """``{"type": "create", "question", "options", "multiple", "anonymous", "hidden"}``.

    Moderators only. Replaces the room's poll (ballots included). ``hidden``
    keeps the counts from non-moderators until a :class:`Reveal`.
    """

    question: str
    options: tuple[str, ...]
    multiple: bool = False
    anonymous: bool = False
    hidden: bool = False
    type: ClassVar[str] = "create"

    def to_json(self) -> dict[str, Any]:
        return {"type": "create", "question": self.question, "options": list(self.options),
                "multiple": self.multiple, "anonymous": self.anonymous, "hidden": self.hidden}

    @classmethod
    def parse(cls, data: Mapping[str, Any]) -> Create:
        options = data.get("options")
        if not isinstance(options, list) or not 2 <= len(options) <= MAX_OPTIONS:
            raise ProtocolError("bad_poll", f"expected \"options\": 2 to {MAX_OPTIONS} strings")
        clean = tuple(text(o, "each option", MAX_OPTION_LENGTH, "bad_poll") for o in options)
        if len(set(clean)) != len(clean):
            raise ProtocolError("bad_poll", "expected distinct options")
        return cls(text(data.get("question"), "\"question\"", MAX_QUESTION_LENGTH, "bad_poll"), clean,
                   data.get("multiple") is True, data.get("anonymous") is True,
                   data.get("hidden") is True)


@dataclass(frozen=True, slots=True)
class Vote(Envelope):
    """``{"type": "vote", "choices": [<option index>, ...]}``: the sender's ballot.

    Replaces the sender's previous ballot; ``[]`` withdraws it. One index
    unless the poll allows ``multiple``.
    """

    choices: tuple[int, ...]
    type: ClassVar[str] = "vote"

    def to_json(self) -> dict[str, Any]:
        return {"type": "vote", "choices": list(self.choices)}

    @classmethod
    def parse(cls, data: Mapping[str, Any]) -> Vote:
        choices = data.get("choices")
        if not isinstance(choices, list) or len(choices) > MAX_OPTIONS or not all(
                isinstance(c, int) and not isinstance(c, bool) for c in choices):
            raise ProtocolError("bad_vote", "expected \"choices\": [<option index>, ...]")
        if len(set(choices)) != len(choices):
            raise ProtocolError("bad_vote", "expected each option at most once")
        return cls(tuple(sorted(choices)))


@dataclass(frozen=True, slots=True)
class Close(Envelope):
    """``{"type": "close", "closed": bool}``: stop (or resume) voting (moderators)."""

    closed: bool = True
    type: ClassVar[str] = "close"

    def to_json(self) -> dict[str, Any]:
        return {"type": "close", "closed": self.closed}

    @classmethod
    def parse(cls, data: Mapping[str, Any]) -> Close:
        return cls(data.get("closed", True) is not False)


@dataclass(frozen=True, slots=True)
class Reveal(Envelope):
    """``{"type": "reveal", "revealed": bool}``: show (or hide) the counts to everyone."""

    revealed: bool = True
    type: ClassVar[str] = "reveal"

    def to_json(self) -> dict[str, Any]:
        return {"type": "reveal", "revealed": self.revealed}

    @classmethod
    def parse(cls, data: Mapping[str, Any]) -> Reveal:
        return cls(data.get("revealed", True) is not False)


@dataclass(frozen=True, slots=True)
class Reset(Envelope):
    """``{"type": "reset"}``: drop every ballot and open the poll again (moderators)."""

    type: ClassVar[str] = "reset"

    def to_json(self) -> dict[str, Any]:
        return {"type": "reset"}

    @classmethod
    def parse(cls, data: Mapping[str, Any]) -> Reset:
        return cls()


PollCommand = Create | Vote | Close | Reveal | Reset

COMMANDS: Mapping[str, Any] = {cls.type: cls for cls in (Create, Vote, Close, Reveal, Reset)}


def parse_command(message: str | bytes, *, max_depth: int = MAX_JSON_DEPTH) -> PollCommand:
    """A poll client frame, validated; :class:`ProtocolError` names what is wrong."""
    return parse_with(COMMANDS, message, max_depth=max_depth)  # type: ignore[no-any-return]


# --- the poll's state, and what each recipient may see ------------------------------


def poll_frame(view: dict[str, Any] | None) -> ActivityView:
    """``{"type": "poll", "poll": {...} | null}``: the poll as one recipient may see it."""
    return ActivityView(JOIN_TYPE, view)


@dataclass
class Ballots:
    """A room's poll and its ballots, keyed by username; stored as :meth:`to_json`."""

    question: Create
    closed: bool = False
    revealed: bool = True
    #: username -> (display name, sorted option indices)
    ballots: dict[str, tuple[str, tuple[int, ...]]] = field(default_factory=dict)

    @classmethod
    def new(cls, question: Create) -> Ballots:
        return cls(question, revealed=not question.hidden)

    def cast(self, user: User, vote: Vote) -> None:
        """Record ``user``'s ballot (replacing theirs), or refuse it by the poll's rules."""
        if self.closed:
            raise ProtocolError("closed", "this poll is closed")
        if any(not 0 <= c < len(self.question.options) for c in vote.choices):
            raise ProtocolError("bad_vote", f"expected option indices 0 to "
                                            f"{len(self.question.options) - 1}")
        if len(vote.choices) > 1 and not self.question.multiple:
            raise ProtocolError("bad_vote", "this poll takes one choice")
        username = str(user.get("username"))
        self.ballots.pop(username, None)
        if vote.choices:
            self.ballots[username] = (display_name(user), vote.choices)

    def view(self, user: User) -> ActivityView:
        """The ``poll`` frame for ``user``: what their role lets them see (module docstring)."""
        moderator = bool(user.get("moderator"))
        options = self.question.options
        counts = [0] * len(options)
        for _, choices in self.ballots.values():
            for c in choices:
                counts[c] += 1
        voters: list[list[str]] | None = None
        if moderator and not self.question.anonymous:
            voters = [[] for _ in options]
            for name, choices in self.ballots.values():
                for c in choices:
                    voters[c].append(name)
        mine = self.ballots.get(str(user.get("username")))
        return poll_frame({
            "question": self.question.question, "options": list(options),
            "multiple": self.question.multiple, "anonymous": self.question.anonymous,
            "closed": self.closed, "revealed": self.revealed, "total": len(self.ballots),
            "counts": counts if moderator or self.revealed else None, "voters": voters,
            "mine": list(mine[1]) if mine else []})

    def to_json(self) -> dict[str, Any]:
        return {"question": self.question.to_json(), "closed": self.closed,
                "revealed": self.revealed,
                "ballots": {u: [n, list(c)] for u, (n, c) in self.ballots.items()}}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Ballots:
        """What :meth:`to_json` stored (read back by the party on start)."""
        return cls(Create.parse(data["question"]), bool(data["closed"]),
                   bool(data["revealed"]),
                   {u: (n, tuple(c)) for u, (n, c) in data["ballots"].items()})


def no_poll() -> ActivityView:
    """The ``poll`` frame of a room where no poll was asked yet."""
    return poll_frame(None)


# --- client side ------------------------------------------------------------------------


def choices(view: Mapping[str, Any] | None, options: Sequence[str | int]) -> tuple[int, ...]:
    """Option labels or indices of the poll ``view`` as the indices a :class:`Vote` carries."""
    if view is None:
        raise ProtocolError("no_poll", "no poll has been asked in this room yet")
    labels = view["options"]
    out = []
    for option in options:
        if isinstance(option, int) and not isinstance(option, bool):
            out.append(option)
        elif option in labels:
            out.append(labels.index(option))
        else:
            raise ProtocolError("bad_vote", f"no option {option!r}; options: {labels}")
    return tuple(out)
