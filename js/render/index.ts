/**
 * The rich renderer of chat messages, loaded lazily by ../render-lazy.ts (it
 * holds markdown-it, KaTeX, highlight.js and DOMPurify: most of the bytes).
 *
 * `renderRich` fills a message's text element: Markdown (with math and code)
 * or a kernel's MIME bundle, always through the sanitizer; code blocks get a
 * Copy button built with DOM calls, after sanitizing.
 */

import katexCss from "virtual:katex-css";
import { markdownHtml } from "./markdown";
import { type MimeBundle, mimeElement } from "./mime";
import { sanitizeMarkdown } from "./sanitize";
import { type Inserter, insertButton } from "../insert";

const STYLE_ID = "pw-katex-style";

/** KaTeX's stylesheet (fonts inlined, build.mjs), once per page. */
function ensureStyles(): void {
  if (document.getElementById(STYLE_ID)) return;
  const style = document.createElement("style");
  style.id = STYLE_ID;
  style.textContent = katexCss;
  document.head.append(style);
}

async function copyText(text: string): Promise<void> {
  if (navigator.clipboard?.writeText) {
    await navigator.clipboard.writeText(text);
    return;
  }
  // Pages that are not secure contexts have no async clipboard.
  const area = document.createElement("textarea");
  area.value = text;
  document.body.append(area);
  area.select();
  document.execCommand("copy");
  area.remove();
}

/**
 * Wrap each code block with a toolbar holding Copy and, given `insert` (the
 * page is a notebook, js/insert.ts), Insert below. Neither runs anything.
 */
function addCodeTools(root: ParentNode, insert?: Inserter): void {
  for (const pre of root.querySelectorAll("pre")) {
    const code = pre.textContent ?? "";
    const box = document.createElement("div");
    box.className = "pw-code";
    const copy = document.createElement("button");
    copy.type = "button";
    copy.className = "pw-copy";
    copy.textContent = "Copy";
    copy.title = "Copy this code";
    copy.addEventListener("click", () => {
      copyText(code).then(() => { copy.textContent = "Copied"; },
        () => { copy.textContent = "Copy failed"; });
    });
    const tools = document.createElement("div");
    tools.className = "pw-code-tools";
    tools.append(copy);
    if (insert) tools.append(insertButton(insert, () => code));
    pre.replaceWith(box);
    box.append(tools, pre);
  }
}

/** Render Markdown text into `target` (replacing what it holds); code blocks offer `insert`. */
export function renderMarkdown(target: HTMLElement, text: string, insert?: Inserter): void {
  ensureStyles();
  const fragment = sanitizeMarkdown(markdownHtml(text));
  addCodeTools(fragment, insert);
  target.replaceChildren(fragment);
}

/** Render a MIME bundle into `target`; false if it has nothing richer than text. */
export function renderMime(target: HTMLElement, bundle: MimeBundle, insert?: Inserter): boolean {
  const element = mimeElement(bundle);
  if (element) {
    target.replaceChildren(element);
    return true;
  }
  if (typeof bundle["text/markdown"] === "string") {
    renderMarkdown(target, bundle["text/markdown"], insert);
    return true;
  }
  return false;
}
