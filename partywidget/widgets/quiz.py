"""``Quiz``: a teacher's quiz (the ``quiz`` party) in a notebook cell."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ..errors import ProtocolError
from ..protocol import quiz
from .activity import ActivityWidget, GatedActivity
from .room_widget import STATIC

__all__ = ["Quiz", "QuizWidget"]


class QuizWidget(ActivityWidget):
    """The anywidget of a quiz (``js/quiz.ts``)."""

    _esm = STATIC / "quiz.js"
    _css = STATIC / "quiz.css"
    kind = quiz.JOIN_TYPE


class Quiz(GatedActivity):
    """A quiz: the teacher sets it, students answer, the server marks.

    >>> quiz = Quiz("class-101", [                                        # doctest: +SKIP
    ...     {"question": "2+2?", "choices": ["3", "4"], "answer": "4"},
    ...     {"question": "Capital of France?", "answer": "Paris"}])
    >>> Quiz("class-101").answer(1, "Paris")                              # doctest: +SKIP
    >>> quiz.reveal(); quiz.scores()                                      # doctest: +SKIP

    The correct answers stay on the room host until :meth:`reveal`: a
    student's kernel or page never receives them before. Numeric answers match
    as numbers (``"4.0"`` is ``4``), text ignoring case and surrounding spaces.
    Setting, closing, revealing and resetting are for teachers (moderators).
    """

    widget_class = QuizWidget

    def __init__(self, room: str, questions: Sequence[Mapping[str, Any]] | None = None, *,
                 party: str = "quiz", endpoint: str | None = None) -> None:
        # Checked by the quiz's own rules here, so a bad quiz raises at the call.
        setting = quiz.SetQuiz.parse({"questions": [dict(q) for q in questions]}
                                     ) if questions is not None else None
        super().__init__(room, party=party, endpoint=endpoint)
        if setting is not None:
            self.send(setting)

    @property
    def results(self) -> dict[str, Any] | None:
        """The quiz as this user may see it; ``None`` before one is set.

        ``mine`` holds this user's answers; ``correct`` (their marks) and each
        question's ``answer`` appear for students once revealed; ``scores``
        (every student's) for teachers only.
        """
        return self.view

    def answer(self, question: int | str, value: Any) -> None:
        """Answer ``question`` (its index, or its text) with ``value``; a new answer replaces it."""
        self.send(quiz.Submit.parse({"question": self._index(question), "value": value}))

    def _index(self, question: int | str) -> int:
        if isinstance(question, int):
            return question
        texts = [q["question"] for q in (self.view or {}).get("questions", [])]
        if question not in texts:
            raise ValueError(f"no question {question!r} in this quiz")
        return texts.index(question)

    def scores(self) -> Any:
        """Every student's answers, marks and score (teachers only): a pandas DataFrame
        when pandas is installed, else a list of records."""
        view = self.view or {}
        if "scores" not in view:
            raise ProtocolError("forbidden",
                                "only teachers (moderators) receive the students' scores")
        records = [{"username": s["username"], "name": s["name"], "score": s["score"],
                    **{f"q{n + 1}": a for n, a in enumerate(s["answers"])}}
                   for s in view["scores"]]
        try:
            import pandas
        except ImportError:
            return records
        return pandas.DataFrame.from_records(records)
