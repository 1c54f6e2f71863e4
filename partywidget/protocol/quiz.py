"""The ``quiz`` party: its frames, the marking rules, and what each recipient may see.

A moderator (a teacher) sets a quiz with :class:`SetQuiz`: questions with
``choices`` (multiple choice) or without (a short text or numeric answer), and
the correct ``answer`` of each. The answers stay on the server: no frame to a
non-moderator carries them before the teacher reveals (docs/security.md).
Everyone :class:`Submit`\\ s answers (one per question and username, a new one
replaces it) until the teacher :class:`~.poll.Close`\\ s the quiz; after the
reveal each student sees the answers and their own marks, never another's.
Teachers always see every student's answers and score.

Server to client: ``welcome``, then the ``quiz`` frame (:meth:`Marks.view`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from ..errors import ProtocolError
from .activity import ActivityView, display_name, parse_with, text
from .frames import Envelope, User, require_int
from .jsonrules import MAX_JSON_DEPTH
from .poll import Close, Reset, Reveal

__all__ = [
    "COMMANDS", "JOIN_TYPE", "MAX_ANSWER_LENGTH", "MAX_QUESTIONS", "Marks", "Question",
    "QuizCommand", "SetQuiz", "Submit", "correct", "parse_command", "quiz_frame",
]

JOIN_TYPE = "quiz"
MAX_QUESTIONS = 50
MAX_CHOICES = 10
MAX_TEXT_LENGTH = 1000
MAX_ANSWER_LENGTH = 200


def correct(expected: str, given: str) -> bool:
    """Whether ``given`` is ``expected``: equal numbers (``"4.0"`` is ``"4"``), else equal
    text once trimmed and case-folded."""
    try:
        a, b = float(expected), float(given)
    except ValueError:
        return expected.strip().casefold() == given.strip().casefold()
    return math.isfinite(a) and math.isfinite(b) and math.isclose(a, b, rel_tol=1e-9,
                                                                  abs_tol=1e-12)


@dataclass(frozen=True, slots=True)
class Question:
    """One question: its text, its ``choices`` (``None``: a free answer) and its answer."""

    question: str
    answer: str
    choices: tuple[str, ...] | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"question": self.question, "answer": self.answer}
        if self.choices is not None:
            out["choices"] = list(self.choices)
        return out

    @classmethod
    def parse(cls, data: Any) -> Question:
        if not isinstance(data, dict):
            raise ProtocolError("bad_quiz", "expected each question as {\"question\", "
                                            "\"answer\", \"choices\"?}")
        question = text(data.get("question"), "\"question\"", MAX_TEXT_LENGTH, "bad_quiz")
        answer = data.get("answer")
        if isinstance(answer, (int, float)) and not isinstance(answer, bool):
            answer = str(answer)  # numbers, as a kernel writes them, are compared as numbers
        answer = text(answer, "\"answer\"", MAX_ANSWER_LENGTH, "bad_quiz")
        choices = data.get("choices")
        if choices is None:
            return cls(question, answer)
        if not isinstance(choices, list) or not 2 <= len(choices) <= MAX_CHOICES:
            raise ProtocolError("bad_quiz", f"expected \"choices\": 2 to {MAX_CHOICES} strings")
        clean = tuple(text(c, "each choice", MAX_ANSWER_LENGTH, "bad_quiz") for c in choices)
        if len(set(clean)) != len(clean) or answer not in clean:
            raise ProtocolError("bad_quiz", "expected distinct choices, the answer among them")
        return cls(question, answer, clean)


@dataclass(frozen=True, slots=True)
class SetQuiz(Envelope):
    """``{"type": "create", "questions": [...]}``: set the room's quiz (moderators).

    Replaces the quiz and every submitted answer.
    """

    questions: tuple[Question, ...]
    type: ClassVar[str] = "create"

    def to_json(self) -> dict[str, Any]:
        return {"type": "create", "questions": [q.to_json() for q in self.questions]}

    @classmethod
    def parse(cls, data: Mapping[str, Any]) -> SetQuiz:
        questions = data.get("questions")
        if not isinstance(questions, list) or not 1 <= len(questions) <= MAX_QUESTIONS:
            raise ProtocolError("bad_quiz", f"expected \"questions\": 1 to {MAX_QUESTIONS}")
        return cls(tuple(Question.parse(q) for q in questions))


@dataclass(frozen=True, slots=True)
class Submit(Envelope):
    """``{"type": "submit", "question": <index>, "value": "<answer>"}``: the sender's answer."""

    question: int
    value: str
    type: ClassVar[str] = "submit"

    def to_json(self) -> dict[str, Any]:
        return {"type": "submit", "question": self.question, "value": self.value}

    @classmethod
    def parse(cls, data: Mapping[str, Any]) -> Submit:
        value = data.get("value")
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            value = str(value)
        return cls(require_int(data, "question", "question index"),
                   text(value, "\"value\"", MAX_ANSWER_LENGTH, "bad_answer"))


