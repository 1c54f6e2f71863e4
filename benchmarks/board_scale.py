"""How fast a big board joins and pans in headless Chromium (issue 16: "a board
with 10,000 strokes joins in under 300 ms and pans at 60 frames/s").

``python -m benchmarks.board_scale [--strokes N] [--runs R] [--quick]`` loads
the built ``partywidget/widgets/static/board.js`` into a blank page as
anywidget would (a Blob URL module), with a fake model in relay mode
(:mod:`benchmarks.fakemodel`): no server and no kernel, the ``state`` join
frame holding ``N`` pen strokes (random walks of 12 points, the kind a class
draws) is handed to the widget as the kernel relay would. It prints, as
medians over ``R`` fresh pages:

* ``load_ms``: from importing board.js to the ``state`` frame handed to the
  widget (the module parsed, the view rendered, the relay joined);
* ``first_ms``: from the ``state`` frame to the first paint that showed any
  stroke (a big board's layer is drawn in slices, one per frame: js/board-scene.ts);
* ``join_ms``: from the ``state`` frame to the first paint that showed every
  stroke (the canvas's ``data-strokes`` counts the strokes a paint shows): the
  issue's join;
* ``longest_ms``: the longest gap between two frames during the join (how long
  the page stops answering);
* ``pan``: zoomed in twice (and settled), the board is panned by a wheel
  event every animation frame for ``--frames`` frames; the deltas between frames give
  ``p50_ms``, ``p95_ms`` and ``fps`` (1000 / mean delta).

Figures and ratios to the targets are printed; nothing is asserted (timing is
not a test). ``--quick`` is one run, 60 frames and, unless ``--strokes`` is
given, 2,000 strokes.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from pathlib import Path

from benchmarks.fakemodel import FAKE_MODEL, in_fresh_pages

ROOT = Path(__file__).resolve().parent.parent
STATIC = ROOT / "partywidget" / "widgets" / "static"
#: The issue's targets: a join under 300 ms, panning at 60 frames/s.
JOIN_TARGET_MS = 300
FPS_TARGET = 60

PAGE_SCRIPT = """async ({code, css, strokes, frames}) => {""" + FAKE_MODEL + """
  const style = document.createElement("style");
  style.textContent = css;
  document.head.append(style);
  const traits = {room: "bench", party: "board", _endpoint: "relay", _prefix: ""};
  const user = {username: "u", display_name: "U"};
  const colors = ["#222222", "#e53935", "#1e88e5", "#43a047"];
  let seed = 7;
  const random = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
  const entries = Array.from({length: strokes}, (_, i) => {
    let [x, y] = [random() * 960 + 20, random() * 585 + 20];
    const points = Array.from({length: 12}, () => [x = Math.round((x + random() * 16 - 8) * 10) / 10,
                                                   y = Math.round((y + random() * 16 - 8) * 10) / 10]);
    return {id: i + 1, from: "c", user, points, color: colors[i % 4], width: 2 + (i % 4) * 2,
            timestamp: 0};
  });
  const state = JSON.stringify({type: "state", strokes: entries, epoch: "e", recovered: false});
  let handed = null;
  const {model} = relayModel(traits, () => (handed = performance.now(), [
    JSON.stringify({type: "welcome", roomId: "bench", party: "board", id: "me", user, epoch: "e",
                    users: [], locked: false}),
    state]));
  const el = document.createElement("div");
  el.style.width = "1000px";
  document.body.append(el);
  const start = performance.now();
  const url = URL.createObjectURL(new Blob([code], {type: "text/javascript"}));
  const widget = (await import(url)).default();
  widget.initialize({model});
  widget.render({model, el});
  const canvas = el.querySelector("canvas");
  const nextFrame = () => new Promise((resolve) => requestAnimationFrame(resolve));
  let first = null;
  let longest = 0;
  for (let last = performance.now(); canvas.dataset.strokes !== String(strokes);) {
    if (first === null && Number(canvas.dataset.strokes) > 0) first = performance.now() - handed;
    await nextFrame();
    if (handed !== null) longest = Math.max(longest, performance.now() - Math.max(last, handed));
    last = performance.now();
  }
  const join = performance.now() - handed;
  // Zoom in twice (the "+" shortcut), then pan with a wheel event every frame.
  const root = el.querySelector(".pw-board");
  for (let i = 0; i < 2; i++) root.dispatchEvent(new KeyboardEvent("keydown", {key: "+", bubbles: true}));
  // Let the zoom settle (the view redraws its layer at the new resolution, board-scene.ts).
  await new Promise((resolve) => setTimeout(resolve, 400));
  await nextFrame();
  await nextFrame();
  const deltas = [];
  let last = performance.now();
  for (let i = 0; i < frames; i++) {
    const dx = i % 80 < 40 ? 12 : -12;
    canvas.dispatchEvent(new WheelEvent("wheel", {deltaX: dx, deltaY: dx / 2, bubbles: true, cancelable: true}));
    await nextFrame();
    const now = performance.now();
    deltas.push(now - last);
    last = now;
  }
  return {load: handed - start, first: first ?? join, join, longest, deltas, zoom: canvas.dataset.zoom};
}"""


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def measure(strokes: int, runs: int, frames: int, static: Path = STATIC) -> dict[str, float]:
    """Medians over ``runs`` fresh pages of the join time and the pan frame times."""
    code, css = (static / "board.js").read_text(), (static / "board.css").read_text()
    results = in_fresh_pages(PAGE_SCRIPT, {"code": code, "css": css, "strokes": strokes,
                                           "frames": frames}, runs,
                             viewport={"width": 1100, "height": 900})
    pans = [r["deltas"][1:] for r in results]  # the first delta includes the zoom's paint
    return {
        **{f"{name}_ms": round(statistics.median(r[name] for r in results), 1)
           for name in ("load", "first", "join", "longest")},
        "pan_p50_ms": round(statistics.median(percentile(d, 0.5) for d in pans), 1),
        "pan_p95_ms": round(statistics.median(percentile(d, 0.95) for d in pans), 1),
        "pan_fps": round(statistics.median(1000 / statistics.mean(d) for d in pans), 1),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--strokes", type=int, default=None, help="10,000 (2,000 with --quick)")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--frames", type=int, default=180)
    parser.add_argument("--static", type=Path, default=STATIC,
                        help="another build's static folder (board.js, board.css), for before/after")
    parser.add_argument("--quick", action="store_true",
                        help="one run, 60 frames, 2,000 strokes unless --strokes (a look, not a figure)")
    args = parser.parse_args(argv)
    if args.quick:
        args.runs, args.frames = 1, 60
    args.strokes = args.strokes or (2_000 if args.quick else 10_000)
    figures = measure(args.strokes, args.runs, args.frames, args.static)
    print(json.dumps({"strokes": args.strokes, "runs": args.runs, "frames": args.frames,
                      **figures,
                      "join_vs_target": round(figures["join_ms"] / JOIN_TARGET_MS, 2),
                      "fps_vs_target": round(figures["pan_fps"] / FPS_TARGET, 2)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
