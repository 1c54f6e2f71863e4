/**
 * The wire contract of the built-in parties, for the front ends: the one place
 * that spells each frame a widget sends, and the shapes of what it receives.
 * It mirrors `partywidget/protocol/` (docs/protocol.md documents every frame).
 */

/** A JSON frame of the wire contract: `{"type": ..., ...}`. */
export type Frame = { type: string; [key: string]: any };

/** The identity the room host attaches to a connection (docs/protocol.md, "Users"). */
export interface User {
  username?: string;
  name?: string;
  display_name?: string;
  initials?: string;
  color?: string | null;
  kernel?: boolean;
  moderator?: boolean;
}

/**
 * Close codes after which reconnecting cannot help (partywidget.protocol.close):
 * 4001 replaced by a newer connection with the same id, 4003 removed by a
 * moderator, 1008 refused by policy.
 */
export const FINAL_CLOSE_CODES: ReadonlySet<number> = new Set([4001, 4003, 1008]);

/** Parse a text frame of a built-in party; anything else is `null`. */
export function parseFrame(text: unknown): Frame | null {
  if (typeof text !== "string") return null; // the built-in parties send JSON text only
  try {
    const value = JSON.parse(text);
    return value && typeof value === "object" && typeof value.type === "string" ? value : null;
  } catch {
    return null;
  }
}

/** Frames every built-in party takes from moderators. */
export const moderation = {
  lock: (locked: boolean) => ({ type: "lock", locked }),
  clear: () => ({ type: "clear" }),
  remove: (id: string) => ({ type: "remove", id }),
};

/** The `main` party (chat): what a client sends. */
export const chat = {
  /** A message; `cid` makes a retried send idempotent (stored once); `reply_to` the id it answers. */
  post: (content: unknown, cid: string, replyTo?: number) =>
    replyTo === undefined ? { content, cid } : { content, cid, reply_to: replyTo },
  delete: (id: number) => ({ type: "delete", id }),
  /** New content for our own message `id` (an `edited` entry; the room checks authorship). */
  edit: (id: number, content: unknown) => ({ type: "edit", id, content }),
  /** Add (`on`) or take back our `emoji` reaction to message `id`. */
  react: (id: number, emoji: string, on: boolean) => ({ type: "react", id, emoji, on }),
  /** "I am typing": relayed to the others, never stored (at most one per 2 s is relayed). */
  typing: () => ({ type: "typing" }),
};

/** A stored chat message (`message` frames and the `history` join frame). */
export interface ChatMessage {
  id: number;
  from: string;
  user: User;
  content: unknown;
  /** A kernel's rich output (`chat.send(figure)`): MIME type to data (base64 for images). */
  mime?: Record<string, string>;
  /** The id of the message this one answers. */
  reply_to?: number;
  timestamp: number;
  cid?: string;
  /** Folded edits (docs/protocol.md): when the author last edited it. */
  edited?: number;
  /** Folded reactions: emoji to the usernames holding it. */
  reactions?: Record<string, string[]>;
}

/** The `board` party: its space and limits (partywidget.protocol.board). */
export const BOARD_WIDTH = 1000;
export const BOARD_HEIGHT = 625;
export const MAX_POINTS = 5000;

export type Point = [number, number];

/** A stroke's drawing as the board sends and stores it. */
export interface Ink {
  points: Point[];
  color: string;
  width: number;
}

/** A stored stroke (`stroke` frames and the `state` join frame). */
export interface Stroke extends Ink {
  id: number;
  from?: string;
  user: User;
  sid?: string;
}

/** The `board` party: what a client sends. */
export const board = {
  /** Points of a stroke in progress (relayed to the others, never stored). */
  draw: (sid: string, ink: Ink) => ({ type: "draw", sid, ...ink }),
  /** A finished stroke (stored; its echo is the acknowledgement). */
  stroke: (sid: string, ink: Ink) => ({ type: "stroke", sid, ...ink }),
  erase: (id: number) => ({ type: "erase", id }),
  undo: () => ({ type: "undo" }),
  cursor: (x: number, y: number) => ({ type: "cursor", x, y }),
};
