"""The client's fold of the board stream (``BoardStrokes``), frame by frame."""

from __future__ import annotations

from typing import Any

from partywidget.protocol.board import BoardStrokes
from partywidget.protocol.frames import read_frame


def apply(state: BoardStrokes, frame: Any) -> None:
    state.apply(*read_frame(frame))


def stroke(id: int, points: list[list[float]], color: str = "#222222", width: float = 3) -> dict:
    return {"id": id, "from": "c", "user": {"username": "ada"}, "points": points,
            "color": color, "width": width, "timestamp": 1}


def test_state_replaces_unless_recovered_and_dedupes_by_id() -> None:
    state = BoardStrokes()
    apply(state, {"type": "state", "strokes": [stroke(1, [[0, 0]]), stroke(2, [[1, 1]])],
                 "epoch": "e1", "recovered": False})
    apply(state, {"type": "stroke", "stroke": stroke(3, [[2, 2]])})
    apply(state, {"type": "state", "strokes": [stroke(3, [[2, 2]]), stroke(4, [[3, 3]])],
                 "epoch": "e1", "recovered": True})
    assert [s["id"] for s in state.strokes] == [1, 2, 3, 4]
    apply(state, {"type": "state", "strokes": [stroke(9, [[0, 0]])], "epoch": "e2",
                 "recovered": False})
    assert [s["id"] for s in state.strokes] == [9] and state.epoch == "e2"


def test_erased_and_cleared_keep_the_state_live() -> None:
    state = BoardStrokes()
    for i in (1, 2, 3):
        apply(state, {"type": "stroke", "stroke": stroke(i, [[i, i]])})
    apply(state, {"type": "erased", "id": 2})
    assert [s["id"] for s in state.strokes] == [1, 3]
    apply(state, {"type": "cleared", "epoch": "e9"})
    assert state.strokes == [] and state.epoch == "e9"


def test_ephemeral_frames_are_not_strokes() -> None:
    state = BoardStrokes()
    apply(state, {"type": "draw", "from": "c", "sid": "s", "points": [[1, 1]], "color": "#000",
                 "width": 2})
    apply(state, {"type": "cursor", "id": "c", "x": 1, "y": 2})
    assert state.strokes == []


def test_items_join_strokes_in_board_order_and_a_move_replaces_one() -> None:
    state = BoardStrokes()
    rect = {"id": 2, "kind": "rect", "x": 1, "y": 1, "w": 5, "h": 5, "user": {}}
    apply(state, {"type": "state", "strokes": [stroke(1, [[0, 0]]), rect], "epoch": "e1",
                 "recovered": False})
    apply(state, {"type": "erased", "id": 2})
    apply(state, {"type": "item", "item": {**rect, "id": 3, "x": 9}})
    assert [(e["id"], e.get("kind")) for e in state.items] == [(1, None), (3, "rect")]
    assert [s["id"] for s in state.strokes] == [1]
