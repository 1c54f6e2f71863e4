/**
 * A message's text element, plain at once and rich as soon as the renderer
 * (js/render/, embedded as text by js/build.mjs) is loaded: the first message
 * that needs it imports it from a Blob URL; later ones render synchronously.
 */

import rendererCode from "virtual:renderer";
import type { Inserter } from "./insert";

type Renderer = typeof import("./render/index");
export type MimeBundle = Record<string, string>;

let renderer: Renderer | null = null;
let loading: Promise<Renderer> | null = null;

/** Resolves after the next paint: the plain text shows before the renderer is parsed. */
function afterPaint(): Promise<void> {
  return new Promise((resolve) => requestAnimationFrame(() => setTimeout(resolve, 0)));
}

function loadRenderer(): Promise<Renderer> {
  loading ??= (async () => {
    await afterPaint();
    const url = URL.createObjectURL(new Blob([rendererCode], { type: "text/javascript" }));
    try {
      renderer = (await import(url)) as Renderer;
      return renderer;
    } finally {
      URL.revokeObjectURL(url);
    }
  })();
  return loading;
}

export function contentText(content: unknown): string {
  return typeof content === "string" ? content : JSON.stringify(content);
}

function renderRich(target: HTMLElement, using: Renderer, content: unknown, mime: MimeBundle | undefined,
                    insert: Inserter | undefined): void {
  try {
    if (mime && using.renderMime(target, mime, insert)) {
      target.classList.add("pw-rich");
    } else if (typeof content === "string") {
      using.renderMarkdown(target, content, insert);
      target.classList.add("pw-rich");
    }
  } catch (error) {
    // The plain text already shown stays; a renderer bug must not lose a message.
    console.warn("partywidget: could not render a message", error);
  }
}

/**
 * Fill `target` with a message: its text now, then (when `rich`) its Markdown
 * or MIME bundle. Only the renderer (sanitized) ever makes HTML here. Code
 * blocks offer Insert below when `insert` is given (js/insert.ts).
 */
export function renderContent(target: HTMLElement, content: unknown, mime: MimeBundle | undefined,
                              rich: boolean, insert?: Inserter): void {
  target.textContent = contentText(content);
  if (!rich) return;
  if (renderer) renderRich(target, renderer, content, mime, insert);
  else loadRenderer().then((loaded) => renderRich(target, loaded, content, mime, insert),
    (error) => console.warn("partywidget: could not load the renderer", error));
}
