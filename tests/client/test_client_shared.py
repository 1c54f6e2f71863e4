"""``SharedState``: the dict view of a document's ``Y.Map``, on plain pycrdt documents."""

from __future__ import annotations

import pycrdt
import pytest

from partywidget.client.shared import SharedState


def linked() -> tuple[SharedState, SharedState]:
    """Two states whose documents exchange every update at once (a room in miniature)."""
    a, b = pycrdt.Doc(), pycrdt.Doc()
    a.observe(lambda event: b.apply_update(event.update))
    return SharedState(a), SharedState(b)


def test_values_set_on_one_side_read_the_same_on_the_other():
    teacher, student = linked()
    teacher["question"] = "2+2?"
    teacher["poll"] = {"options": [3, 4], "open": True, "weight": 0.5}
    assert student["question"] == "2+2?"
    assert student["poll"] == {"options": [3, 4], "open": True, "weight": 0.5}
    assert isinstance(student["poll"]["options"][0], int)
    assert dict(student) == student.to_dict() and len(student) == 2
    del teacher["question"]
    assert "question" not in student and list(student) == ["poll"]


def test_observers_hear_what_changed():
    teacher, student = linked()
    heard = []
    student.observe(heard.append)
    teacher["question"] = "2+2?"
    del teacher["question"]
    assert heard == [{"question": "2+2?"}, {"question": None}]


def test_keys_are_strings():
    state, _ = linked()
    with pytest.raises(TypeError):
        state[1] = "x"  # type: ignore[index]
