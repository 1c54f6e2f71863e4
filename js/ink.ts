/**
 * A pen stroke's ink: a perfect-freehand outline (smoothed; wider where the
 * pen pressed harder, when the device reported pressure), traced into a
 * canvas Path2D. partywidget/widgets/board_render.py traces the same outline
 * as SVG path data with the Python port of perfect-freehand and these same
 * options, so PNG/SVG exports match; `inkOutline` spells this side's path the
 * same way, for tests/widgets/test_board_ink.py to compare them.
 */

import { getStroke } from "perfect-freehand";
import type { Ink } from "./protocol";

/** perfect-freehand options (board_render.INK_OPTIONS): real pressure only, never simulated. */
const INK_OPTIONS = { thinning: 0.5, smoothing: 0.5, streamline: 0.5, simulatePressure: false };

/** Hundredths, rounded half up (board_render._fixed does the same). */
const fixed = (n: number) => Math.round(n * 100) / 100;

/** Where an outline is traced: a canvas Path2D, or SVG path data. */
interface PathSink {
  moveTo(x: number, y: number): void;
  lineTo(x: number, y: number): void;
  quadraticCurveTo(cx: number, cy: number, x: number, y: number): void;
  closePath(): void;
}

/**
 * Trace an outline polygon as a closed path of quadratic curves through its
 * edges' midpoints, each control point the reflection of the previous one
 * (SVG's smooth `T`, spelled out), in hundredths (board_render.trace_outline).
 */
export function traceOutline(outline: number[][], sink: PathSink): void {
  if (!outline.length) return;
  sink.moveTo(fixed(outline[0][0]), fixed(outline[0][1]));
  if (outline.length < 4) {
    for (const [x, y] of outline.slice(1)) sink.lineTo(fixed(x), fixed(y));
    sink.closePath();
    return;
  }
  // Scalars, no arrays per point: a 10,000-stroke join traces ~200,000 curves
  // (issue 16), and this is the same arithmetic as before, so the same path.
  let cx = fixed(outline[1][0]);
  let cy = fixed(outline[1][1]);
  let x = fixed((outline[1][0] + outline[2][0]) / 2);
  let y = fixed((outline[1][1] + outline[2][1]) / 2);
  sink.quadraticCurveTo(cx, cy, x, y);
  for (let i = 2; i < outline.length - 1; i++) {
    const a = outline[i];
    const b = outline[i + 1];
    cx = fixed(2 * x - cx);
    cy = fixed(2 * y - cy);
    x = fixed((a[0] + b[0]) / 2);
    y = fixed((a[1] + b[1]) / 2);
    sink.quadraticCurveTo(cx, cy, x, y);
  }
  sink.closePath();
}

/** SVG path data, as the kernel's export writes it. */
class SvgPath implements PathSink {
  d = "";
  moveTo(x: number, y: number) { this.d += `M${x},${y}`; }
  lineTo(x: number, y: number) { this.d += ` L${x},${y}`; }
  quadraticCurveTo(cx: number, cy: number, x: number, y: number) { this.d += ` Q${cx},${cy} ${x},${y}`; }
  closePath() { this.d += " Z"; }
}

function outlineOf(ink: Ink, last: boolean): number[][] {
  const { points, pressure } = ink;
  const input = pressure && pressure.length === points.length
    ? points.map(([x, y], i) => [x, y, pressure[i]])
    : points;
  return getStroke(input, { ...INK_OPTIONS, size: ink.width, last });
}

/** A pen stroke's outline as SVG path data (what the export holds; tests compare them). */
export function inkOutline(ink: Ink, last: boolean): string {
  const path = new SvgPath();
  traceOutline(outlineOf(ink, last), path);
  return path.d;
}

/** Stored strokes never change: their outlines are computed once (they are most of a big board). */
const cache = new WeakMap<Ink, Path2D>();

/** The Path2D of a pen stroke; cached when `stored` (its points will not grow). */
export function inkShape(ink: Ink, stored: boolean): Path2D {
  let shape = stored ? cache.get(ink) : undefined;
  if (!shape) {
    shape = new Path2D();
    traceOutline(outlineOf(ink, stored), shape);
    if (stored) cache.set(ink, shape);
  }
  return shape;
}
