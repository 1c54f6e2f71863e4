/**
 * The chat's history as a Markdown file to download: the same transcript as
 * the kernel's `chat.to_markdown()` (partywidget/client/transcript.py, whose
 * layout this mirrors), built in the page from the messages it holds.
 */

import type { ChatMessage } from "./protocol";
import { displayName } from "./room";

const IMAGES = ["image/png", "image/jpeg", "image/gif"];

function fenced(text: string, info: string): string {
  let fence = "```";
  while (text.includes(fence)) fence += "`"; // longer than any backtick run inside
  return `${fence}${info}\n${text}\n${fence}`;
}

function body(message: ChatMessage): string {
  const mime = message.mime ?? {};
  const alt = ((mime["text/plain"] ?? "").split("\n")[0] || "image").replace(/]/g, ")");
  for (const kind of IMAGES) {
    if (typeof mime[kind] === "string") return `![${alt}](data:${kind};base64,${mime[kind]})`;
  }
  if (typeof mime["text/markdown"] === "string") return mime["text/markdown"];
  if (typeof message.content === "string") return message.content;
  return fenced(JSON.stringify(message.content, null, 1), "json");
}

/** A paragraph "Reactions: 👍 2 (ada, bob) · 🎉 1 (cy)" after the content, or "" (transcript.py's `_reactions`). */
function reactions(message: ChatMessage): string {
  const chips = Object.entries(message.reactions ?? {}).filter(([, names]) => names.length)
    .map(([emoji, names]) => `${emoji} ${names.length} (${names.join(", ")})`);
  return chips.length ? `\n\nReactions: ${chips.join(" · ")}` : "";
}

function utcMinute(timestamp: number): string {
  return new Date(timestamp).toISOString().slice(0, 16).replace("T", " ") + " UTC";
}

export function toMarkdown(messages: ChatMessage[], title: string): string {
  const parts = [`# ${title}`, ...messages.map((m) =>
    `**${displayName(m.user)}** · ${utcMinute(m.timestamp)}\n\n${body(m)}${reactions(m)}`)];
  return parts.join("\n\n---\n\n") + "\n";
}

/** Save `text` as a file named `name` (a Blob URL on a temporary link: nothing leaves the page). */
export function download(text: string, name: string): void {
  const url = URL.createObjectURL(new Blob([text], { type: "text/markdown" }));
  const link = document.createElement("a");
  link.href = url;
  link.download = name;
  link.click();
  setTimeout(() => URL.revokeObjectURL(url), 0);
}
