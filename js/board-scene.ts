/**
 * The board's stored entries drawn once into a bitmap (a canvas layer), so a
 * view pans by copying it instead of drawing every stroke again (issue 16:
 * 10,000 strokes pan at 60 frames/s). The bitmap covers the whole 1000 x 625
 * board at the view's resolution; it is redrawn when the entries change (the
 * caller's `key`) and, after a zoom has settled, at the new resolution
 * (meanwhile the old bitmap is scaled). Past MAX_SCENE_PX the view draws
 * directly, leaving out what is off screen.
 */

import { BOARD_HEIGHT, BOARD_WIDTH } from "./protocol";

/** The widest bitmap kept (device pixels): beyond it, memory outweighs the gain. */
const MAX_SCENE_PX = 4096;
/** A zoom counts as settled after this long without a new resolution. */
const SETTLE_MS = 150;

export class Scene {
  private bitmap = document.createElement("canvas");
  private key = "";
  private res = 0;
  private stale = false;
  private timer: ReturnType<typeof setTimeout> | undefined;

  /** Whether a bitmap at `res` device pixels per board unit is kept (else: draw directly). */
  static fits(res: number): boolean {
    return res * BOARD_WIDTH <= MAX_SCENE_PX;
  }

  /**
   * Copy the board onto `ctx` (identity transform) for a view at `res` device
   * pixels per unit with board point (ox, oy) at the top left; `render` draws
   * the entries (board units) when the bitmap must be redrawn; `settled` asks
   * for a repaint once a zoom has settled.
   */
  draw(ctx: CanvasRenderingContext2D, res: number, ox: number, oy: number, key: string,
       render: (target: CanvasRenderingContext2D) => void, settled: () => void): void {
    if (this.res && key === this.key && res !== this.res && !this.stale) {
      clearTimeout(this.timer);
      this.timer = setTimeout(() => {
        this.stale = true;
        settled();
      }, SETTLE_MS);
    } else if (key !== this.key || res !== this.res || this.stale) {
      this.bitmap.width = Math.ceil(BOARD_WIDTH * res);
      this.bitmap.height = Math.ceil(BOARD_HEIGHT * res);
      const target = this.bitmap.getContext("2d")!;
      target.setTransform(res, 0, 0, res, 0, 0);
      render(target);
      [this.key, this.res, this.stale] = [key, res, false];
    }
    const k = res / this.res;
    ctx.drawImage(this.bitmap, -ox * res, -oy * res, this.bitmap.width * k, this.bitmap.height * k);
  }

  /** Let go of the bitmap's memory (the view closed). */
  dispose(): void {
    clearTimeout(this.timer);
    this.bitmap.width = this.bitmap.height = 0;
  }
}
