/**
 * What draws a reader's attention in the chat: who is typing (from ephemeral
 * `typing` frames, docs/protocol.md) and messages that mention them.
 */

import { type User, displayName } from "./room";

/** How long a `typing` frame keeps its sender listed (the room relays one per 2 s). */
const TYPING_SHOWN_MS = 4000;
/** Least time between two `typing` frames we send (the room drops closer ones anyway). */
export const TYPING_SEND_MS = 2000;

/** Who is typing now, by connection id; `onChange` fires when the list changes. */
export class Typists {
  private timers = new Map<string, { user: User; timer: ReturnType<typeof setTimeout> }>();

  constructor(private readonly onChange: () => void) {}

  typing(id: string, user: User): void {
    const known = this.timers.get(id);
    if (known) clearTimeout(known.timer);
    this.timers.set(id, { user, timer: setTimeout(() => this.stopped(id), TYPING_SHOWN_MS) });
    if (!known) this.onChange();
  }

  /** `id` sent a message or left: no longer typing. */
  stopped(id: string): void {
    const known = this.timers.get(id);
    if (!known) return;
    clearTimeout(known.timer);
    this.timers.delete(id);
    this.onChange();
  }

  /** "alice is typing…", "alice and bob are typing…", "3 people are typing…", or "". */
  text(): string {
    const names = [...new Set([...this.timers.values()].map((entry) => displayName(entry.user)))];
    if (names.length === 0) return "";
    if (names.length === 1) return `${names[0]} is typing…`;
    if (names.length === 2) return `${names[0]} and ${names[1]} are typing…`;
    return `${names.length} people are typing…`;
  }

  clear(): void {
    for (const { timer } of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
  }
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/**
 * Whether `content` mentions `user`: `@username`, `@display name` or a kernel
 * bot's `@label`, not inside a longer word (`@al` does not mention `alice`),
 * case-insensitive. Mirrors `protocol.chat.mentions`.
 */
export function mentions(content: unknown, user: User | undefined): boolean {
  if (typeof content !== "string" || !user) return false;
  const names = [user.username, user.display_name, user.name, user.label].filter((n): n is string => !!n);
  return names.some((name) =>
    new RegExp(`(^|[^\\w@])@${escapeRegExp(name)}(?![\\w-])`, "iu").test(content));
}
