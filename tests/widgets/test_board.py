"""Board: strokes kept from server frames, drawing from Python, SVG export."""

from __future__ import annotations

import base64
import hashlib
import io
import xml.etree.ElementTree as ET
from typing import Any

import pytest
from PIL import Image

from partywidget import Board, ProtocolError
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


def test_svg_is_a_standalone_document_with_one_outline_per_pen_stroke(fake_client: Any) -> None:
    board = Board("class-101")
    fake_client.feed({"type": "state", "epoch": "e1", "recovered": False, "strokes": [
        stroke(1, [[0, 0], [100, 50.5], [200, 80]], "#e53935", 4),
        stroke(2, [[300, 300]], "#1e88e5", 10),
    ]})
    root = ET.fromstring(board.to_svg())
    assert root.tag == f"{SVG}svg" and root.get("viewBox") == "0 0 1000 625"
    line, dot = root.iter(f"{SVG}path")  # pen ink: perfect-freehand outlines, filled
    assert (line.get("fill"), dot.get("fill")) == ("#e53935", "#1e88e5")
    assert line.get("d").startswith("M") and line.get("d").endswith("Z")
    # The dot is a disc of the stroke's width around its point.
    xs = [float(n.split(",")[0]) for n in dot.get("d")[1:-1].replace("Q", "").replace("T", "").split()]
    assert 294 <= min(xs) <= 296 and 304 <= max(xs) <= 306


def test_svg_attributes_are_escaped() -> None:
    svg = strokes_to_svg([stroke(1, [[0, 0], [1, 1]], color='"/><script>x</script>')],
                         background=None)
    root = ET.fromstring(svg)
    assert list(root.iter(f"{SVG}script")) == []
    assert root.find(f"{SVG}path").get("fill") == '"/><script>x</script>'


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


def test_relay_hello_replays_the_teachers_page_and_the_pages_names(fake_client: Any,
                                                                   front_end: Any) -> None:
    board = Board("class-101", endpoint="relay")
    fake_client.feed({"type": "state", "strokes": [], "epoch": "e1", "recovered": False})
    for frame in ({"type": "page", "page": 2}, {"type": "pageName", "page": 3, "name": "Waves"},
                  {"type": "pageName", "page": 0, "name": "Forces"},
                  {"type": "pageName", "page": 1, "name": "gone"},
                  {"type": "pageName", "page": 1, "name": ""}):
        fake_client.feed(frame)
    seen = front_end(board)
    board._handle_custom_msg({"kind": "hello"}, [])
    # As the room host sends a direct joiner: after state, the page, then each name in page order.
    assert seen.frames()[1:] == [
        {"type": "state", "strokes": [], "epoch": "e1", "recovered": False},
        {"type": "page", "page": 2},
        {"type": "pageName", "page": 0, "name": "Forces"},
        {"type": "pageName", "page": 3, "name": "Waves"}]


# items, kernel API, PNG --------------------------------------------------------------


def png_image(png: bytes) -> Image.Image:
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    return Image.open(io.BytesIO(png)).convert("RGB")


def test_every_item_kind_goes_out_checked_with_its_sid(fake_client: Any) -> None:
    board = Board("class-101")
    sids = [board.shape("rect", 10, 10, 100, 50, color="#1e88e5", fill="#ffffff"),
            board.shape("arrow", 300, 300, -100, 0, width=4),
            board.text("F = m a", 20, 400, size=32), board.note("remember", 500, 100)]
    board.move(7, 10, -10)
    board.resize(9, 30, 40)
    board.erase(8)
    board.undo()
    board.redo()
    sent = fake_client.raw
    assert [f.get("kind", f["type"]) for f in sent] == [
        "rect", "arrow", "text", "note", "move", "move", "erase", "undo", "redo"]
    assert [f["sid"] for f in sent[:4]] == sids and sent[0]["fill"] == "#ffffff"
    assert sent[4] == {"type": "move", "id": 7, "dx": 10, "dy": -10}
    assert sent[5] == {"type": "move", "id": 9, "dx": 0, "dy": 0, "w": 30, "h": 40}
    with pytest.raises(ProtocolError):
        board.shape("star", 0, 0, 1, 1)
    with pytest.raises(ProtocolError):
        board.text("", 0, 0)


def test_svg_draws_items_in_board_order_with_text_escaped(fake_client: Any) -> None:
    board = Board("class-101")
    fake_client.feed({"type": "state", "epoch": "e1", "recovered": False, "strokes": [
        stroke(1, [[0, 0], [10, 10]]),
        {"id": 2, "kind": "rect", "x": 10, "y": 20, "w": 30, "h": 40, "color": "#e53935",
         "width": 2, "user": {}},
        {"id": 3, "kind": "text", "x": 5, "y": 5, "text": "<script>1</script>\nline 2",
         "size": 20, "color": "#222222", "user": {}},
    ]})
    fake_client.feed({"type": "item", "item": {"id": 4, "kind": "arrow", "x": 0, "y": 0,
                                               "w": 50, "h": 0, "color": "#000", "width": 3,
                                               "user": {}}})
    root = ET.fromstring(board.to_svg())
    drawn = [child.tag.removeprefix(SVG) for child in root][1:]
    assert drawn == ["path", "rect", "text", "line", "polygon"]
    assert [t.text for t in root.iter(f"{SVG}tspan")] == ["<script>1</script>", "line 2"]
    assert list(root.iter(f"{SVG}script")) == []
    assert [s["id"] for s in board.strokes] == [1] and len(board.items) == 4


