"""Typed board items: validation, normalisation, and moving stored entries."""

from __future__ import annotations

import pytest

from partywidget.errors import ProtocolError
from partywidget.protocol.board_items import Item, moved


def test_a_box_drawn_backwards_is_normalised_and_a_line_keeps_its_direction() -> None:
    box = Item.parse({"kind": "ellipse", "x": 300, "y": 200, "w": -100, "h": -50})
    assert (box.x, box.y, box.w, box.h) == (200, 150, 100, 50)
    line = Item.parse({"kind": "arrow", "x": 300, "y": 200, "w": -100, "h": -50})
    assert (line.x, line.y, line.w, line.h) == (300, 200, -100, -50)


def test_each_kind_serialises_only_its_own_fields() -> None:
    text = Item.parse({"kind": "text", "x": 1, "y": 2, "text": "E = mc^2", "w": 5})
    assert text.to_json() == {"kind": "text", "x": 1, "y": 2, "color": "#222222",
                              "text": "E = mc^2", "size": 24}
    note = Item.parse({"kind": "note", "x": 1, "y": 2, "w": 100, "h": 80, "text": ""})
    assert note.to_json()["color"] == "#fff59d" and "width" not in note.to_json()


@pytest.mark.parametrize("data", [
    {"kind": "text", "x": 1, "y": 2, "text": "   "},
    {"kind": "text", "x": 1, "y": 2, "text": "<svg>\x1b"},
    {"kind": "rect", "x": 1, "y": 2, "w": 1, "h": True},
    {"kind": "rect", "x": 1, "y": 2, "w": 1, "h": 1, "sid": "<script>"},
])
def test_bad_items_are_refused_with_bad_item(data) -> None:
    with pytest.raises(ProtocolError) as error:
        Item.parse(data)
    assert error.value.code == "bad_item"


def test_moving_keeps_strokes_and_boxes_on_the_board() -> None:
    stroke = {"points": [[10, 10], [990, 20]], "user": {}}
    assert moved(stroke, 50, -15)["points"] == [[60, 0], [1000, 5]]
    box = {"kind": "rect", "x": 100, "y": 100, "w": 200, "h": 100}
    assert (moved(box, 900, -500)["x"], moved(box, 900, -500)["y"]) == (800, 0)
    line = {"kind": "line", "x": 100, "y": 100, "w": -50, "h": 0}
    assert moved(line, -90, 0)["x"] == 50
