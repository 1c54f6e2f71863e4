/**
 * Typed board items on a canvas: drawing, bounding boxes and hit-testing in
 * board coordinates. Drawn the way partywidget/widgets/board_render.py writes
 * them to SVG (same arrow heads, text baselines, note wrapping), so a PNG
 * export from the kernel looks like the board.
 */

import { type Entry, type ItemFields, LINE_KINDS, type Point, isItem } from "./protocol";

/** A text line's baseline sits this many font sizes below its top (board_render.ASCENT). */
const ASCENT = 0.8;
const LINE_HEIGHT = 1.25;
const NOTE_PAD = 8;
const FONT = "sans-serif";

/** The three corners of an arrow's head at its end (board_render.arrow_head). */
export function arrowHead(x: number, y: number, w: number, h: number, width: number): Point[] {
  const length = Math.max(10, width * 4);
  const angle = Math.atan2(h, w);
  const tip: Point = [x + w, y + h];
  return [tip, ...[0.45, -0.45].map((s): Point => [tip[0] - length * Math.cos(angle + s), tip[1] - length * Math.sin(angle + s)])];
}

/** A note's text wrapped at words to its box (board_render.note_lines). */
export function noteLines(text: string, width: number, size: number): string[] {
  const perLine = Math.max(1, Math.floor((width - 2 * NOTE_PAD) / (size * 0.55)));
  const lines: string[] = [];
  for (const paragraph of text.split("\n")) {
    let line = "";
    for (const word of paragraph.split(" ")) {
      if (line && line.length + 1 + word.length > perLine) {
        lines.push(line);
        line = word;
      } else line = line ? `${line} ${word}` : word;
    }
    lines.push(line);
  }
  return lines;
}

function textLines(ctx: CanvasRenderingContext2D, x: number, y: number, lines: string[], size: number, color: string): void {
  ctx.fillStyle = color;
  ctx.font = `${size}px ${FONT}`;
  ctx.textBaseline = "alphabetic";
  lines.forEach((line, i) => ctx.fillText(line, x, y + size * (ASCENT + i * LINE_HEIGHT)));
}

/** Decoded images by `src`, as the view received them. */
export type Images = ReadonlyMap<string, HTMLImageElement>;

export function drawItem(ctx: CanvasRenderingContext2D, item: ItemFields, images?: Images): void {
  const { kind, x, y, color } = item;
  const w = item.w ?? 0;
  const h = item.h ?? 0;
  const width = item.width ?? 3;
  const size = item.size ?? 24;
  ctx.strokeStyle = color;
  ctx.lineWidth = width;
  ctx.beginPath();
  if (LINE_KINDS.has(kind)) {
    ctx.moveTo(x, y);
    ctx.lineTo(x + w, y + h);
    ctx.stroke();
    if (kind === "arrow") {
      const [tip, a, b] = arrowHead(x, y, w, h, width);
      ctx.fillStyle = color;
      ctx.beginPath();
      ctx.moveTo(...tip);
      ctx.lineTo(...a);
      ctx.lineTo(...b);
      ctx.closePath();
      ctx.fill();
    }
  } else if (kind === "rect" || kind === "ellipse") {
    if (kind === "rect") ctx.rect(x, y, w, h);
    else ctx.ellipse(x + w / 2, y + h / 2, Math.abs(w / 2), Math.abs(h / 2), 0, 0, Math.PI * 2);
    if (item.fill) {
      ctx.fillStyle = item.fill;
      ctx.fill();
    }
    ctx.stroke();
  } else if (kind === "text") {
    textLines(ctx, x, y, (item.text ?? "").split("\n"), size, color);
  } else if (kind === "image") {
    const image = item.src ? images?.get(item.src) : undefined;
    if (image?.complete && image.naturalWidth) ctx.drawImage(image, x, y, w, h);
    else {
      // Not here yet (or still ours, unsent): a placeholder, as in board_render.
      ctx.fillStyle = "#eeeeee";
      ctx.fillRect(x, y, w, h);
      ctx.strokeStyle = "#bbbbbb";
      ctx.lineWidth = 1;
      ctx.strokeRect(x, y, w, h);
    }
  } else if (kind === "note") {
    ctx.fillStyle = color;
    ctx.fillRect(x, y, w, h);
    ctx.strokeStyle = "#00000033";
    ctx.lineWidth = 1;
    ctx.strokeRect(x, y, w, h);
    textLines(ctx, x + NOTE_PAD, y + NOTE_PAD, noteLines(item.text ?? "", w, size), size, "#222222");
  }
}

/**
 * A text's size (width, height in board units) as a view shows it when it is
 * not drawn on the canvas (inline math, ./board-math), else null.
 */
export type ShownText = (item: ItemFields) => [number, number] | null;

/**
 * An entry's bounding box `[left, top, right, bottom]`: text measured on
 * `ctx`, or as `shown` says the view shows it (math: the rendered formula,
 * not its TeX source).
 */
export function entryBox(entry: Entry, ctx: CanvasRenderingContext2D,
                         shown?: ShownText): [number, number, number, number] {
  if (!isItem(entry)) {
    const xs = entry.points.map((p) => p[0]);
    const ys = entry.points.map((p) => p[1]);
    const pad = entry.width * (entry.pressure ? 0.75 : 0.5); // full pressure inks 1.5 widths (./ink)
    return [Math.min(...xs) - pad, Math.min(...ys) - pad, Math.max(...xs) + pad, Math.max(...ys) + pad];
  }
  const rendered = entry.kind === "text" ? shown?.(entry) : null;
  if (rendered) return [entry.x, entry.y, entry.x + rendered[0], entry.y + rendered[1]];
  if (entry.kind === "text") {
    const size = entry.size ?? 24;
    const lines = (entry.text ?? "").split("\n");
    ctx.font = `${size}px ${FONT}`;
    const width = Math.max(...lines.map((line) => ctx.measureText(line).width));
    return [entry.x, entry.y, entry.x + width, entry.y + size * (ASCENT + 0.3 + (lines.length - 1) * LINE_HEIGHT)];
  }
  const [x2, y2] = [entry.x + (entry.w ?? 0), entry.y + (entry.h ?? 0)];
  return [Math.min(entry.x, x2), Math.min(entry.y, y2), Math.max(entry.x, x2), Math.max(entry.y, y2)];
}

/** Distance from p to segment ab, for hit-testing. */
export function segmentDistance(p: Point, a: Point, b: Point): number {
  const [dx, dy] = [b[0] - a[0], b[1] - a[1]];
  const length2 = dx * dx + dy * dy;
  const t = length2 ? Math.max(0, Math.min(1, ((p[0] - a[0]) * dx + (p[1] - a[1]) * dy) / length2)) : 0;
  return Math.hypot(p[0] - (a[0] + t * dx), p[1] - (a[1] + t * dy));
}

/** Whether `p` touches an item: its line, or anywhere in its box for the others. */
export function hitsItem(item: ItemFields, p: Point, ctx: CanvasRenderingContext2D, shown?: ShownText): boolean {
  const slack = (item.width ?? 3) / 2 + 6;
  if (LINE_KINDS.has(item.kind)) {
    return segmentDistance(p, [item.x, item.y], [item.x + (item.w ?? 0), item.y + (item.h ?? 0)]) <= slack;
  }
  const [left, top, right, bottom] = entryBox(item as Entry, ctx, shown);
  return p[0] >= left - slack && p[0] <= right + slack && p[1] >= top - slack && p[1] <= bottom + slack;
}
