/**
 * Markdown to HTML text: CommonMark + GFM tables, strikethrough, autolinks and
 * task lists, math (./math.ts) and highlighted fenced code. Raw HTML in a
 * message is never HTML (`html: false` escapes it); the output still goes
 * through the sanitizer (./sanitize.ts) before it reaches the page.
 */

import MarkdownIt from "markdown-it";
import type { StateCore } from "markdown-it";
import { highlight } from "./highlight";
import { math } from "./math";

/** GFM task list items: "[ ] " / "[x] " at the start of a list item become ☐ / ☑. */
function taskLists(state: StateCore): void {
  const tokens = state.tokens;
  for (let i = 2; i < tokens.length; i++) {
    const inline = tokens[i];
    if (inline.type !== "inline" || tokens[i - 1].type !== "paragraph_open"
        || tokens[i - 2].type !== "list_item_open") continue;
    const text = inline.children?.[0];
    const mark = text?.type === "text" ? /^\[([ xX])\] /.exec(text.content) : null;
    if (!text || !mark) continue;
    text.content = (mark[1] === " " ? "☐ " : "☑ ") + text.content.slice(4);
    tokens[i - 2].attrJoin("class", "pw-task");
  }
}

const md = new MarkdownIt("default", {
  html: false, // rule: no raw HTML from any message field is ever HTML
  linkify: true,
  breaks: true, // chat: a new line typed is a new line shown
  highlight: (code, lang) => highlight(code, lang),
});
md.enable(["table", "strikethrough"]);
md.use(math);
md.core.ruler.push("pw_tasks", taskLists);

export function markdownHtml(text: string): string {
  return md.render(text);
}
