/**
 * A chat room's messages as a view holds them: the server's order, deduped by
 * id, replaced or continued per the delivery contract, plus our sends that
 * await their echo (docs/protocol.md, main party).
 */

import type { ChatMessage, Frame, User } from "./protocol";
import type { ResumePoint } from "./room";

export type { ChatMessage };

/** A send awaiting its echo: what it said, and the id it answers. */
export interface PendingPost {
  content: unknown;
  replyTo?: number;
}

export type LogChange =
  | "reset"
  | "pending"
  | { append: ChatMessage }
  /** The oldest `dropped` messages left the log (past the room's history bound). */
  | { dropped: number }
  | { deleted: number }
  /** An edit or reaction changed the held message (a new object). */
  | { changed: ChatMessage }
  | { refused: unknown; reason: string }
  /** Ephemeral: connection `typing` is typing (never part of the log). */
  | { typing: string; user: User };

/**
 * Error codes by which the server refuses a message it was sent. The server
 * handles one socket's frames in order and acknowledges each stored message,
 * so a refusal is about our oldest unacknowledged send.
 */
const REFUSALS = new Set(["locked", "too_large", "bad_message", "duplicate"]);

/** Messages of one room as the server ordered them, plus our unacknowledged sends. */
export class ChatLog {
  messages: ChatMessage[] = [];
  epoch = "";
  /** Sent but not yet echoed back, by cid: retried with the same cid (stored once). */
  readonly pending = new Map<string, PendingPost>();
  /** How many messages the room keeps (`welcome.history`): a view never holds more. */
  limit = Infinity;
  private ids = new Set<number>();
  /** Highest entry id applied (messages, edits, reactions): where a resume starts. */
  private lastId = 0;
  private listeners = new Set<(change: LogChange) => void>();

  resumePoint(): ResumePoint | null {
    return this.lastId && this.epoch ? { since: this.lastId, epoch: this.epoch } : null;
  }

  /** Apply one server frame; returns whether our pending sends must be retried. */
  apply(frame: Frame): boolean {
    switch (frame.type) {
      case "welcome":
        if (typeof frame.history === "number" && frame.history > 0) this.limit = frame.history;
        return false;
      case "history": {
        // Delivery contract: recovered=false means "this is the whole retained
        // history", so it replaces ours; recovered=true continues it.
        if (!frame.recovered) {
          this.messages = [];
          this.ids.clear();
          this.lastId = 0;
        }
        this.epoch = frame.epoch ?? this.epoch;
        for (const message of frame.messages ?? []) this.add(message, false);
        this.trim();
        this.emit("reset");
        return true;
      }
      case "message":
        if (this.add(frame as unknown as ChatMessage, true)) {
          const dropped = this.trim();
          if (dropped) this.emit({ dropped });
        }
        return false;
      case "deleted":
        this.messages = this.messages.filter((m) => m.id !== frame.id);
        // One row goes; the rest of the list (typeset math, images) stays as it is.
        if (typeof frame.id === "number") this.emit({ deleted: frame.id });
        return false;
      case "edited":
      case "reacted":
        this.add(frame as unknown as ChatMessage, true);
        return false;
      case "cleared":
        this.messages = [];
        this.ids.clear();
        this.lastId = 0;
        this.epoch = frame.epoch ?? this.epoch;
        this.emit("reset");
        return false;
      case "typing":
        if (typeof frame.id === "string") this.emit({ typing: frame.id, user: frame.user ?? {} });
        return false;
      case "error":
        if (REFUSALS.has(frame.code)) this.refuseOldest(String(frame.message ?? frame.code));
        return false;
    }
    return false;
  }

  /** The held message with id `id`, if any (to quote what a reply answers). */
  find(id: number): ChatMessage | undefined {
    return this.ids.has(id) ? this.messages.find((m) => m.id === id) : undefined;
  }

  /** Dedupe by id: a message can arrive live and again in a resumed history. */
  private add(message: ChatMessage, live: boolean): boolean {
    if (typeof message.id !== "number" || this.ids.has(message.id) || message.id <= this.lastId) return false;
    this.lastId = message.id;
    const entry = message as unknown as Frame;
    if (entry.type === "edited" || entry.type === "reacted") {
      this.change(entry, live);
      return false;
    }
    this.ids.add(message.id);
    this.messages.push(message);
    if (message.cid && this.pending.delete(message.cid)) this.emit("pending");
    if (live) this.emit({ append: message });
    return true;
  }

  /** Keep the newest `limit` messages, as the room does; how many were dropped. */
  private trim(): number {
    const excess = this.messages.length - this.limit;
    if (excess <= 0) return 0;
    for (const old of this.messages.splice(0, excess)) this.ids.delete(old.id);
    return excess;
  }

  /** Fold an edit or reaction into the message it targets (ignored if not held). */
  private change(entry: Frame, live: boolean): void {
    const index = this.messages.findIndex((m) => m.id === entry.target);
    if (index < 0) return;
    const folded = foldChange(this.messages[index], entry);
    this.messages[index] = folded;
    if (live) this.emit({ changed: folded });
  }

  private refuseOldest(reason: string): void {
    const oldest = this.pending.keys().next();
    if (oldest.done) return;
    const post = this.pending.get(oldest.value);
    this.pending.delete(oldest.value);
    this.emit("pending");
    this.emit({ refused: post?.content, reason });
  }

  onChange(listener: (change: LogChange) => void, signal: AbortSignal): void {
    this.listeners.add(listener);
    signal.addEventListener("abort", () => this.listeners.delete(listener));
  }

  emit(change: LogChange): void {
    for (const listener of this.listeners) listener(change);
  }
}

/** `message` with one `edited`/`reacted` entry applied (ChatHistory's fold_change mirrored). */
export function foldChange(message: ChatMessage, entry: Frame): ChatMessage {
  if (entry.type === "edited") return { ...message, content: entry.content, edited: entry.timestamp };
  const name = entry.user?.username;
  if (typeof entry.emoji !== "string" || typeof name !== "string") return message;
  const reactions: Record<string, string[]> = {};
  for (const [emoji, names] of Object.entries(message.reactions ?? {})) reactions[emoji] = [...names];
  const names = (reactions[entry.emoji] ??= []);
  if (entry.on && !names.includes(name)) names.push(name);
  if (!entry.on) reactions[entry.emoji] = names.filter((n) => n !== name);
  for (const emoji of Object.keys(reactions)) if (!reactions[emoji].length) delete reactions[emoji];
  return { ...message, reactions };
}

export function newCid(): string {
  return crypto.randomUUID?.() ?? `${Date.now().toString(36)}${Math.random().toString(36).slice(2)}`;
}

