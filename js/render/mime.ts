/**
 * A kernel's MIME bundle (`chat.send(figure)`) as one element: the richest
 * type the widget can show safely, in the order Jupyter front ends prefer.
 * Images become `<img>` of a `data:` URL (an SVG shown by `<img>` runs no
 * script and loads nothing, and is sanitized first anyway); HTML is
 * sanitized (./sanitize.ts); Markdown renders like a message.
 */

import { sanitizeHtml, sanitizeSvg } from "./sanitize";

export type MimeBundle = Record<string, string>;

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;
const RASTER = ["image/png", "image/jpeg", "image/gif"];

function image(src: string, alt: string): HTMLElement {
  const img = document.createElement("img");
  img.className = "pw-mime-image";
  img.alt = alt;
  img.src = src;
  return img;
}

function utf8Base64(text: string): string {
  let binary = "";
  for (const byte of new TextEncoder().encode(text)) binary += String.fromCharCode(byte);
  return btoa(binary);
}

/**
 * The element for `bundle`, or null when it holds nothing showable except
 * text (the caller shows `text/plain` or Markdown as a message).
 */
export function mimeElement(bundle: MimeBundle): HTMLElement | null {
  const alt = typeof bundle["text/plain"] === "string" ? bundle["text/plain"].slice(0, 200) : "";
  for (const type of RASTER) {
    const data = bundle[type]?.replace(/\s+/g, "");
    if (data && BASE64.test(data)) return image(`data:${type};base64,${data}`, alt);
  }
  const svg = bundle["image/svg+xml"];
  if (typeof svg === "string") {
    return image(`data:image/svg+xml;base64,${utf8Base64(sanitizeSvg(svg))}`, alt);
  }
  const html = bundle["text/html"];
  if (typeof html === "string") {
    const box = document.createElement("div");
    box.className = "pw-mime-html";
    box.append(sanitizeHtml(html));
    return box;
  }
  return null;
}
