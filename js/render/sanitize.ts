/**
 * The sanitizer every rendered message passes (docs/security.md, "Rich chat
 * messages"): DOMPurify with explicit allow-lists, plus the policies
 * DOMPurify has no option for:
 *
 * - links open in a new tab with `rel="noopener noreferrer"` and only for
 *   http(s) and mailto URLs (no `javascript:`, `data:` or relative links);
 * - images only from `data:` URLs of raster types: a remote image would leak
 *   each reader's address and reading time to whoever hosts it; a blocked one
 *   becomes its alt text;
 * - `style` only where the renderer itself makes it: inside KaTeX output and a
 *   table cell's `text-align`, never a `url(`, so nothing positions itself out
 *   of the message box or loads through CSS.
 *
 * Sanitizing runs in DOMPurify's inert document: nothing loads before the
 * policies above have run.
 */

import DOMPurify, { type Config } from "dompurify";

const TEXT_TAGS = ["a", "p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre",
  "code", "span", "div", "em", "strong", "b", "i", "del", "s", "ul", "ol", "li", "sub", "sup",
  "table", "thead", "tbody", "tfoot", "tr", "th", "td", "caption", "colgroup", "col", "img"];
/** What KaTeX's output is made of (MathML for screen readers, SVG for radicals and arrows). */
const MATH_TAGS = ["math", "semantics", "annotation", "mrow", "mi", "mo", "mn", "ms", "mtext",
  "mspace", "msup", "msub", "msubsup", "mfrac", "msqrt", "mroot", "mtable", "mtr", "mtd",
  "mlabeledtr", "mover", "munder", "munderover", "mstyle", "mpadded", "menclose", "mphantom",
  "merror", "svg", "path", "line"];
const TEXT_ATTRS = ["href", "title", "alt", "src", "colspan", "rowspan", "start"];
const MATH_ATTRS = ["class", "style", "aria-hidden", "encoding", "mathvariant", "display",
  "xmlns", "stretchy", "fence", "separator", "lspace", "rspace", "columnalign", "rowspacing",
  "columnspacing", "columnlines", "accent", "accentunder", "minsize", "maxsize", "movablelimits",
  "scriptlevel", "displaystyle", "linethickness", "width", "height", "depth", "voffset",
  "viewBox", "preserveAspectRatio", "d", "x1", "y1", "x2", "y2", "stroke-width", "notation"];

/** Chat Markdown (html: false, so only markdown-it, highlight.js and KaTeX made these tags). */
const MARKDOWN: Config = {
  ALLOWED_TAGS: [...TEXT_TAGS, ...MATH_TAGS],
  ALLOWED_ATTR: [...TEXT_ATTRS, ...MATH_ATTRS],
  ALLOW_DATA_ATTR: false,
};
/** A kernel's text/html (a DataFrame's table): structure only, no class, no style. */
const HTML: Config = {
  ALLOWED_TAGS: TEXT_TAGS,
  ALLOWED_ATTR: TEXT_ATTRS,
  ALLOW_DATA_ATTR: false,
};
/** A kernel's image/svg+xml, shown through an <img> (which runs and loads nothing) anyway. */
const SVG: Config = { USE_PROFILES: { svg: true, svgFilters: true }, FORBID_TAGS: ["use", "image", "a"] };

const SAFE_IMAGE = /^data:image\/(png|jpeg|gif|webp);base64,[A-Za-z0-9+/]+={0,2}$/;
const SAFE_LINK = /^(https?:|mailto:)/i;
const SAFE_STYLE_VALUE = /^[-a-z0-9.:;%#,()\s]*$/i;
const TABLE_ALIGN = /^text-align:\s*(left|right|center);?$/;
export const BLOCKED_IMAGE = "data-pw-blocked";

DOMPurify.addHook("uponSanitizeAttribute", (node, data) => {
  if (data.attrName !== "style") return;
  const value = data.attrValue;
  const katex = node.parentElement?.closest(".katex") ?? null;
  data.keepAttr = TABLE_ALIGN.test(value) || (katex !== null && SAFE_STYLE_VALUE.test(value)
    && !/url\s*\(|expression|position|@import/i.test(value));
});

DOMPurify.addHook("afterSanitizeAttributes", (node) => {
  if (node.tagName === "A") {
    const href = node.getAttribute("href");
    if (href !== null && !SAFE_LINK.test(href.trim())) node.removeAttribute("href");
    node.setAttribute("target", "_blank");
    node.setAttribute("rel", "noopener noreferrer");
  } else if (node.hasAttribute("href")) {
    node.removeAttribute("href"); // MathML and SVG know href on other elements: links are <a> only
  } else if (node.tagName === "IMG") {
    const src = node.getAttribute("src") ?? "";
    if (!SAFE_IMAGE.test(src)) {
      node.removeAttribute("src");
      node.setAttribute(BLOCKED_IMAGE, "");
    }
  }
});

/** Replace each blocked image by its alt text (in the inert fragment, before it is shown). */
function unblockAsText(fragment: DocumentFragment): DocumentFragment {
  for (const image of fragment.querySelectorAll(`img[${BLOCKED_IMAGE}]`)) {
    const alt = image.getAttribute("alt") || "image";
    const note = document.createElement("span");
    note.className = "pw-blocked";
    note.title = "Remote images are not loaded";
    note.textContent = `[${alt}]`;
    image.replaceWith(note);
  }
  return fragment;
}

function sanitize(html: string, config: Config): DocumentFragment {
  return unblockAsText(DOMPurify.sanitize(html, { ...config, RETURN_DOM_FRAGMENT: true }));
}

export const sanitizeMarkdown = (html: string) => sanitize(html, MARKDOWN);
export const sanitizeHtml = (html: string) => sanitize(html, HTML);
export const sanitizeSvg = (svg: string): string => DOMPurify.sanitize(svg, SVG);
