"""Quiz: the kernel API (set, answer, close, reveal, reset, results, scores) over a fake client."""

from __future__ import annotations

from typing import Any

import pytest

from partywidget import ProtocolError, Quiz

QUESTIONS = [{"question": "2+2?", "choices": ["3", "4"], "answer": "4"},
             {"question": "Capital of France?", "answer": "Paris"}]
TEACHER_VIEW = {
    "questions": [{"question": "2+2?", "choices": ["3", "4"], "answer": "4"},
                  {"question": "Capital of France?", "choices": None, "answer": "Paris"}],
    "closed": False, "revealed": False, "submitted": 2, "mine": [None, None],
    "correct": [None, None],
    "scores": [{"username": "alice", "name": "Alice", "answers": ["4", "Paris"],
                "correct": [True, True], "score": 2},
               {"username": "bob", "name": "Bob", "answers": ["3", None],
                "correct": [False, None], "score": 0}]}


def test_setting_and_the_teachers_verbs_send_their_frames(fake_client: Any) -> None:
    quiz = Quiz("class-101", QUESTIONS)
    quiz.close()
    quiz.reveal()
    quiz.reset()
    assert fake_client.raw == [{"type": "create", "questions": QUESTIONS},
                               {"type": "close", "closed": True},
                               {"type": "reveal", "revealed": True}, {"type": "reset"}]
    with pytest.raises(ProtocolError, match="answer among them"):
        Quiz("class-101", [{"question": "q", "choices": ["a", "b"], "answer": "c"}])


def test_answers_go_by_index_or_question_text(fake_client: Any) -> None:
    quiz = Quiz("class-101")
    fake_client.feed({"type": "quiz", "quiz": {**TEACHER_VIEW, "scores": None}})
    quiz.answer(0, "4")
    quiz.answer("Capital of France?", 3.5)
    assert fake_client.raw == [{"type": "submit", "question": 0, "value": "4"},
                               {"type": "submit", "question": 1, "value": "3.5"}]
    with pytest.raises(ValueError, match="no question"):
        quiz.answer("Capital of Spain?", "Madrid")


def test_scores_are_a_table_for_teachers_only(fake_client: Any) -> None:
    quiz = Quiz("class-101")
    fake_client.feed({"type": "quiz", "quiz": TEACHER_VIEW})
    table = quiz.scores()
    # A DataFrame (pandas installed) shows a missing answer as NaN, as pandas does.
    records = (table.astype(object).where(table.notna(), None).to_dict("records")
               if hasattr(table, "to_dict") else table)
    assert records == [{"username": "alice", "name": "Alice", "score": 2, "q1": "4", "q2": "Paris"},
                       {"username": "bob", "name": "Bob", "score": 0, "q1": "3", "q2": None}]
    student = {key: value for key, value in TEACHER_VIEW.items() if key != "scores"}
    fake_client.feed({"type": "quiz", "quiz": student})
    with pytest.raises(ProtocolError, match="only teachers"):
        quiz.scores()
