"""Pen ink: the front end (js/ink.ts, perfect-freehand from npm) and the kernel's
export (board_render, the Python port) draw the same smoothed, pressure-aware outline."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from partywidget.widgets.board_render import ink_outline

ROOT = Path(__file__).resolve().parents[2]

STROKES = [
    {"points": [[10, 10], [50, 40], [90, 20], [120, 60], [160, 65]], "width": 4},
    {"points": [[10, 10], [50, 40], [90, 20], [120, 60]], "width": 8,
     "pressure": [0.1, 0.9, 1, 0.2]},
    {"points": [[300, 300]], "width": 10},
]


def js_outlines(tmp_path: Path) -> list[str]:
    """Each stroke's path as js/ink.ts computes it (bundled with esbuild, run in node)."""
    bundle = tmp_path / "ink.mjs"
    subprocess.run([str(ROOT / "node_modules" / ".bin" / "esbuild"), "js/ink.ts", "--bundle",
                    "--format=esm", f"--outfile={bundle}"], cwd=ROOT, check=True,
                   capture_output=True, timeout=60)
    script = tmp_path / "run.mjs"
    script.write_text(f"import {{ inkOutline }} from {json.dumps(str(bundle))};\n"
                      f"const strokes = {json.dumps(STROKES)};\n"
                      "console.log(JSON.stringify(strokes.map((s) => inkOutline(s, true))));\n")
    done = subprocess.run(["node", str(script)], capture_output=True, text=True, check=True,
                          timeout=60)
    return json.loads(done.stdout)


def test_the_export_draws_the_outline_the_front_end_draws(tmp_path: Path) -> None:
    assert [ink_outline(stroke) for stroke in STROKES] == js_outlines(tmp_path)


def span(path: str) -> float:
    """How far apart the outline's extreme y coordinates are."""
    ys = [float(p.split(",")[1]) for p in path[1:-1].replace("Q", "").replace("T", "").split()]
    return max(ys) - min(ys)


def test_pressure_widens_the_ink_and_no_pressure_keeps_its_width() -> None:
    flat = {"points": [[0, 100], [100, 100], [200, 100]], "width": 10}
    assert 9.5 <= span(ink_outline(flat)) <= 10.5
    hard = {**flat, "pressure": [1, 1, 1]}
    soft = {**flat, "pressure": [0, 0, 0]}
    assert span(ink_outline(hard)) > 14 and span(ink_outline(soft)) < 6
