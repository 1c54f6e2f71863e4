/**
 * Inline math in the board's text items: a text holding `$...$` is shown as
 * Markdown with KaTeX math by the chat's lazy renderer (./render-lazy: plain
 * text at once, then rendered and DOMPurify-sanitized), in a layer of DOM
 * elements placed over the canvas at the item's place, zoom and colour. The
 * canvas leaves such items out; exports (PNG, SVG) draw their raw text.
 */

import { renderContent } from "./render-lazy";
import { type Entry, type Item, type ItemFields, isItem } from "./protocol";
import { element } from "./room";

/** A text item whose text holds inline math (`$...$` on one line). */
export function hasMath(entry: Entry | ItemFields): entry is Item {
  return isItem(entry) && entry.kind === "text" && /\$[^$\n]+\$/.test(entry.text ?? "");
}

/** The math-bearing text items of a page, as elements over the canvas. */
export class MathLayer {
  readonly root = element("div", "pw-math-layer");
  private shown = new Map<number, { item: Item; node: HTMLElement }>();
  /** CSS pixels per board unit, as last placed. */
  private px = 1;

  /** Show exactly these items (rendering the new ones once). */
  sync(items: Item[]): void {
    const wanted = new Set(items.map((item) => item.id));
    for (const [id, { node }] of this.shown) {
      if (!wanted.has(id)) {
        node.remove();
        this.shown.delete(id);
      }
    }
    for (const item of items) {
      if (this.shown.has(item.id)) continue;
      const node = element("div", "pw-math");
      node.dataset.id = String(item.id);
      renderContent(node, item.text ?? "", undefined, true);
      this.root.append(node);
      this.shown.set(item.id, { item, node });
    }
  }

  /**
   * The size (width, height in board units) an item's text shows at, as
   * rendered (the formula, not its TeX source), for its box: selecting,
   * hit-testing (./items ShownText); null when it is not laid out (not shown).
   */
  extent(item: Item): [number, number] | null {
    const node = this.shown.get(item.id)?.node;
    return node?.offsetWidth ? [node.offsetWidth / this.px, node.offsetHeight / this.px] : null;
  }

  /** Place them for the view: `px` CSS pixels per board unit, `(ox, oy)` at the top left. */
  place(px: number, ox: number, oy: number, shift: (id: number) => [number, number]): void {
    this.px = px;
    for (const { item, node } of this.shown.values()) {
      const [dx, dy] = shift(item.id);
      node.style.left = `${(item.x + dx - ox) * px}px`;
      node.style.top = `${(item.y + dy - oy) * px}px`;
      node.style.fontSize = `${(item.size ?? 24) * px}px`;
      node.style.color = item.color;
    }
  }
}
