"""The Board's drawing in headless Chromium, without a server: its bitmap layer
on a big board (js/board-scene.ts) and the box of math text (js/board-math.ts).

board.js is loaded as anywidget does, with the fake relay model of the
benchmarks (no server, no kernel: what is tested is the view's drawing). A
board of 3,000 strokes takes many frames to draw its layer again in small
slices (here, dozens); an erase, a move's echo and a drag must still show in
the very next frame (the layer is repaired where the entry was, not rebuilt
behind the old picture),
and strokes under a repaired box stay drawn; a repaired layer is, pixel for
pixel, the layer drawn anew. Pixels are read from the view's canvas (one
device pixel per board unit: a 1000 px wide widget, DPR 1, unless said).
A text with inline math is selected where its rendered formula shows, not
over the width of its TeX source.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, expect

from benchmarks.fakemodel import FAKE_MODEL

pytestmark = pytest.mark.browser

STATIC = Path(__file__).resolve().parents[2] / "partywidget" / "widgets" / "static"
VIEWPORT = {"width": 1100, "height": 900}
PAPER = [0xfd, 0xfd, 0xfb]
BLUE = [0x1e, 0x88, 0xe5]

#: Defines ``mount(code, css, entries)``: board.js rendered (1000 px wide) with
#: the fake relay model joining with a ``state`` of ``entries`` by user "u" (the
#: page's own user); it returns the view's canvas and ``frame(type, data)``,
#: which hands the view a server frame. ``walks`` makes strokes.
MOUNT = FAKE_MODEL + """
const user = {username: "u", display_name: "U"};
/** `n` strokes by "u" (ids 1..n): random walks of 12 points from x0..x0+w, 20..605, steps up to `step`. */
function walks(n, seed, x0, w, step, style) {
  const random = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
  return Array.from({length: n}, (_, i) => {
    let [x, y] = [random() * w + x0, random() * 585 + 20];
    const points = Array.from({length: 12}, () => [x += random() * 2 * step - step, y += random() * 2 * step - step]);
    return {id: i + 1, from: "c", user, points, timestamp: 0, ...style(i)};
  });
}
async function mount(code, css, entries) {
  const style = document.createElement("style");
  style.textContent = css;
  document.head.append(style);
  const traits = {room: "layer", party: "board", _endpoint: "relay", _prefix: ""};
  const {model, emit} = relayModel(traits, () => [
    JSON.stringify({type: "welcome", roomId: "layer", party: "board", id: "me", user, epoch: "e",
                    users: [], locked: false}),
    JSON.stringify({type: "state", strokes: entries, epoch: "e", recovered: false})]);
  const el = document.createElement("div");
  el.style.width = "1000px";
  document.body.append(el);
  const url = URL.createObjectURL(new Blob([code], {type: "text/javascript"}));
  const widget = (await import(url)).default();
  widget.initialize({model});
  widget.render({model, el});
  const frame = (type, data) => emit("msg:custom", {kind: "frame", data: JSON.stringify({type, ...data})});
  return {canvas: el.querySelector("canvas"), frame};
}
"""

#: The page: a board of `strokes` grey strokes on the left half, a black stroke
#: through where the blue box will be, the box; then the edits, each checked
#: two frames later (`pixel` reads one point, board units; kept on `window`
#: with `settle`, two frames, for the drag that follows).
PAGE_SCRIPT = """async ({code, css, strokes}) => {""" + MOUNT + """
  const entries = walks(strokes, 3, 20, 400, 8, () => ({color: "#888888", width: 4}));
  const line = {id: strokes + 1, from: "c", user, points: [[600, 150], [900, 150]], color: "#000000",
                width: 6, timestamp: 0};
  const lone = {id: strokes + 2, from: "c", user, points: [[600, 500], [700, 500]], color: "#000000",
                width: 6, timestamp: 0};
  const box = {id: strokes + 3, from: "c", user, kind: "rect", x: 650, y: 100, w: 100, h: 100,
               color: "#1e88e5", fill: "#1e88e5", timestamp: 0};
  const {canvas, frame} = await mount(code, css, [...entries, line, lone, box]);
  const nextFrame = () => new Promise((resolve) => requestAnimationFrame(resolve));
  const pixel = ([x, y]) => [...canvas.getContext("2d").getImageData(x, y, 1, 1).data.slice(0, 3)];
  const seen = {};
  let frames = 0;
  for (; canvas.dataset.items !== "1" && frames < 2000; frames++) await nextFrame();
  seen.join = {frames, strokes: canvas.dataset.strokes, box: pixel([700, 130]), line: pixel([620, 150])};
  const settle = async () => { await nextFrame(); await nextFrame(); };

  // A move's echo: the old id erased, the box under a new id, further right.
  frame("erased", {id: box.id});
  frame("item", {item: {...box, id: strokes + 4, x: 800}});
  await settle();
  seen.moved = {old: pixel([700, 130]), line: pixel([700, 150]), now: pixel([850, 130]),
                items: canvas.dataset.items, strokes: canvas.dataset.strokes};

  // An erased stroke leaves at once.
  frame("erased", {id: lone.id});
  await settle();
  seen.erased = {lone: pixel([650, 500]), strokes: canvas.dataset.strokes};

  window.pixel = pixel;
  window.settle = settle;
  return seen;
}"""


#: Read once the drag has moved: the box's old and new place, the selection.
DRAGGED = """async () => {
  await window.settle();
  const canvas = document.querySelector(".pw-board canvas");
  return {old: window.pixel([850, 130]), now: window.pixel([850, 330]), selected: canvas.dataset.selected};
}"""


def test_edits_on_a_big_board_show_in_the_next_frame(browser: Browser) -> None:
    code, css = (STATIC / "board.js").read_text(), (STATIC / "board.css").read_text()
    page = browser.new_page(viewport=VIEWPORT, device_scale_factor=1)
    try:
        seen: dict[str, Any] = page.evaluate(PAGE_SCRIPT, {"code": code, "css": css,
                                                           "strokes": 3000})
        # Dragging the box (select tool, V) takes it out of the layer: drawn shifted, not twice.
        page.locator(".pw-board").press("v")
        box = page.locator(".pw-board canvas").bounding_box()
        assert box is not None
        page.mouse.move(box["x"] + 850, box["y"] + 130)
        page.mouse.down()
        page.mouse.move(box["x"] + 850, box["y"] + 230)
        page.mouse.move(box["x"] + 850, box["y"] + 330)
        seen["dragged"] = page.evaluate(DRAGGED)
        page.mouse.up()
    finally:
        page.close()
    # The join (in slices) ended with every entry: the box over the black line.
    assert seen["join"]["strokes"] == "3002", seen["join"]
    assert seen["join"]["box"] == BLUE and seen["join"]["line"] == [0, 0, 0]
    # Moved: gone from where it was (the line under it drawn again), shown where it is.
    assert seen["moved"]["old"] == PAPER and seen["moved"]["line"] == [0, 0, 0], seen["moved"]
    assert seen["moved"]["now"] == BLUE and seen["moved"]["items"] == "1"
    assert seen["erased"] == {"lone": PAPER, "strokes": "3001"}
    assert seen["dragged"]["old"] == PAPER and seen["dragged"]["now"] == BLUE, seen["dragged"]
    assert seen["dragged"]["selected"] == str(3000 + 4)


#: A text item whose TeX source is far wider than the formula it shows.
MATH_SCRIPT = """async ({code, css}) => {""" + MOUNT + """
  const text = String.raw`$\\alpha\\beta\\gamma\\delta\\epsilon\\zeta\\eta\\theta\\iota\\kappa$`;
  const {canvas} = await mount(code, css, [{id: 1, from: "c", user, kind: "text", x: 100, y: 300,
                                            text, size: 24, color: "#222222", timestamp: 0}]);
  const nextFrame = () => new Promise((resolve) => requestAnimationFrame(resolve));
  for (let i = 0; i < 600 && !document.querySelector(".pw-math .katex"); i++) await nextFrame();
  const node = document.querySelector(".pw-math");
  const ctx = canvas.getContext("2d");
  ctx.font = "24px sans-serif";
  return {shown: node.getBoundingClientRect().width, source: ctx.measureText(text).width};
}"""


def test_math_text_is_selected_where_its_formula_shows(browser: Browser) -> None:
    code, css = (STATIC / "board.js").read_text(), (STATIC / "board.css").read_text()
    page = browser.new_page(viewport=VIEWPORT, device_scale_factor=1)
    try:
        widths = page.evaluate(MATH_SCRIPT, {"code": code, "css": css})
        # The rendered formula is far narrower than its source: a point between the
        # two ends is outside the item's box (hit-testing, selection).
        assert widths["shown"] + 100 < widths["source"], widths
        canvas = page.locator(".pw-board canvas")
        page.locator(".pw-board").press("v")
        beyond = 100 + (widths["shown"] + widths["source"]) / 2
        canvas.click(position={"x": beyond, "y": 310})
        expect(canvas).to_have_attribute("data-selected", "")
        canvas.click(position={"x": 100 + widths["shown"] / 2, "y": 310})
        expect(canvas).to_have_attribute("data-selected", "1")
    finally:
        page.close()


#: A board of pens, highlighters and items; erasures and moves repaired in the
#: layer, then the same list drawn anew (the teacher turns to page 2 and back;
#: the view follows): every pixel of the view must be the same.
REDRAWN_SCRIPT = """async ({code, css, strokes}) => {""" + MOUNT + """
  const entries = walks(strokes, 5, 20, 960, 15, (i) => ({color: ["#222222", "#e53935", "#1e88e5"][i % 3],
                                                          width: 2 + (i % 4) * 3, ...(i % 7 ? {} : {alpha: 0.3})}));
  const items = [
    {kind: "rect", x: 300, y: 200, w: 200, h: 100, color: "#43a047", fill: "#43a047"},
    {kind: "arrow", x: 100, y: 100, w: 300, h: 200, color: "#8e24aa", width: 8},
    {kind: "text", x: 600, y: 400, text: "Hello board", size: 32, color: "#222222"},
  ].map((item, i) => ({id: strokes + 1 + i, from: "c", user, timestamp: 0, ...item}));
  const half = strokes / 2;
  const {canvas, frame} = await mount(code, css, [...entries.slice(0, half), ...items, ...entries.slice(half)]);
  const nextFrame = () => new Promise((resolve) => requestAnimationFrame(resolve));
  const shown = (n) => canvas.dataset.strokes === String(n) && canvas.dataset.items === "3";
  for (let i = 0; i < 2000 && !shown(strokes); i++) await nextFrame();
  for (const id of [3, 50, half - 1, half + 7, strokes, items[0].id, items[1].id]) frame("erased", {id});
  frame("item", {item: {...items[0], id: strokes + 10, x: 350}});
  frame("item", {item: {...items[1], id: strokes + 11, y: 150}});
  for (let i = 0; i < 3; i++) await nextFrame();
  const pixels = () => canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
  const repaired = pixels();
  frame("page", {page: 1});
  for (let i = 0; i < 100 && canvas.dataset.page !== "1"; i++) await nextFrame();
  frame("page", {page: 0});
  for (let i = 0; i < 2000 && !(canvas.dataset.page === "0" && shown(strokes - 5)); i++) await nextFrame();
  await nextFrame();
  const anew = pixels();
  let differ = 0;
  for (let i = 0; i < anew.length; i++) if (anew[i] !== repaired[i]) differ++;
  return {differ, page: canvas.dataset.page, strokes: canvas.dataset.strokes};
}"""


@pytest.mark.parametrize("dpr", [1, 2])
def test_a_repaired_layer_is_the_layer_drawn_anew(browser: Browser, dpr: int) -> None:
    code, css = (STATIC / "board.js").read_text(), (STATIC / "board.css").read_text()
    page = browser.new_page(viewport=VIEWPORT, device_scale_factor=dpr)
    try:
        seen = page.evaluate(REDRAWN_SCRIPT, {"code": code, "css": css, "strokes": 600})
    finally:
        page.close()
    # Pixel for pixel (a box redrawn under a clip differed: Skia anti-aliases the
    # paths crossing a clip's edge otherwise).
    assert seen == {"differ": 0, "page": "0", "strokes": str(600 - 5)}
