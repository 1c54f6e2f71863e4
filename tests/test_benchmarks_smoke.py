"""The benchmarks still run: every target, every scenario, tiny loads.

``python -m benchmarks.run --smoke`` starts each real server (the references,
``jupyter server`` with the extension, ``partywidget serve``), drives every
scenario once and prints the table. No figure is asserted: timing belongs to
``python -m benchmarks.run``, not to tests.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from benchmarks.run import TARGETS
from benchmarks.scaleout import LAYOUTS, PARTIES

REPO = Path(__file__).resolve().parent.parent


def test_smoke_run_measures_every_target_and_prints_the_table(tmp_path: Path) -> None:
    raw = tmp_path / "results.json"
    proc = subprocess.run([sys.executable, "-m", "benchmarks.run", "--smoke", "--json", str(raw)],
                          cwd=REPO, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-4000:]
    rows = [line for line in proc.stdout.splitlines() if line.startswith("| ")]
    assert [row.split("|")[1].strip() for row in rows[1:]] == list(TARGETS)
    results = json.loads(raw.read_text())["results"]
    for name, target in TARGETS.items():
        for metric in target.metrics:
            assert "error" not in results[name][metric], (name, metric)
    assert results["websockets"]["saturate"]["deliveries_per_s"] > 0
    assert results["jupyter-main"]["join"]["history"] == 50
    assert results["serve-main"]["persist"]["persisted_per_s"] > 0


def test_the_yjs_benchmark_runs_both_servers(tmp_path: Path) -> None:
    proc = subprocess.run([sys.executable, "-m", "benchmarks.yjs", "--smoke"], cwd=REPO,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-4000:]
    rows = [line for line in proc.stdout.splitlines() if line.startswith("| ")]
    assert [row.split("|")[1].strip() for row in rows[1:]] == [
        "partywidget serve, yjs party", "pycrdt-websocket 0.16"]


def test_the_room_core_benchmark_counts_calls_per_post() -> None:
    proc = subprocess.run([sys.executable, "-m", "benchmarks.core", "--smoke"], cwd=REPO,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-4000:]
    figures = dict(line.strip().split(":", 1) for line in proc.stdout.splitlines()[1:3])
    assert float(figures["CPU per post"].split()[0]) > 0
    # A post is parsed, appended and echoed: dozens of calls at the very least.
    assert float(figures["calls per post"].split()[0]) > 20


def test_the_board_scale_benchmark_joins_and_pans_a_small_board() -> None:
    proc = subprocess.run([sys.executable, "-m", "benchmarks.board_scale", "--strokes", "50",
                           "--runs", "1", "--frames", "5"], cwd=REPO, capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-4000:]
    figures = json.loads(proc.stdout)
    assert figures["strokes"] == 50 and figures["join_ms"] > 0 and figures["pan_fps"] > 0


def test_the_scaleout_benchmark_interleaves_rounds_and_prints_medians() -> None:
    proc = subprocess.run([sys.executable, "-m", "benchmarks.scaleout", "--smoke", "--rounds",
                           "2"], cwd=REPO, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-4000:]
    # The order rotates: the second round starts with the second layout.
    started = [line.split(": ", 1)[1] for line in proc.stderr.splitlines()
               if line.startswith("round ")]
    assert started[:4] == [f"{label} ..." for label, _, _ in LAYOUTS]
    assert started[4:] == [f"{label} ..." for label, _, _ in LAYOUTS[1:] + LAYOUTS[:1]]
    rows = [[cell.strip() for cell in line.split("|")[1:-1]]
            for line in proc.stdout.splitlines() if line.startswith("| ")][1:]
    assert [(row[0], row[1]) for row in rows] == [
        (label, party) for label, _, _ in LAYOUTS for party, _ in PARTIES]
    for row in rows:
        assert int(row[2].replace(",", "")) > 0, row
        assert row[5].endswith(" of 2") and row[9].endswith(" of 2"), row
        # Redis's part of the servers' CPU: none without it, a share of it with it.
        if row[0] == "sqlite x1":
            assert row[6] == "-", row
        else:
            assert row[6].endswith("%") and 0 < int(row[6][:-1]) < 100, row
    # Each round's ratios are to its own sqlite x1 figures: exactly 1 for that row.
    assert rows[0][4] == "1.00x (1.00-1.00)" and rows[0][5] == "2 of 2"
