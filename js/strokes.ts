/**
 * The board's state as a view holds it: the server's strokes and items in
 * order, others' strokes being drawn, our own awaiting their echo, and
 * cursors; plus drawing and hit-testing in board coordinates (docs/protocol.md,
 * board party; items are drawn by ./items).
 */

import { type Images, type ShownText, drawItem, hitsItem, segmentDistance } from "./items";
import { inkShape } from "./ink";
import { type Entry, type Frame, type Ink, type ItemFields, type Point, type Stroke, type User, isItem } from "./protocol";

interface Cursor {
  x: number;
  y: number;
  user: User;
  seen: number;
}

/** A stored entry removed (at index `removed`) or, with -1, changed in place. */
export interface Edit {
  entry: Entry;
  removed: number;
}

/** Edits kept before views draw their layer anew (BoardState.edits). */
const MAX_EDITS = 1000;

/** A cursor that has not moved for this long is hidden (it is never stored). */
export const CURSOR_TTL_MS = 5000;

/** Strokes and items as the server ordered them, strokes being drawn by others, cursors. */
export class BoardState {
  entries: Entry[] = [];
  /** Others' strokes and shapes in progress, by `${from}/${sid}`. */
  readonly inking = new Map<string, Ink | ItemFields>();
  /** Our finished strokes and items not yet echoed back by the server, by sid. */
  readonly pending = new Map<string, Ink | ItemFields>();
  readonly cursors = new Map<string, Cursor>();
  /** Images by `src` (stored once, fetched with `getImage`); `wanted` are yet to be asked for. */
  readonly images = new Map<string, HTMLImageElement>();
  private wanted = new Set<string>();
  /** The page the teacher is on (the last `page` frame), for views that follow. */
  teacherPage = 0;
  /** Pages' names by page (`pageName` frames; plain text, shown with textContent). */
  readonly pageNames = new Map<number, string>();
  /**
   * Grows whenever the stored entries are replaced (a clear, a whole state):
   * views redraw their layer. Appended entries are drawn on top of it, and
   * `edits` are repaired in place (./board-scene).
   */
  redraws = 0;
  /**
   * Since the last `redraws`, in order: entries removed (at `removed`, their
   * index then) or changed in place (`removed` -1: an image loaded). Views
   * remember how many they repaired; past MAX_EDITS the list starts again
   * (`redraws` grows), so it stays bounded however long a board lives.
   */
  readonly edits: Edit[] = [];
  private ids = new Set<number>();
  private listeners = new Set<() => void>();

  apply(frame: Frame): void {
    switch (frame.type) {
      case "state":
        // Delivery contract: recovered=false is the whole state and replaces ours
        // (always the case here; a recovered one would continue it).
        if (!frame.recovered) this.reset();
        for (const entry of frame.strokes ?? []) this.add(entry);
        break;
      case "stroke":
      case "item":
        this.add(frame[frame.type]);
        break;
      case "draw": {
        const key = `${frame.from}/${frame.sid}`;
        const ink = this.inking.get(key);
        if (ink && !isItem(ink)) {
          ink.points.push(...frame.points);
          // Pressure stays only while every piece brought it (one number per point).
          if (ink.pressure && frame.pressure?.length === frame.points.length) ink.pressure.push(...frame.pressure);
          else delete ink.pressure;
        } else {
          const { points, color, width, page, alpha, pressure } = frame;
          const fresh: Ink = { points: [...points], color, width, page, alpha };
          if (pressure?.length === points.length) fresh.pressure = [...pressure];
          this.inking.set(key, fresh);
        }
        break;
      }
      case "image": {
        // Only PNG and JPEG are ever stored; anything else is not drawn.
        if (typeof frame.src !== "string" || !["image/png", "image/jpeg"].includes(frame.mime)) return;
        const image = new Image();
        image.onload = () => {
          for (const entry of this.entries) if (isItem(entry) && entry.src === frame.src) this.edited(entry, -1);
          this.changed();
        };
        image.src = `data:${frame.mime};base64,${frame.data}`;
        this.images.set(frame.src, image);
        return;
      }
      case "shape": {
        // The whole shape so far: it replaces the last one (no points to append).
        const { type: _type, from, user: _user, sid, ...fields } = frame;
        this.inking.set(`${from}/${sid}`, fields as ItemFields);
        break;
      }
      case "page":
        if (typeof frame.page === "number") this.teacherPage = frame.page;
        break;
      case "pageName":
        if (typeof frame.page !== "number") return;
        if (typeof frame.name === "string" && frame.name) this.pageNames.set(frame.page, frame.name);
        else this.pageNames.delete(frame.page);
        break;
      case "erased": {
        const removed = this.entries.findIndex((s) => s.id === frame.id);
        if (removed < 0) return;
        this.edited(this.entries[removed], removed);
        this.entries.splice(removed, 1);
        break;
      }
      case "cleared":
        this.reset();
        break;
      case "cursor":
        this.cursors.set(frame.id, { x: frame.x, y: frame.y, user: frame.user, seen: Date.now() });
        break;
      case "userLeft":
        this.cursors.delete(frame.id);
        for (const key of this.inking.keys()) if (key.startsWith(`${frame.id}/`)) this.inking.delete(key);
        break;
      case "error":
        // A refused stroke or item will never be echoed; do not leave it drawn as pending.
        if (["bad_stroke", "bad_item", "too_large", "locked"].includes(frame.code)) this.pending.clear();
        break;
      default:
        return;
    }
    this.changed();
  }