def test_to_png_renders_the_1000_by_625_space_with_the_stroke_in_place(
        fake_client: Any, tmp_path: Any) -> None:
    board = Board("class-101")
    fake_client.feed({"type": "state", "epoch": "e1", "recovered": False, "strokes": [
        stroke(1, [[100, 100], [400, 100]], "#e53935", 12),
        {"id": 2, "kind": "rect", "x": 600, "y": 300, "w": 200, "h": 100, "color": "#1e88e5",
         "width": 2, "fill": "#1e88e5", "user": {}},
    ]})
    image = png_image(board.to_png())
    assert image.size == (1000, 625)
    assert image.getpixel((250, 100)) == (0xe5, 0x39, 0x35)    # on the stroke
    assert image.getpixel((700, 350)) == (0x1e, 0x88, 0xe5)    # inside the filled box
    assert image.getpixel((250, 200)) == (0xfd, 0xfd, 0xfb)    # paper
    assert png_image(board.to_png(scale=2)).size == (2000, 1250)
    saved = board.save(tmp_path / "board.png")
    assert saved.read_bytes()[:4] == b"\x89PNG"
    assert ET.parse(board.save(tmp_path / "board.svg")).getroot().tag == f"{SVG}svg"
    with pytest.raises(ValueError):
        board.save(tmp_path / "board.gif")


def test_an_array_goes_on_the_board_as_png_and_the_export_shows_it(fake_client: Any) -> None:
    board = Board("class-101")
    red = [[[200, 30, 30]] * 40] * 20  # 40 x 20 pixels: any nested sequence or array
    board.image(red, 100, 100, width=200)
    (sent,) = fake_client.raw
    raw = base64.b64decode(sent["data"])
    assert png_image(raw).size == (40, 20) and png_image(raw).getpixel((5, 5)) == (200, 30, 30)
    assert (sent["kind"], sent["w"], sent["h"]) == ("image", 200, 100) and "src" not in sent
    src = hashlib.sha256(raw).hexdigest()
    fake_client.feed({"type": "state", "epoch": "e1", "recovered": False, "strokes": [
        {"id": 1, "kind": "image", "x": 100, "y": 100, "w": 200, "h": 100, "src": src,
         "color": "#222222", "user": {}}]})
    assert fake_client.raw[-1] == {"type": "getImage", "src": src}  # fetched once referenced
    placeholder = png_image(board.to_png())
    assert placeholder.getpixel((200, 150)) == (0xee, 0xee, 0xee)
    fake_client.feed({"type": "image", "src": src, "mime": "image/png", "data": sent["data"]})
    image = png_image(board.to_png())
    assert image.getpixel((200, 150)) == (200, 30, 30) and image.getpixel((50, 50)) == (
        0xfd, 0xfd, 0xfb)
    with pytest.raises(ProtocolError):
        board.image(b"<svg onload=alert(1)/>", 0, 0)
    with pytest.raises(TypeError):
        board.image(object(), 0, 0)


def test_pages_export_apart_and_the_teachers_page_is_followed(fake_client: Any) -> None:
    board = Board("class-101")
    fake_client.feed({"type": "state", "epoch": "e1", "recovered": False, "strokes": [
        stroke(1, [[100, 100], [400, 100]], "#e53935", 12),
        {**stroke(2, [[100, 300], [400, 300]], "#1e88e5", 12), "page": 1},
    ]})
    first, second = png_image(board.to_png()), png_image(board.to_png(page=1))
    assert first.getpixel((250, 100)) == (0xe5, 0x39, 0x35)
    assert first.getpixel((250, 300)) == (0xfd, 0xfd, 0xfb)
    assert second.getpixel((250, 300)) == (0x1e, 0x88, 0xe5)
    assert second.getpixel((250, 100)) == (0xfd, 0xfd, 0xfb)
    assert board.page == 0
    fake_client.feed({"type": "page", "page": 1})
    board.turn_page(2)
    board.text("page three", 10, 10, page=2)
    assert board.page == 1 and fake_client.raw[0] == {"type": "page", "page": 2}
    assert fake_client.raw[1]["page"] == 2


def test_a_highlighter_stroke_is_exported_see_through() -> None:
    svg = strokes_to_svg([{**stroke(1, [[0, 0], [9, 9]]), "alpha": 0.35}], background=None)
    assert ET.fromstring(svg).find(f"{SVG}polyline").get("opacity") == "0.35"


def test_pages_are_renamed_from_the_kernel_and_names_follow_the_room(fake_client: Any) -> None:
    board = Board("class-101")
    board.rename_page(1, "Forces")
    assert fake_client.raw == [{"type": "pageName", "page": 1, "name": "Forces"}]
    with pytest.raises(ProtocolError, match="at most 40"):
        board.rename_page(1, "x" * 41)
    fake_client.feed({"type": "pageName", "page": 1, "name": "Forces"})
    fake_client.feed({"type": "pageName", "page": 3, "name": "Energy"})
    fake_client.feed({"type": "pageName", "page": 3, "name": ""})
    assert board.page_names == {1: "Forces"}
