/**
 * The board's tools and keyboard shortcuts: one table, so each button's
 * tooltip names the key that picks it (issue 16: "keyboard shortcuts shown in
 * tooltips").
 */

import type { ItemKind } from "./protocol";

export type Tool = "select" | "pen" | "highlighter" | ItemKind | "erase";

export interface ToolSpec {
  tool: Tool;
  label: string;
  title: string;
  key: string;
}

export const TOOLS: ToolSpec[] = [
  { tool: "select", label: "Select", title: "Select and move your items; Delete removes", key: "v" },
  { tool: "pen", label: "Pen", title: "Draw freehand", key: "p" },
  { tool: "highlighter", label: "Highlighter", title: "Highlight: wide ink you see through", key: "h" },
  { tool: "line", label: "Line", title: "Draw a straight line", key: "l" },
  { tool: "arrow", label: "Arrow", title: "Draw an arrow", key: "a" },
  { tool: "rect", label: "Box", title: "Draw a rectangle", key: "r" },
  { tool: "ellipse", label: "Ellipse", title: "Draw an ellipse", key: "o" },
  { tool: "text", label: "Text", title: "Click to write text; Enter places it", key: "t" },
  { tool: "note", label: "Note", title: "Click to add a sticky note; Enter places it", key: "n" },
  { tool: "erase", label: "Erase", title: "Erase mode: click one of your strokes or items", key: "e" },
];

/** Keys of the commands that are not tools, as shown in their tooltips. */
export const SHORTCUTS = { undo: "Ctrl+Z", redo: "Ctrl+Shift+Z", fill: "F", fit: "0" };

export function titled(title: string, key: string): string {
  return `${title} (${key.length === 1 ? key.toUpperCase() : key})`;
}

export type Command = Tool | "undo" | "redo" | "delete" | "deselect" | "fill" | "zoomIn" | "zoomOut" | "fit";

/** What a key press asks for, or null; text being typed is never a shortcut. */
export function shortcut(event: KeyboardEvent): Command | null {
  const target = event.target as HTMLElement | null;
  if (target && (target.tagName === "TEXTAREA" || target.tagName === "INPUT")) return null;
  const key = event.key.toLowerCase();
  if (event.ctrlKey || event.metaKey) {
    if (key === "z") return event.shiftKey ? "redo" : "undo";
    return key === "y" ? "redo" : null;
  }
  if (event.altKey) return null;
  if (key === "delete" || key === "backspace") return "delete";
  if (key === "escape") return "deselect";
  if (key === SHORTCUTS.fill.toLowerCase()) return "fill";
  if (key === "+" || key === "=") return "zoomIn";
  if (key === "-") return "zoomOut";
  if (key === SHORTCUTS.fit) return "fit";
  return TOOLS.find((spec) => spec.key === key)?.tool ?? null;
}