  /** Dedupe by id: an entry can arrive live and again in a resumed state. */
  private add(entry: Entry): void {
    if (!entry || typeof entry.id !== "number" || this.ids.has(entry.id)) return;
    this.ids.add(entry.id);
    this.entries.push(entry);
    if (isItem(entry) && entry.src && !this.images.has(entry.src)) this.wanted.add(entry.src);
    if (entry.sid) {
      this.inking.delete(`${entry.from}/${entry.sid}`);
      this.pending.delete(entry.sid);
    }
  }

  private edited(entry: Entry, removed: number): void {
    if (this.edits.length >= MAX_EDITS) this.restart();
    else this.edits.push({ entry, removed });
  }

  /** Views draw their layer anew, the edits so far forgotten. */
  private restart(): void {
    this.redraws++;
    this.edits.length = 0;
  }

  private reset(): void {
    this.entries = [];
    this.restart();
    this.ids.clear();
    this.inking.clear();
  }

  /** Images referenced but not asked for yet: the caller sends `getImage` for each, once. */
  takeWanted(): string[] {
    const srcs = [...this.wanted].filter((src) => !this.images.has(src));
    this.wanted.clear();
    return srcs;
  }

  /** Forget cursors that stopped moving (they are ephemeral, never stored). */
  forgetStaleCursors(now: number): void {
    let stale = false;
    for (const [id, cursor] of this.cursors) {
      if (now - cursor.seen > CURSOR_TTL_MS) stale = this.cursors.delete(id);
    }
    if (stale) this.changed();
  }

  onChange(listener: () => void, signal: AbortSignal): void {
    this.listeners.add(listener);
    signal.addEventListener("abort", () => this.listeners.delete(listener));
  }

  changed(): void {
    for (const listener of this.listeners) listener();
  }
}

export function newSid(): string {
  return (crypto.randomUUID?.() ?? `${Date.now()}-${Math.random()}`).replace(/[^A-Za-z0-9_.:-]/g, "").slice(0, 32);
}

/**
 * Draw a stroke: a pen's as its perfect-freehand outline (./ink), a
 * highlighter's as an even, see-through line. `stored` strokes never change,
 * so their outline is cached.
 */
export function inkPath(ctx: CanvasRenderingContext2D, ink: Ink, stored = false): void {
  const [first, ...rest] = ink.points;
  if (!first) return;
  if ((ink.alpha ?? 1) === 1) {
    ctx.fillStyle = ink.color;
    ctx.fill(inkShape(ink, stored));
    return;
  }
  ctx.save(); // a highlighter's alpha stays with its stroke
  ctx.globalAlpha = ink.alpha ?? 1;
  inkLine(ctx, first, rest, ink);
  ctx.restore();
}

function inkLine(ctx: CanvasRenderingContext2D, first: Point, rest: Point[], ink: Ink): void {
  ctx.strokeStyle = ink.color;
  ctx.fillStyle = ink.color;
  ctx.lineWidth = ink.width;
  if (rest.length === 0) {
    ctx.beginPath();
    ctx.arc(first[0], first[1], ink.width / 2, 0, Math.PI * 2);
    ctx.fill();
    return;
  }
  ctx.beginPath();
  ctx.moveTo(first[0], first[1]);
  for (const [x, y] of rest) ctx.lineTo(x, y);
  ctx.stroke();
}

/** Draw a stroke or an item, stored (`stored`: it will not change) or pending. */
export function drawEntry(ctx: CanvasRenderingContext2D, entry: Entry | Ink | ItemFields, images?: Images,
                          stored = false): void {
  if (isItem(entry)) drawItem(ctx, entry, images);
  else inkPath(ctx, entry, stored);
}

/** Whether `p` touches a stroke or an item (erase and select; `shown`: text a view shows otherwise, ./items). */
export function hitsEntry(entry: Entry, p: Point, ctx: CanvasRenderingContext2D, shown?: ShownText): boolean {
  return isItem(entry) ? hitsItem(entry, p, ctx, shown) : hits(entry, p);
}

function hits(stroke: Stroke, p: Point): boolean {
  const slack = stroke.width / 2 + 6;
  const points = stroke.points;
  if (points.length === 1) return Math.hypot(p[0] - points[0][0], p[1] - points[0][1]) <= slack;
  for (let i = 1; i < points.length; i++) if (segmentDistance(p, points[i - 1], points[i]) <= slack) return true;
  return false;
}

