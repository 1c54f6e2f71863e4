/**
 * Math in Markdown for markdown-it: `$...$` and `\(...\)` inline, `$$...$$`
 * and `\[...\]` as display math (inline or as a block of lines), rendered by
 * KaTeX with `trust: false` (no `\href`, `\url`, `\htmlStyle`...: math cannot
 * make links, load resources or style the page) and bounded work
 * (`maxSize`, `maxExpand`) so a hostile formula cannot hang a reader's tab.
 */

import katex from "katex";
import type { MarkdownIt, StateBlock, StateInline } from "markdown-it";

/** Longest formula rendered; longer ones stay text (bounded rendering work). */
const MAX_TEX = 4000;

export function renderTex(tex: string, displayMode: boolean): string {
  if (tex.length > MAX_TEX) return "";
  return katex.renderToString(tex, {
    displayMode,
    throwOnError: false,
    trust: false,
    strict: "ignore",
    maxSize: 50,
    maxExpand: 500,
    output: "htmlAndMathml",
  });
}

/** Delimiters tried at a position, display ones first (`$$` before `$`). */
const INLINE: [string, string, boolean][] = [["$$", "$$", true], ["\\[", "\\]", true],
  ["\\(", "\\)", false], ["$", "$", false]];

/**
 * Whether `$...$` at these bounds is math by pandoc's rule: no space just
 * inside either dollar and no digit just after the closing one, so prices
 * ("$5 and $10") stay text.
 */
function dollarsAreMath(src: string, start: number, end: number): boolean {
  const inner = src.slice(start + 1, end);
  return !/^\s|\s$/.test(inner) && !/\d/.test(src.charAt(end + 1));
}

function mathInline(state: StateInline, silent: boolean): boolean {
  const src = state.src;
  for (const [open, close, display] of INLINE) {
    if (!src.startsWith(open, state.pos)) continue;
    let end = src.indexOf(close, state.pos + open.length);
    // An escaped closing dollar (`\$`) is a literal dollar, not the end.
    while (end > 0 && close === "$" && src.charAt(end - 1) === "\\") end = src.indexOf(close, end + 1);
    if (end < 0 || end === state.pos + open.length) continue;
    if (open === "$" && !dollarsAreMath(src, state.pos, end)) continue;
    if (!silent) {
      const token = state.push("math", "", 0);
      token.content = src.slice(state.pos + open.length, end);
      token.meta = { display };
    }
    state.pos = end + close.length;
    return true;
  }
  return false;
}

/** A block: a line opening with `$$` (or `\[`) through the line that closes it. */
function mathBlock(state: StateBlock, startLine: number, endLine: number, silent: boolean): boolean {
  const lineText = (line: number) => state.src.slice(state.bMarks[line] + state.tShift[line], state.eMarks[line]);
  const first = lineText(startLine);
  const pair = first.startsWith("$$") ? ["$$", "$$"] : first.startsWith("\\[") ? ["\\[", "\\]"] : null;
  if (!pair || state.sCount[startLine] - state.blkIndent >= 4) return false;
  let body = first.slice(2);
  let line = startLine;
  let closed = body.trimEnd().endsWith(pair[1]);
  while (!closed && ++line < endLine) {
    const text = lineText(line);
    body += "\n" + text;
    closed = text.trimEnd().endsWith(pair[1]);
  }
  if (!closed) return false;
  if (silent) return true;
  const tex = body.trimEnd().slice(0, -2);
  state.line = line + 1;
  const token = state.push("math", "", 0);
  token.block = true;
  token.content = tex;
  token.meta = { display: true };
  token.map = [startLine, state.line];
  return true;
}

/** The plugin: `md.use(math)`. */
export function math(md: MarkdownIt): void {
  // Before "escape": `\(` must reach us before it becomes a literal "(".
  md.inline.ruler.before("escape", "math", mathInline);
  md.block.ruler.before("fence", "math", mathBlock, { alt: ["paragraph", "reference", "blockquote", "list"] });
  md.renderer.rules.math = (tokens, index) => {
    const token = tokens[index];
    const html = renderTex(token.content, token.meta?.display === true);
    // Too long to render: show the source, escaped.
    return html || md.utils.escapeHtml(token.content);
  };
}
