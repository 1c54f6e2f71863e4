/**
 * A pen stroke's ink: a perfect-freehand outline (smoothed; wider where the
 * pen pressed harder, when the device reported pressure), as an SVG path.
 * partywidget/widgets/board_render.py computes the same path with the Python
 * port of perfect-freehand, with these same options, so PNG/SVG exports match.
 */

import { getStroke } from "perfect-freehand";
import type { Ink } from "./protocol";

/** perfect-freehand options (board_render.INK_OPTIONS): real pressure only, never simulated. */
const INK_OPTIONS = { thinning: 0.5, smoothing: 0.5, streamline: 0.5, simulatePressure: false };

const avg = (a: number, b: number) => Math.round(((a + b) / 2) * 100) / 100;
const fixed = (n: number) => Math.round(n * 100) / 100;

/** An outline polygon as a closed path: quadratic curves through its midpoints (board_render.outline_path). */
export function outlinePath(outline: number[][]): string {
  if (outline.length < 4) {
    return outline.length ? `M${outline.map(([x, y]) => `${fixed(x)},${fixed(y)}`).join(" L")} Z` : "";
  }
  const [a, b, c] = outline;
  let d = `M${fixed(a[0])},${fixed(a[1])} Q${fixed(b[0])},${fixed(b[1])} ${avg(b[0], c[0])},${avg(b[1], c[1])} T`;
  for (let i = 2; i < outline.length - 1; i++) {
    d += `${avg(outline[i][0], outline[i + 1][0])},${avg(outline[i][1], outline[i + 1][1])} `;
  }
  return `${d}Z`;
}

/** The outline's path of a pen stroke; `last` once it is finished (its end is capped). */
export function inkOutline(ink: Ink, last: boolean): string {
  const { points, pressure } = ink;
  const input = pressure && pressure.length === points.length
    ? points.map(([x, y], i) => [x, y, pressure[i]])
    : points;
  return outlinePath(getStroke(input, { ...INK_OPTIONS, size: ink.width, last }));
}

/** Stored strokes never change: their outlines are computed once (they are most of a big board). */
const cache = new WeakMap<Ink, Path2D>();

/** The Path2D of a pen stroke; cached when `stored` (its points will not grow). */
export function inkShape(ink: Ink, stored: boolean): Path2D {
  let shape = stored ? cache.get(ink) : undefined;
  if (!shape) {
    shape = new Path2D(inkOutline(ink, stored));
    if (stored) cache.set(ink, shape);
  }
  return shape;
}
