"""Board: strokes kept from server frames, drawing from Python, SVG export."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

from partywidget import Board
from partywidget.widgets.board import strokes_to_svg

SVG = "{http://www.w3.org/2000/svg}"


def stroke(id: int, points: list[list[float]], color: str = "#222222", width: float = 3) -> dict:
    return {"id": id, "from": "c", "user": {"username": "ada"}, "points": points,
            "color": color, "width": width, "timestamp": 1}


def test_board_strokes_follow_the_client_from_the_join_frame(fake_client: Any) -> None:
    board = Board("class-101")
    fake_client.feed({"type": "state", "strokes": [stroke(1, [[0, 0], [5, 5]])], "epoch": "e1",
                      "recovered": False})
    fake_client.feed({"type": "stroke", "stroke": stroke(2, [[9, 9]])})
    assert [s["id"] for s in board.strokes] == [1, 2]


def test_draw_and_clear_send_board_messages(fake_client: Any) -> None:
    board = Board("class-101")
    board.draw([(10, 20), (30.5, 40)], color="#e53935", width=5)
    board.clear()
    assert fake_client.raw == [
        {"type": "stroke", "points": [[10, 20], [30.5, 40]], "color": "#e53935", "width": 5},
        {"type": "clear"},
    ]


def test_svg_is_a_standalone_document_with_one_shape_per_stroke(fake_client: Any) -> None:
    board = Board("class-101")
    fake_client.feed({"type": "state", "epoch": "e1", "recovered": False, "strokes": [
        stroke(1, [[0, 0], [100, 50.5], [200, 80]], "#e53935", 4),
        stroke(2, [[300, 300]], "#1e88e5", 10),
    ]})
    root = ET.fromstring(board.to_svg())
    assert root.tag == f"{SVG}svg" and root.get("viewBox") == "0 0 1000 625"
    polyline, = root.iter(f"{SVG}polyline")
    assert polyline.get("points") == "0,0 100,50.5 200,80"
    assert (polyline.get("stroke"), polyline.get("stroke-width")) == ("#e53935", "4")
    circle, = root.iter(f"{SVG}circle")
    assert (circle.get("cx"), circle.get("cy"), circle.get("r")) == ("300", "300", "5")


def test_svg_attributes_are_escaped() -> None:
    svg = strokes_to_svg([stroke(1, [[0, 0], [1, 1]], color='"/><script>x</script>')],
                         background=None)
    root = ET.fromstring(svg)
    assert list(root.iter(f"{SVG}script")) == []
    assert root.find(f"{SVG}polyline").get("stroke") == '"/><script>x</script>'


def test_relay_hello_rebuilds_the_state_frame(fake_client: Any, front_end: Any) -> None:
    board = Board("class-101", endpoint="relay")
    fake_client.feed({"type": "state", "strokes": [stroke(1, [[0, 0]])], "epoch": "e1",
                      "recovered": False})
    seen = front_end(board)
    board._handle_custom_msg({"kind": "hello"}, [])
    welcome, state = seen.frames()
    assert welcome["type"] == "welcome" and welcome["party"] == "board"
    assert state == {"type": "state", "strokes": [stroke(1, [[0, 0]])], "epoch": "e1",
                     "recovered": False}
