/**
 * The board's stored entries drawn once into a bitmap (a canvas layer), so a
 * view pans by copying it instead of drawing every stroke again (issue 16:
 * 10,000 strokes pan at 60 frames/s). The bitmap covers the whole 1000 x 625
 * board at the view's resolution. Past MAX_SCENE_PX the view draws directly,
 * leaving out what is off screen.
 *
 * A layer is drawn in slices, one per frame, each within a time budget, so a
 * big board never blocks the page for the seconds its first drawing takes in
 * software (issue 16, "joins in under 300 ms"): the first slice shows at once,
 * the rest follow frame by frame (the caller learns how many entries a frame
 * shows). Entries appended to the list (new strokes, the common change) are
 * drawn on top of the layer; an entry removed or changed in place (erased,
 * moved, its image loaded) is repaired where it was: that box is cleared and
 * the entries touching it drawn again (`repair`), so an erase or a move shows
 * in the next frame, however big the board. A new list (the caller's `key`: a
 * clear, a rejoin's state) is built behind the shown layer and swapped in once
 * complete; another view of it (`view`: a page) is drawn in view, slice by
 * slice, as a join. After a zoom has settled, the layer is redrawn at the new
 * resolution over the old one scaled (a little blurred, sharpening slice by slice).
 */

import { BOARD_HEIGHT, BOARD_WIDTH } from "./protocol";

/** The widest bitmap kept (device pixels): beyond it, memory outweighs the gain. */
const MAX_SCENE_PX = 4096;
/** A zoom counts as settled after this long without a new resolution. */
const SETTLE_MS = 150;
/**
 * A slice's budget (drawing calls; rasterising them takes about as long again)
 * while the view lacks entries: a join, a page turned, a new list built behind
 * the shown one (a rejoin): few frames, so the last entry comes soon.
 */
const CATCH_UP_MS = 40;
/** A slice's budget while sharpening a scaled layer that shows every entry (panning goes on at 60 frames/s). */
const SHARPEN_MS = 8;

/** A box in board units: left, top, right, bottom. */
export type Box = [number, number, number, number];

/** Past this many boxes to repair at once (a flood of erasures), their union is redrawn in one pass. */
const MAX_BOXES = 16;

/** The smallest box holding all of `boxes`. */
function union(boxes: Box[]): Box {
  return [Math.min(...boxes.map((b) => b[0])), Math.min(...boxes.map((b) => b[1])),
          Math.max(...boxes.map((b) => b[2])), Math.max(...boxes.map((b) => b[3]))];
}

/**
 * An entry removed from the list (at index `removed` then) or, with -1,
 * changed in place; `box` is what it covered (null: nothing shown, e.g. on another page).
 */
export interface Repair {
  box: Box | null;
  removed: number;
}

/**
 * Draws the list's entries from index `from` up to `to` (excluded) on
 * `target` (board units) until `performance.now()` passes `deadline`; returns
 * the index it stopped at (the next to draw). With `within`, only the entries
 * whose drawing may touch that box.
 */
export type Render = (target: CanvasRenderingContext2D, from: number, to: number, deadline: number,
                      within?: Box) => number;

/** A bitmap holding the first `drawn` entries of list `key` as `view` shows them, at one resolution. */
class Layer {
  readonly canvas = document.createElement("canvas");
  readonly ctx: CanvasRenderingContext2D;
  drawn = 0;

  /** `covered`: entries an underlay (the old layer, scaled) already shows. */
  constructor(readonly key: string, readonly view: string, readonly res: number, public covered = 0) {
    this.canvas.width = Math.ceil(BOARD_WIDTH * res);
    this.canvas.height = Math.ceil(BOARD_HEIGHT * res);
    this.ctx = this.canvas.getContext("2d")!;
    this.ctx.setTransform(res, 0, 0, res, 0, 0);
  }

  /** Draw the next slice of a list of `total` entries; whether entries remain. */
  grow(total: number, budget: number, render: Render): boolean {
    if (this.drawn < total) this.drawn = render(this.ctx, this.drawn, total, performance.now() + budget);
    return this.drawn < total;
  }

  /**
   * Redraw the edits' boxes from the list as it is now, the entries removed
   * (in order, each at its index then) gone from it.
   */
  repair(edits: readonly Repair[], render: Render): void {
    for (const { removed } of edits) {
      if (removed >= 0 && removed < this.drawn) this.drawn--;
      if (removed >= 0 && removed < this.covered) this.covered--;
    }
    const boxes = edits.flatMap(({ box }) => (box ? [box] : []));
    if (boxes.length) this.redraw(boxes.length > MAX_BOXES ? [union(boxes)] : boxes, render);
  }