QuizCommand = SetQuiz | Submit | Close | Reveal | Reset

COMMANDS: Mapping[str, Any] = {cls.type: cls for cls in (SetQuiz, Submit, Close, Reveal, Reset)}


def parse_command(message: str | bytes, *, max_depth: int = MAX_JSON_DEPTH) -> QuizCommand:
    """A quiz client frame, validated; :class:`ProtocolError` names what is wrong."""
    return parse_with(COMMANDS, message, max_depth=max_depth)  # type: ignore[no-any-return]


def quiz_frame(view: dict[str, Any] | None) -> ActivityView:
    """``{"type": "quiz", "quiz": {...} | null}``: the quiz as one recipient may see it."""
    return ActivityView(JOIN_TYPE, view)


@dataclass
class Marks:
    """A room's quiz and everyone's answers, keyed by username; stored as :meth:`to_json`."""

    questions: tuple[Question, ...]
    closed: bool = False
    revealed: bool = False
    #: username -> (display name, {question index: answer})
    answers: dict[str, tuple[str, dict[int, str]]] = field(default_factory=dict)

    def submit(self, user: User, command: Submit) -> None:
        if self.closed:
            raise ProtocolError("closed", "this quiz is closed")
        if not 0 <= command.question < len(self.questions):
            raise ProtocolError("bad_answer", f"expected \"question\": 0 to "
                                              f"{len(self.questions) - 1}")
        choices = self.questions[command.question].choices
        if choices is not None and command.value not in choices:
            raise ProtocolError("bad_answer", "expected one of the question's choices")
        username = str(user.get("username"))
        _, given = self.answers.get(username, ("", {}))
        self.answers[username] = (display_name(user), {**given, command.question: command.value})

    def marks(self, given: Mapping[int, str]) -> list[bool | None]:
        """Per question: right, wrong, or ``None`` (not answered)."""
        return [correct(q.answer, given[n]) if n in given else None
                for n, q in enumerate(self.questions)]

    def scores(self) -> list[dict[str, Any]]:
        """Every student's answers and score, in the order they first answered."""
        return [{"username": username, "name": name,
                 "answers": [given.get(n) for n in range(len(self.questions))],
                 "correct": self.marks(given), "score": sum(m is True for m in self.marks(given))}
                for username, (name, given) in self.answers.items()]

    def view(self, user: User) -> ActivityView:
        """The ``quiz`` frame for ``user``: answers only to teachers until revealed."""
        teacher = bool(user.get("moderator"))
        _, given = self.answers.get(str(user.get("username")), ("", {}))
        show = teacher or self.revealed
        view: dict[str, Any] = {
            "questions": [{"question": q.question, "choices": list(q.choices)
                           if q.choices is not None else None,
                           **({"answer": q.answer} if show else {})} for q in self.questions],
            "closed": self.closed, "revealed": self.revealed, "submitted": len(self.answers),
            "mine": [given.get(n) for n in range(len(self.questions))],
            "correct": self.marks(given) if show else None}
        if teacher:
            view["scores"] = self.scores()
        return quiz_frame(view)

    def to_json(self) -> dict[str, Any]:
        return {"questions": [q.to_json() for q in self.questions], "closed": self.closed,
                "revealed": self.revealed,
                "answers": {u: [n, {str(k): v for k, v in g.items()}]
                            for u, (n, g) in self.answers.items()}}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Marks:
        return cls(tuple(Question.parse(q) for q in data["questions"]), bool(data["closed"]),
                   bool(data["revealed"]),
                   {u: (n, {int(k): v for k, v in g.items()})
                    for u, (n, g) in data["answers"].items()})
