/**
 * Name colours that stay readable: a user's hue, at a lightness that gives
 * WCAG AA contrast (4.5:1 for normal text) against JupyterLab's light and dark
 * backgrounds (issue 18, item 7: the dark-red kernel name on the dark theme).
 * Each name carries both colours as CSS variables; chat.css picks one by the
 * page's theme, so a theme switch needs no re-render.
 */

import { type User, userColor } from "./room";

/** WCAG AA for normal text, plus a margin for the tinted rows (a mention's highlight). */
const TARGET = 5;
/**
 * Backgrounds names are drawn on: JupyterLab Light's --jp-layout-color1 (white)
 * and a shade lighter than Dark's (#212121), so a slightly lighter dark theme reads too.
 */
const LIGHT_BG: Rgb = [255, 255, 255];
const DARK_BG: Rgb = [40, 40, 40];

type Rgb = [number, number, number];

function channel(value: number): number {
  const c = value / 255;
  return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
}

/** Relative luminance (WCAG 2.x). */
function luminance([r, g, b]: Rgb): number {
  return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b);
}

/** Contrast ratio of two colours (WCAG 2.x), 1 to 21. */
export function contrast(a: Rgb, b: Rgb): number {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (hi + 0.05) / (lo + 0.05);
}

function hslToRgb(h: number, s: number, l: number): Rgb {
  const a = s * Math.min(l, 1 - l);
  const f = (n: number) => {
    const k = (n + h / 30) % 12;
    return Math.round(255 * (l - a * Math.max(-1, Math.min(k - 3, 9 - k, 1))));
  };
  return [f(0), f(8), f(4)];
}

/** Hue (degrees) and saturation (0-1) of `#rgb`, `#rrggbb` or `hsl(h s% l%)`; null otherwise. */
function hueOf(color: string): [number, number] | null {
  const hsl = /^hsl\(\s*([\d.]+)[\s,]+([\d.]+)%/.exec(color);
  if (hsl) return [Number(hsl[1]), Number(hsl[2]) / 100];
  const hex = /^#([\da-f]{3}|[\da-f]{6})$/i.exec(color);
  if (!hex) return null;
  const digits = hex[1].length === 3 ? [...hex[1]].map((d) => d + d).join("") : hex[1];
  const [r, g, b] = [0, 2, 4].map((i) => parseInt(digits.slice(i, i + 2), 16) / 255);
  const max = Math.max(r, g, b);
  const min = Math.min(r, g, b);
  const l = (max + min) / 2;
  if (max === min) return [0, 0];
  const d = max - min;
  const s = d / (1 - Math.abs(2 * l - 1));
  const h = max === r ? ((g - b) / d) % 6 : max === g ? (b - r) / d + 2 : (r - g) / d + 4;
  return [(h * 60 + 360) % 360, s];
}

/** The lightness nearest `start`, stepping by `step`, that reads on `bg`. */
function readable(h: number, s: number, start: number, step: number, bg: Rgb): string {
  let l = start;
  while (l > 0 && l < 1 && contrast(hslToRgb(h, s, l), bg) < TARGET) l += step;
  const [r, g, b] = hslToRgb(h, s, Math.min(1, Math.max(0, l)));
  return `rgb(${r}, ${g}, ${b})`;
}

/**
 * `user`'s name colour for light and dark backgrounds, in their own hue (a
 * colour that is not a literal, e.g. a CSS variable, gives way to the hashed hue).
 */
export function nameColors(user: User | undefined): { light: string; dark: string } {
  const hashed = hueOf(userColor({ ...user, color: undefined })) ?? [0, 0];
  const [h, s] = (user?.color && hueOf(user.color)) || hashed;
  return { light: readable(h, s, 0.42, -0.02, LIGHT_BG), dark: readable(h, s, 0.62, 0.02, DARK_BG) };
}

/** Colour `node` (a name) readably in both themes (chat.css `.pw-name`). */
export function colorName(node: HTMLElement, user: User | undefined): void {
  const { light, dark } = nameColors(user);
  node.style.setProperty("--pw-name-light", light);
  node.style.setProperty("--pw-name-dark", dark);
}