  /**
   * Clear each box (to whole device pixels) and draw again the drawn entries
   * that touch it, in order. They are drawn on a scratch canvas of the
   * layer's size and the box copied in, not drawn under a clip: Skia
   * anti-aliases a path that crosses a clip's edge otherwise than one it
   * draws whole, so a clipped box would differ from the layer drawn anew (up
   * to 58 of 255 levels on some edge pixels, measured); this way it is the same.
   */
  private redraw(boxes: Box[], render: Render): void {
    const r = this.res;
    const { width, height } = this.canvas;
    const scratch = document.createElement("canvas");
    [scratch.width, scratch.height] = [width, height];
    const target = scratch.getContext("2d")!;
    let fresh = true; // a new canvas is clear; after a box, it is cleared for the next
    for (const box of boxes) {
      const left = Math.max(0, Math.floor(box[0] * r) - 1);
      const top = Math.max(0, Math.floor(box[1] * r) - 1);
      const w = Math.min(width, Math.ceil(box[2] * r) + 1) - left;
      const h = Math.min(height, Math.ceil(box[3] * r) + 1) - top;
      if (w <= 0 || h <= 0) continue;
      if (!fresh) {
        target.setTransform(1, 0, 0, 1, 0, 0);
        target.clearRect(0, 0, width, height);
      }
      fresh = false;
      target.setTransform(r, 0, 0, r, 0, 0);
      render(target, 0, this.drawn, Infinity, [left / r, top / r, (left + w) / r, (top + h) / r]);
      this.ctx.save();
      this.ctx.setTransform(1, 0, 0, 1, 0, 0);
      this.ctx.clearRect(left, top, w, h);
      this.ctx.drawImage(scratch, left, top, w, h, left, top, w, h);
      this.ctx.restore();
    }
    scratch.width = scratch.height = 0;
  }

  /** Whether it holds list `key` as `view` shows it. */
  holds(key: string, view: string): boolean {
    return this.key === key && this.view === view;
  }

  /** How many of the list's entries it shows. */
  get shows(): number {
    return Math.max(this.drawn, this.covered);
  }

  free(): void {
    this.canvas.width = this.canvas.height = 0;
  }
}

export class Scene {
  /** The layer shown; `next` is built behind it for a new key, swapped in once complete. */
  private shown: Layer | null = null;
  private next: Layer | null = null;
  /** The latest resolution asked for, and the one a settled zoom asks the layer to have. */
  private seen = 0;
  private settled = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;

  /** Whether a bitmap at `res` device pixels per board unit is kept (else: draw directly). */
  static fits(res: number): boolean {
    return res * BOARD_WIDTH <= MAX_SCENE_PX;
  }

  /**
   * Copy the board onto `ctx` (identity transform) for a view at `res` device
   * pixels per unit with board point (ox, oy) at the top left, the layer
   * holding the first `total` entries of the list `key` names, as `view`
   * shows them (drawn by `render`); `more` asks for another frame (slices
   * left, a zoom settled). Returns how many of the list's entries the copy
   * shows, or null while it still shows an older key's layer (the new one is
   * being built).
   */
  draw(ctx: CanvasRenderingContext2D, res: number, ox: number, oy: number, key: string, view: string,
       total: number, render: Render, more: () => void): number | null {
    let layer = this.shown;
    const mine = (l: Layer | null) => !!l?.holds(key, view);
    if (layer && mine(layer)) this.settle(layer.res, res, more);
    // Entries missing from view are caught up in big slices; a layer sharpening
    // (an underlay shows every entry), in small ones.
    const budget = (l: Layer) => (l.covered >= total ? SHARPEN_MS : CATCH_UP_MS);
    if (!layer || (!mine(layer) && (!layer.shows || layer.view !== view))) {
      // Nothing shown yet (a join) or another view (a page): draw the new layer in view, slice by slice.
      this.replaceNext(null);
      layer?.free();
      layer = this.shown = new Layer(key, view, res);
      if (layer.grow(total, budget(layer), render)) more();
    } else if (!mine(layer)) {
      if (!this.next || !mine(this.next) || this.next.res !== res) this.replaceNext(new Layer(key, view, res));
      if (this.next!.grow(total, budget(this.next!), render)) more();
      else {
        layer.free();
        layer = this.shown = this.next!;
        this.next = null;
      }
    } else {
      this.replaceNext(null);
      if (layer.res !== res && this.settled === res) {
        // The zoom settled: sharpen the scaled old layer, slice by slice.
        const sharp = new Layer(key, view, res, layer.shows);
        sharp.ctx.drawImage(layer.canvas, 0, 0, BOARD_WIDTH, BOARD_HEIGHT);
        layer.free();
        layer = this.shown = sharp;
      }
      if (layer.grow(total, budget(layer), render)) more();
    }
    const k = res / layer.res;
    ctx.drawImage(layer.canvas, -ox * res, -oy * res, layer.canvas.width * k, layer.canvas.height * k);
    return mine(layer) ? layer.shows : null;
  }

  /**
   * Entries of list `key` were removed or changed in place (./board.ts
   * repairs an erase, a move, an image loaded): its layers redraw their boxes now.
   */
  repair(key: string, view: string, edits: readonly Repair[], render: Render): void {
    if (!edits.length) return;
    for (const layer of [this.shown, this.next]) {
      if (layer?.holds(key, view)) layer.repair(edits, render);
    }
  }

  /**
   * A zoom's resolution `res` (the layer has `have`) counts as settled once
   * unchanged for SETTLE_MS; then `more` repaints.
   */
  private settle(have: number, res: number, more: () => void): void {
    if (res === this.seen) return;
    this.seen = res;
    clearTimeout(this.timer);
    if (res === have) return;
    this.timer = setTimeout(() => {
      this.settled = res;
      more();
    }, SETTLE_MS);
  }

  private replaceNext(layer: Layer | null): void {
    this.next?.free();
    this.next = layer;
  }

  /** Let go of the bitmaps' memory (the view closed). */
  dispose(): void {
    clearTimeout(this.timer);
    this.shown?.free();
    this.replaceNext(null);
    this.shown = null;
  }
}
