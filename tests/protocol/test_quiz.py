"""The quiz's envelopes: round trips, refusals with their codes, the stored marks."""

from __future__ import annotations

import json
from typing import Any

import pytest

from partywidget.errors import ProtocolError
from partywidget.protocol import poll, quiz

QUESTIONS = (quiz.Question("2+2?", "4", ("3", "4")), quiz.Question("Capital?", "Paris"))
COMMANDS = [quiz.SetQuiz(QUESTIONS), quiz.Submit(0, "4"), quiz.Submit(1, "x"),
            poll.Close(), poll.Reveal(False), poll.Reset()]


@pytest.mark.parametrize("command", COMMANDS, ids=repr)
def test_a_quiz_command_survives_the_wire(command: quiz.QuizCommand) -> None:
    assert quiz.parse_command(command.serialize()) == command


@pytest.mark.parametrize(("frame", "code"), [
    ({"type": "create", "questions": []}, "bad_quiz"),
    ({"type": "create", "questions": [{"question": "q", "answer": ""}]}, "bad_quiz"),
    ({"type": "create", "questions": [{"question": "q", "answer": True}]}, "bad_quiz"),
    ({"type": "create", "questions": [{"question": "q", "answer": "a",
                                       "choices": ["a", "a"]}]}, "bad_quiz"),
    ({"type": "submit", "question": "0", "value": "4"}, "bad_message"),
    ({"type": "submit", "question": 0, "value": ""}, "bad_answer"),
    ({"type": "submit", "question": 0, "value": "x" * 201}, "bad_answer"),
    ({"type": "vote"}, "bad_message"),
])
def test_bad_quiz_frames_are_refused_with_their_code(frame: Any, code: str) -> None:
    with pytest.raises(ProtocolError) as refused:
        quiz.parse_command(json.dumps(frame))
    assert refused.value.code == code


def test_stored_marks_read_back_the_same() -> None:
    marks = quiz.Marks(QUESTIONS, closed=True)
    marks.answers["alice"] = ("Alice", {1: "paris"})
    again = quiz.Marks.from_json(json.loads(json.dumps(marks.to_json())))
    assert again == marks and again.scores()[0]["score"] == 1
