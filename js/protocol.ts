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
  /** A verified client's bot label (`connect(name=...)`), shown after the name, never instead. */
  label?: string;
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

/**
 * The `yjs` party: who may edit the document now, sent to clients that asked
 * (`?controls=1`) as y-partyserver custom messages (`__YPS:` text frames) on
 * connect and after every lock change (partywidget.protocol.yjs.Access).
 */
export const YJS_CONTROLS_PARAM = "controls";
export interface Access {
  type: "access";
  locked: boolean;
  moderator: boolean;
}

/** A `custom-message` of y-partyserver's provider as an Access frame; anything else is `null`. */
export function parseAccess(text: unknown): Access | null {
  const frame = parseFrame(text);
  return frame?.type === "access" ? { type: "access", locked: !!frame.locked, moderator: !!frame.moderator } : null;
}

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
/** Pages 0..MAX_PAGES-1; an entry without `page` is on page 0. */
export const MAX_PAGES = 20;
/** A page's name, at most (partywidget.protocol.board.MAX_PAGE_NAME); shown as text. */
export const MAX_PAGE_NAME = 40;

export type Point = [number, number];

/** A stroke's drawing as the board sends and stores it. */
export interface Ink {
  points: Point[];
  color: string;
  width: number;
  page?: number;
  /** Below 1 for a highlighter (ink you see through); absent for a pen. */
  alpha?: number;
  /** The pen's pressure (0..1) at each point, when the device reports it. */
  pressure?: number[];
}

/** A stored stroke (`stroke` frames and the `state` join frame). */
export interface Stroke extends Ink {
  id: number;
  from?: string;
  user: User;
  sid?: string;
}

/** Typed items (partywidget.protocol.board_items): drawn in a box `x, y, w, h`. */
export type ItemKind = "line" | "arrow" | "rect" | "ellipse" | "text" | "note" | "image";
/** Kinds drawn from `x, y` to `x + w, y + h` (w/h may be negative). */
export const LINE_KINDS: ReadonlySet<string> = new Set(["line", "arrow"]);
export const NOTE_COLOR = "#fff59d";
export const MAX_TEXT = 2000;
/** An image's PNG/JPEG bytes, at most (partywidget.protocol.board_items.MAX_IMAGE_BYTES). */
export const MAX_IMAGE_BYTES = 96_000;

/** An item as the board sends and stores it (only its kind's fields). */
export interface ItemFields {
  kind: ItemKind;
  x: number;
  y: number;
  w?: number;
  h?: number;
  color: string;
  width?: number;
  fill?: string;
  text?: string;
  size?: number;
  /** An image's reference: the SHA-256 of its bytes, set by the room host. */
  src?: string;
  page?: number;
}

/** A stored item (`item` frames and, with a `kind`, entries of the `state` join frame). */
export interface Item extends ItemFields {
  id: number;
  from?: string;
  user: User;
  sid?: string;
}

/** What the board holds, in board order: strokes and items. */
export type Entry = Stroke | Item;

export function isItem<T extends Entry | Ink | ItemFields>(entry: T): entry is Extract<T, ItemFields> {
  return "kind" in entry;
}

