"""Board items in real JupyterLab pages: two users, one room, the kernel watching.

A box drawn in one page appears in the other (while it is dragged out, then
stored) and in the kernel's ``board.items``; it moves (select and drag) and resizes (its handle), undo and redo cross, text is
typed in place, shortcuts pick tools, Delete removes, PNG downloads, a
dropped image reaches the other page, zooming keeps drawing where it is seen,
pages follow the teacher; a stylus keeps its pressure, `$...$` shows KaTeX, a
renamed page is named everywhere (as text), two fingers pinch-zoom, and the
black swatch stands out in the dark theme.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import nbformat
import pytest
from PIL import Image
from playwright.sync_api import expect

from tests.browser.board_input import contrast, pen_stroke, pinch
from tests.browser.pages import (QUICK, NotebookPage, draw_stroke, kernel_state, pressed_mouse,
                                 screenshot)
from tests.conftest import ServerProcess

pytestmark = pytest.mark.browser


def write_board_notebook(root: Path, name: str, room: str) -> None:
    """A notebook with a Board; the kernel reports ``board.items`` to ``<name>.state.json``."""
    state = f"{name}.state.json"
    cells = [
        f"from partywidget import Board\nboard = Board({room!r})\nboard",
        "import json, os\n"
        "def report(_frame=None):\n"
        f"    with open({state + '.tmp'!r}, 'w') as f:\n"
        "        json.dump({'items': board.items, 'page_names': board.page_names}, f)\n"
        f"    os.replace({state + '.tmp'!r}, {state!r})\n"
        "board.client.on_event(report)\nreport()",
    ]
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                       "language": "python"}
    nbformat.write(notebook, root / f"{name}.ipynb")


def kinds(state: dict[str, Any]) -> list[str]:
    return [item.get("kind", "stroke") for item in state["items"]]


def test_items_drawn_moved_undone_and_exported_across_two_pages(
        lab: ServerProcess, open_notebook: Any) -> None:
    root = Path(lab.workdir)
    write_board_notebook(root, "items", "e2e-items")
    pages: list[NotebookPage] = []
    for _ in range(2):
        page = open_notebook("lab/tree/items.ipynb")
        page.run_all()
        pages.append(page)
    a, b = (page.widget("board") for page in pages)
    a_canvas, b_canvas = a.locator("canvas"), b.locator("canvas")

    # A box drawn in A (tool from its button, tooltip naming its key) reaches B and the kernel.
    box_tool = a.get_by_role("button", name="Box")
    expect(box_tool).to_have_attribute("title", "Draw a rectangle (R)")
    box_tool.click()
    a.get_by_title("colour #1e88e5").click()
    with pressed_mouse(a_canvas, [(0.1, 0.1), (0.25, 0.3)]) as move:
        expect(b_canvas).to_have_attribute("data-inking", "1", timeout=QUICK)  # seen growing
        move((0.3, 0.4))
    expect(b_canvas).to_have_attribute("data-items", "1", timeout=QUICK)
    expect(b_canvas).to_have_attribute("data-inking", "0")
    (rect,) = kernel_state(root, "items", lambda s: kinds(s) == ["rect"])["items"]
    assert rect["color"] == "#1e88e5" and rect["w"] > 150 and rect["h"] > 150

    # Select (shortcut V) and drag it: B and the kernel see it moved, under a new id.
    a.press("v")
    expect(a.get_by_role("button", name="Select")).to_have_attribute("aria-pressed", "true")
    draw_stroke(a_canvas, [(0.1, 0.25), (0.5, 0.25)])
    moved = kernel_state(root, "items", lambda s: s["items"] and s["items"][0]["x"] > rect["x"] + 100)
    assert moved["items"][0]["id"] != rect["id"]
    expect(a_canvas).to_have_attribute("data-selected", str(moved["items"][0]["id"]),
                                       timeout=QUICK)

    # Undo takes the move back, redo makes it again (Ctrl+Z, Ctrl+Shift+Z).
    a.press("Control+z")
    kernel_state(root, "items", lambda s: s["items"] and s["items"][0]["x"] == rect["x"])
    a.get_by_role("button", name="Redo").click()
    kernel_state(root, "items", lambda s: s["items"] and s["items"][0]["x"] > rect["x"] + 100)

    # Still selected (it followed its sid through undo and redo): its corner handle resizes it.
    again = kernel_state(root, "items", lambda s: bool(s["items"]))["items"][0]
    corner = ((again["x"] + again["w"]) / 1000, (again["y"] + again["h"]) / 625)
    draw_stroke(a_canvas, [corner, (corner[0] + 0.1, corner[1] + 0.1)])
    resized = kernel_state(root, "items", lambda s: s["items"] and s["items"][0]["w"] > 250)
    assert abs(resized["items"][0]["w"] - (again["w"] + 100)) < 3
    assert resized["items"][0]["x"] == again["x"]

    # Text typed in place; the XSS-looking text stays text.
    a.press("t")
    a_canvas.click(position={"x": 60, "y": 400})
    editor = a.locator("textarea.pw-editor")
    editor.fill("<img src=x onerror=alert(1)>")
    editor.press("Enter")
    expect(b_canvas).to_have_attribute("data-items", "2", timeout=QUICK)
    state = kernel_state(root, "items", lambda s: kinds(s) == ["rect", "text"])
    assert state["items"][1]["text"] == "<img src=x onerror=alert(1)>"
    assert a.locator("img").count() == 0 and b.locator("img").count() == 0

    # Selected, the text goes with Delete, everywhere.
    a.press("v")
    a_canvas.click(position={"x": 70, "y": 410})
    a.press("Delete")
    expect(b_canvas).to_have_attribute("data-items", "1", timeout=QUICK)

    # PNG button: a 1000 x 625 image with the box's blue in it.
    with pages[0].page.expect_download() as download:
        a.get_by_role("button", name="PNG").click()
    image = Image.open(io.BytesIO(Path(download.value.path()).read_bytes())).convert("RGB")
    assert image.size == (1000, 625)
    assert (0x1e, 0x88, 0xe5) in {color for _, color in image.getcolors(1 << 16) or []}

    # An SVG dropped on A (with a script in it) arrives rasterised: a PNG/JPEG image
    # item, stored once, that B fetches and draws; the script never runs.
    a.locator(".pw-surface").evaluate("""async surface => {
        const svg = '<svg xmlns="http://www.w3.org/2000/svg" width="80" height="40">' +
            '<script>alert(1)</script><rect width="80" height="40" fill="#43a047"/></svg>';
        const transfer = new DataTransfer();
        transfer.items.add(new File([svg], "x.svg", {type: "image/svg+xml"}));
        const box = surface.getBoundingClientRect();
        surface.dispatchEvent(new DragEvent("drop", {dataTransfer: transfer, bubbles: true,
            cancelable: true, clientX: box.left + box.width * 0.7, clientY: box.top + 20}));
    }""")
    expect(b_canvas).to_have_attribute("data-images", "1", timeout=QUICK)
    state = kernel_state(root, "items", lambda s: "image" in kinds(s))
    image_item = state["items"][-1]
    assert len(image_item["src"]) == 64 and image_item["w"] == 80 and "data" not in image_item

    # Zoomed in (+ twice: 1.5625 times, about the centre), a box lands where it is seen.
    a.press("+")
    a.press("+")
    expect(a_canvas).to_have_attribute("data-zoom", "1.56", timeout=QUICK)
    a.press("r")
    draw_stroke(a_canvas, [(0.5, 0.5), (0.6, 0.6)])
    state = kernel_state(root, "items", lambda s: kinds(s).count("rect") == 2)
    zoomed = state["items"][-1]
    assert abs(zoomed["x"] - 500) < 3 and abs(zoomed["w"] - 64) < 3, zoomed
    a.press("0")
    expect(a_canvas).to_have_attribute("data-zoom", "1")

    # The highlighter (H) draws wide see-through ink.
    a.press("h")
    draw_stroke(a_canvas, [(0.1, 0.8), (0.3, 0.8)])
    state = kernel_state(root, "items", lambda s: any(i.get("alpha") for i in s["items"]))
    (marked,) = [i for i in state["items"] if i.get("alpha")]
    assert marked["alpha"] == 0.3 and marked["width"] == 16  # four times the width 4 pen

    # Pages: a moderator (everyone, on a personal server) turns to a new page and the
    # other page follows; what is drawn there is on page 2 only.
    expect(b.get_by_role("button", name="Follow teacher")).to_have_attribute("aria-pressed", "true")
    a.get_by_role("button", name="▶").click()
    expect(b_canvas).to_have_attribute("data-page", "1", timeout=QUICK)
    expect(b.locator(".pw-page-label")).to_have_text("Page 2 / 2", timeout=QUICK)
    a.press("o")
    draw_stroke(a_canvas, [(0.2, 0.2), (0.3, 0.3)])
    state = kernel_state(root, "items", lambda s: "ellipse" in kinds(s))
    assert state["items"][-1]["page"] == 1
    assert all("page" not in item for item in state["items"][:-1])
    b.get_by_role("button", name="◀").click()
    expect(a_canvas).to_have_attribute("data-page", "0", timeout=QUICK)
    check_pen_math_names_pinch_and_themes(pages, root)
    assert pages[0].dialogs == [] and pages[1].dialogs == []


def check_pen_math_names_pinch_and_themes(pages: list[NotebookPage], root: Path) -> None:
    """Pen pressure, inline math, page names, pinch zoom and dark swatches (same pages)."""
    a, b = (page.widget("board") for page in pages)
    a_canvas, b_canvas = a.locator("canvas"), b.locator("canvas")
    count = len(kernel_state(root, "items", lambda s: True)["items"])

    # A stylus stroke (pen) keeps its pressure, one value per point in 0..1; B draws it.
    a.press("p")
    pen_stroke(pages[0], a_canvas, [0.1, 0.3, 0.5, 0.7, 0.9, 1.0])
    stroke = kernel_state(root, "items", lambda s: len(s["items"]) == count + 1)["items"][-1]
    assert len(stroke["pressure"]) == len(stroke["points"]) >= 4
    assert stroke["pressure"][0] <= 0.2 and stroke["pressure"][-1] >= 0.9

    # Text with inline math shows KaTeX on the other page.
    a.press("t")
    a_canvas.click(position={"x": 420, "y": 330})
    editor = a.locator("textarea.pw-editor")
    editor.fill("Energy: $E = mc^2$")
    editor.press("Enter")
    expect(b.locator(".pw-math .katex").first).to_be_visible(timeout=QUICK)
    expect(b.locator(".pw-math")).to_contain_text("Energy")

    # A page renamed in A is named in B and in the kernel.
    a.get_by_role("button", name="Rename").click()
    a.locator("input.pw-page-name").fill("Forces")
    a.locator("input.pw-page-name").press("Enter")
    expect(b.locator(".pw-page-label")).to_have_text("Page 1 / 2: Forces", timeout=QUICK)
    kernel_state(root, "items", lambda s: s.get("page_names") == {"0": "Forces"})

    # Two fingers moving from 60 to 180 px apart zoom B about three times, drawing nothing.
    pinch(pages[1], b_canvas, (30, 90))
    expect(b_canvas).not_to_have_attribute("data-zoom", "1", timeout=QUICK)
    assert 2.5 <= float(b_canvas.get_attribute("data-zoom") or 0) <= 3.5
    b.press("0")
    expect(b_canvas).to_have_attribute("data-zoom", "1")

    # The black swatch has a ring that stands out, in the dark theme too (the screenshots
    # in tests/artifacts are what docs/images/board.png and board-dark.png were taken from).
    black = b.get_by_title("colour #222222")
    for theme in ("JupyterLab Light", "JupyterLab Dark"):
        pages[1].theme(theme)
        ring = black.evaluate("e => getComputedStyle(e).borderTopColor")
        swatch = black.evaluate("e => getComputedStyle(e).backgroundColor")
        if "Dark" in theme:
            assert contrast(ring, swatch) >= 3, (ring, swatch)
        screenshot(b, f"board-tools-{'dark' if 'Dark' in theme else 'light'}.png")
    pages[1].theme("JupyterLab Light")

    # Math text and page names are text: HTML in them never becomes elements.
    a.press("t")
    a_canvas.click(position={"x": 420, "y": 380})
    editor.fill("$x$ <img src=x onerror=alert(1)>")
    editor.press("Enter")
    expect(b.locator(".pw-math")).to_have_count(2, timeout=QUICK)
    a.get_by_role("button", name="Rename").click()
    a.locator("input.pw-page-name").fill("<b>bold</b>")
    a.locator("input.pw-page-name").press("Enter")
    expect(b.locator(".pw-page-label")).to_have_text("Page 1 / 2: <b>bold</b>", timeout=QUICK)
    assert b.locator(".pw-math img, .pw-page-label b, [onerror]").count() == 0
    expect(b.locator(".pw-math").last).to_contain_text("<img src=x onerror=alert(1)>")