/** The `board` party: what a client sends. */
export const board = {
  /** Points of a stroke in progress (relayed to the others, never stored). */
  draw: (sid: string, ink: Ink) => ({ type: "draw", sid, ...ink }),
  /** A finished stroke (stored; its echo is the acknowledgement). */
  stroke: (sid: string, ink: Ink) => ({ type: "stroke", sid, ...ink }),
  /** A line, arrow, box or ellipse being dragged out (relayed to the others, never stored). */
  shape: (sid: string, fields: ItemFields) => ({ type: "shape", sid, ...fields }),
  /** A typed item (stored; its `item` echo is the acknowledgement). */
  item: (sid: string, fields: ItemFields) => ({ type: "item", sid, ...fields }),
  /** An image item with its PNG/JPEG bytes (base64); the room host stores them once. */
  image: (sid: string, fields: ItemFields, data: string) => ({ type: "item", sid, ...fields, data }),
  /** Ask for an image's bytes; the answer is `{"type": "image", "src", "mime", "data"}`. */
  getImage: (src: string) => ({ type: "getImage", src }),
  /** Shift a stroke or item (or give an item a new extent, `size`): it comes back as
   * `erased` (old id) then `stroke`/`item`. */
  move: (id: number, dx: number, dy: number, size?: [number, number]) =>
    size ? { type: "move", id, dx, dy, w: size[0], h: size[1] } : { type: "move", id, dx, dy },
  erase: (id: number) => ({ type: "erase", id }),
  undo: () => ({ type: "undo" }),
  /** The page a moderator is on, for everyone following the teacher. */
  page: (page: number) => ({ type: "page", page }),
  /** Name a page (moderators; "" clears it): kept, relayed, given to every joiner. */
  pageName: (page: number, name: string) => ({ type: "pageName", page, name }),
  redo: () => ({ type: "redo" }),
  cursor: (x: number, y: number) => ({ type: "cursor", x, y }),
};

/** The `poll` party (partywidget.protocol.poll): what a client sends. */
export const poll = {
  /** Ask a poll (moderators): replaces the room's poll and its ballots. */
  create: (question: string, options: string[], flags: { multiple: boolean; anonymous: boolean; hidden: boolean }) =>
    ({ type: "create", question, options, ...flags }),
  /** The sender's ballot (option indices); `[]` withdraws it. */
  vote: (choices: number[]) => ({ type: "vote", choices }),
  close: (closed: boolean) => ({ type: "close", closed }),
  reveal: (revealed: boolean) => ({ type: "reveal", revealed }),
  reset: () => ({ type: "reset" }),
};

/** A poll as the `poll` frame shows it to its recipient (`counts`/`voters` by role). */
export interface PollView {
  question: string;
  options: string[];
  multiple: boolean;
  anonymous: boolean;
  closed: boolean;
  revealed: boolean;
  total: number;
  counts: number[] | null;
  voters: string[][] | null;
  mine: number[];
}

/** The `hands` party (partywidget.protocol.hands): what a client sends. */
export const hands = {
  raise: () => ({ type: "raise" }),
  /** Lower one's own hand, or (teachers) `username`'s. */
  lower: (username?: string) => (username === undefined ? { type: "lower" } : { type: "lower", username }),
  ask: (text: string) => ({ type: "ask", text }),
  upvote: (id: number, up: boolean) => ({ type: "upvote", id, up }),
  answer: (id: number) => ({ type: "answer", id }),
  dismiss: (id: number) => ({ type: "dismiss", id }),
};

/** An open question as the `hands` frame shows it (`author` for teachers only). */
export interface HandsQuestion {
  id: number;
  text: string;
  at: number;
  votes: number;
  voted: boolean;
  mine: boolean;
  author?: string;
}

/** Raised hands and questions as the `hands` frame shows them to its recipient. */
export interface HandsView {
  raised: number;
  position: number | null;
  hands: { username: string; name: string; at: number }[] | null;
  questions: HandsQuestion[];
}

/** The `quiz` party (partywidget.protocol.quiz): what a client sends; teachers' close,
 * reveal and reset are the poll's frames. */
export const quiz = {
  submit: (question: number, value: string) => ({ type: "submit", question, value }),
};

/** A quiz as the `quiz` frame shows it: `answer`/`correct` once revealed (teachers: always). */
export interface QuizView {
  questions: { question: string; choices: string[] | null; answer?: string }[];
  closed: boolean;
  revealed: boolean;
  submitted: number;
  mine: (string | null)[];
  correct: (boolean | null)[] | null;
  scores?: { username: string; name: string; answers: (string | null)[]; correct: (boolean | null)[]; score: number }[];
}

/** The `snippets` party (partywidget.protocol.snippets): what a teacher sends. */
export const snippets = {
  push: (code: string, language: string) => ({ type: "push", code, language }),
  clear: moderation.clear,
};

/** A pushed snippet (the `snippets` frame's `items`, oldest first). */
export interface Snippet {
  id: number;
  code: string;
  language: string;
  by: string;
  at: number;
}
