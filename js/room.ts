/**
 * The room connection shared by every view of one widget model.
 *
 * A widget model has one {@link RoomLink} (one socket per model, shared by its
 * views, see {@link SharedLink}), closed at the latest in the cleanup of
 * anywidget's `initialize`; each `render` subscribes to it.
 * Two transports carry the same JSON frames (docs/protocol.md):
 *
 * - a `partysocket` WebSocket to the Jupyter server extension or a room host,
 *   authenticated by the page's same-origin cookies (no token ever lives in
 *   widget state);
 * - the kernel relay, where the page has no room host to reach (VS Code, Colab,
 *   Voila without the extension) or `endpoint="relay"` forces it: frames travel
 *   as widget custom messages and the kernel's RoomClient holds the socket.
 */

import PartySocket from "partysocket";
import { FINAL_CLOSE_CODES, type Frame, type User, moderation, parseFrame } from "./protocol";

export type { Frame, User };

export type Status = "connecting" | "live" | "reconnecting" | "closed";

/** Traits every room widget syncs (partywidget/widgets/room_widget.py). */
export interface RoomTraits {
  room: string;
  party: string;
  _endpoint: string;
  /** Where the page's Jupyter server serves rooms (`c.PartyWidget.url_prefix`). */
  _prefix: string;
}

/** The part of anywidget's model proxy the widgets use. */
export interface Model<T> {
  get<K extends keyof T>(key: K): T[K];
  set<K extends keyof T>(key: K, value: T[K]): void;
  save_changes(): void;
  on(name: string, callback: (...args: any[]) => void): void;
  off(name?: string | null, callback?: ((...args: any[]) => void) | null): void;
  send(content: unknown, callbacks?: unknown, buffers?: unknown): void;
}

/** Where a reconnect resumes: the last stored id seen, in that stream's epoch. */
export interface ResumePoint {
  since: number;
  epoch: string;
}

type Where =
  | { kind: "relay" }
  | { kind: "socket"; host: string; protocol: "ws" | "wss"; signIn?: string };

/** Page config of JupyterLab 4 / Notebook 7, if this page is one of them. */
function jupyterBaseUrl(): string | null {
  const element = document.getElementById("jupyter-config-data");
  if (!element?.textContent) return null;
  try {
    const config = JSON.parse(element.textContent);
    return typeof config.baseUrl === "string" ? config.baseUrl : "/";
  } catch {
    return null;
  }
}

/**
 * Resolve the `_endpoint` trait: "" auto (the page's Jupyter server, rooms under
 * `prefix`), "relay", or a room host base URL/path.
 */
export function resolveEndpoint(endpoint: string, prefix = "partywidget"): Where {
  const secure = location.protocol === "https:";
  if (endpoint === "relay") return { kind: "relay" };
  if (endpoint === "") {
    const baseUrl = jupyterBaseUrl();
    // No Jupyter page config: nobody serves rooms to this page, the kernel must relay.
    if (baseUrl === null) return { kind: "relay" };
    const base = baseUrl.endsWith("/") ? baseUrl : baseUrl + "/";
    return { kind: "socket", host: location.host + base + prefix, protocol: secure ? "wss" : "ws" };
  }
  // A room host at another base: rooms live at {endpoint}/parties/{party}/{room}.
  const url = new URL(endpoint, location.href);
  const path = url.pathname.replace(/\/+$/, "");
  const protocol = url.protocol === "https:" || url.protocol === "wss:" ? "wss" : "ws";
  // Same-origin room hosts may be JupyterHub services, which need a sign-in visit.
  const signIn = url.origin === location.origin ? path + "/" : undefined;
  return { kind: "socket", host: url.host + path, protocol, signIn };
}

/** Where {@link visitRoomHost} keeps the visits in flight, shared by every bundle of the page. */
const VISITS = Symbol.for("partywidget.roomHostVisits");

/**
 * JupyterHub services authenticate browsers with an OAuth cookie that a
 * WebSocket cannot obtain: it cannot follow the hub's redirects. A same-origin
 * GET of the service's root follows them silently (the service is configured
 * with `oauth_no_confirm`) and stores the cookie the socket then carries.
 * `no-cors`: JupyterHub accepts a service cookie on a script's GET without an
 * XSRF token only in that mode (same-origin `cors` GETs would loop through the
 * OAuth redirects). Elsewhere it is a harmless GET. See docs/jupyterhub.md.
 */
export async function visitRoomHost(url: string): Promise<void> {
  // Widgets of one page visiting at once share one visit: two concurrent OAuth
  // flows of one service overwrite each other's state cookie at JupyterHub, and
  // both fail (a poll and a quiz in one notebook never joined). The map lives on
  // globalThis because each widget's bundle has its own copy of this module.
  const visits: Map<string, Promise<void>> = ((globalThis as any)[VISITS] ??= new Map());
  let visit = visits.get(url);
  if (visit === undefined) {
    visit = fetch(url, { mode: "no-cors", credentials: "same-origin", cache: "no-store" })
      .then(
        () => undefined,
        () => undefined, // offline or refused: the socket attempt that follows reports it
      )
      .finally(() => visits.delete(url));
    visits.set(url, visit);
  }
  await visit;
}

interface Transport {
  send(text: string): void;
  close(): void;
}

interface TransportEvents {
  frame(frame: Frame): void;
  open(): void;
  /** The connection is gone; `final` (with the reason to show) when no retry will follow. */
  drop(final: boolean, reason?: string): void;
}

/** What a final close code means for the person looking at the widget (docs/protocol.md). */
const FINAL_CLOSE_REASONS: Record<number, string> = {
  4001: "another connection of yours took over this one",
  4003: "a moderator removed you from this room",
  1008: "the room host refused what this page sent",
};

/** Longest host-supplied reason shown (it comes from the network: bounded, shown as text). */
const MAX_REASON = 200;

/**
 * Why a room host refuses this page's joins, or `null` when a retry may help.
 *
 * A browser never sees the HTTP status of a refused WebSocket handshake (the
 * socket just fails), so after an attempt that never opened, the room's own
 * HTTP address is asked with the same cookies: the host runs the same checks
 * there (docs/protocol.md, "HTTP status codes of the room host"). 400 (name),
 * 401/403 (credentials, room group, removed) and 404 (no such party) cannot be
 * fixed by retrying; a party that answers no HTTP (the board) says 404
 * `not_found` in JSON, which means the room itself is fine. `no-cors`, as in
 * {@link visitRoomHost}: a JupyterHub service takes its cookie on a script's GET
 * without an XSRF token only in that mode (a `cors` GET is "Sign in" there), and
 * the redirects of its sign-in are followed, so only a real refusal remains. A
 * same-origin `no-cors` response is readable; a cross-origin one is opaque
 * (status 0): no reason, keep retrying.
 */
export async function refusalReason(url: string): Promise<string | null> {
  let response: Response;
  try {
    response = await fetch(url, { mode: "no-cors", credentials: "same-origin", cache: "no-store" });
  } catch {
    return null; // offline: keep retrying
  }
  if (![400, 401, 403, 404].includes(response.status)) return null;
  let body: any = null;
  try {
    body = await response.json();
  } catch {
    // Tornado's error pages are HTML: the reason is the status line's.
  }
  const partyError = body?.type === "error";
  if (response.status === 404 && partyError && body.code === "not_found") return null;
  const detail = partyError && typeof body.message === "string" ? body.message : response.statusText;
  return `${String(detail || "refused").slice(0, MAX_REASON)} (HTTP ${response.status})`;
}

export function socketTransport(
  where: { host: string; protocol: "ws" | "wss"; signIn?: string },
  room: string,
  party: string,
  resume: () => ResumePoint | null,
  events: TransportEvents,
): Transport {
  const socket = new PartySocket({
    host: where.host,
    room,
    party,
    protocol: where.protocol,
    // partysocket re-evaluates a query function on every (re)connect, so each
    // attempt resumes from the newest id seen (delivery contract: since/epoch),
    // and (re)obtains a hub service's cookie first, should it have expired.
    query: async () => {
      if (where.signIn) await visitRoomHost(where.signIn);
      const point = resume();
      return point ? { since: String(point.since), epoch: point.epoch } : {};
    },
    shouldReconnectOnClose: (event) => !FINAL_CLOSE_CODES.has(event.code),
    // A frame sent while offline waits in partysocket's queue; bound it.
    maxEnqueuedMessages: 200,
  });
  const httpUrl = `${where.protocol === "wss" ? "https" : "http"}://${where.host}/parties/${encodeURIComponent(party)}/${encodeURIComponent(room)}`;
  // A host that does not namespace ids by user refuses a `_pk` another user
  // holds (409), which a browser only sees as a socket that never opened:
  // after two such attempts in a row, the next one presents a new `_pk`.
  let opened = false;
  let unopened = 0;
  let stopped = false;
  socket.addEventListener("open", () => {
    opened = true;
    unopened = 0;
    events.open();
  });
  socket.addEventListener("message", (event) => {
    const frame = parseFrame(event.data);
    if (frame) events.frame(frame);
  });
  socket.addEventListener("close", (event) => {
    const neverOpened = !opened;
    if (neverOpened && ++unopened >= 2) {
      unopened = 0;
      // randomUUID exists in secure contexts only (a hub on plain http is not one).
      const id = crypto.randomUUID?.() ?? `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;
      socket.updateProperties({ id });
    }
    opened = false;
    if (stopped) return;
    if (FINAL_CLOSE_CODES.has(event.code)) {
      stopped = true;
      events.drop(true, String(event.reason || FINAL_CLOSE_REASONS[event.code] || "closed").slice(0, MAX_REASON));
      return;
    }
    events.drop(false);
    // A handshake refused: find out why; stop retrying what cannot succeed.
    if (neverOpened)
      void refusalReason(httpUrl).then((reason) => {
        if (reason === null || stopped || opened) return;
        stopped = true;
        socket.close();
        events.drop(true, reason);
      });
  });
  return {
    send: (text) => socket.send(text),
    close: () => {
      stopped = true;
      socket.close();
    },
  };
}

/**
 * Kernel relay: `{kind: "frame", data}` both ways; `{kind: "hello"}` asks the
 * kernel for a fresh welcome + history/state, because custom messages sent
 * before this model existed in the page were lost (anywidget docs).
 */
function relayTransport(model: Model<RoomTraits>, events: TransportEvents): Transport {
  const onCustom = (message: any) => {
    if (message?.kind === "frame") {
      const frame = parseFrame(message.data);
      if (frame) events.frame(frame);
    } else if (message?.kind === "status") {
      if (message.status === "open") events.open();
      else events.drop(message.status === "closed");
    }
  };
  model.on("msg:custom", onCustom);
  model.send({ kind: "hello" });
  return {
    send: (text) => model.send({ kind: "frame", data: text }),
    close: () => model.off("msg:custom", onCustom),
  };
}

type Listener<T> = (value: T) => void;

/** One model's connection to its room: frames in, frames out, a status. */
export class RoomLink {
  status: Status = "connecting";
  /** `id` and `user` of this connection, from the last welcome. */
  self: { id: string; user: User } | null = null;
  /** Users online, keyed by connection id. */
  readonly users = new Map<string, User>();
  /** Read-only for non-moderators (a moderator's `lock`; from welcome and `locked`). */
  locked = false;
  /** Last error frame or reason the link stopped. */
  problem = "";
  readonly mode: "relay" | "socket";
  private transport: Transport;
  private frameListeners = new Set<Listener<Frame>>();
  private changeListeners = new Set<Listener<RoomLink>>();

  /** `resume` says where a reconnect continues (`since`/`epoch`); none: from scratch. */
  constructor(model: Model<RoomTraits>, resume: () => ResumePoint | null = () => null) {
    const where = resolveEndpoint(model.get("_endpoint") ?? "", model.get("_prefix") || "partywidget");
    this.mode = where.kind;
    const events: TransportEvents = {
      frame: (frame) => this.receive(frame),
      open: () => {}, // "live" only once the welcome arrived
      drop: (final, reason) => {
        this.self = null;
        this.users.clear();
        if (reason) this.problem = reason;
        this.setStatus(final ? "closed" : "reconnecting");
      },
    };
    this.transport =
      where.kind === "relay"
        ? relayTransport(model, events)
        : socketTransport(where, model.get("room"), model.get("party"), resume, events);
  }

  send(frame: object): void {
    this.transport.send(JSON.stringify(frame));
  }

  close(): void {
    this.transport.close();
    this.setStatus("closed");
    this.frameListeners.clear();
    this.changeListeners.clear();
  }

  /** Call `listener` for every frame until `signal` aborts (or the link closes). */
  onFrame(listener: Listener<Frame>, signal?: AbortSignal): void {
    this.frameListeners.add(listener);
    signal?.addEventListener("abort", () => this.frameListeners.delete(listener));
  }

  /** Call `listener` when status, presence or problem change, until `signal` aborts. */
  onChange(listener: Listener<RoomLink>, signal: AbortSignal): void {
    this.changeListeners.add(listener);
    signal.addEventListener("abort", () => this.changeListeners.delete(listener));
  }

  private receive(frame: Frame): void {
    switch (frame.type) {
      case "welcome":
        this.self = { id: frame.id, user: frame.user ?? {} };
        this.users.clear();
        for (const entry of frame.users ?? []) this.users.set(entry.id, entry.user ?? {});
        this.users.set(frame.id, frame.user ?? {});
        this.locked = !!frame.locked;
        this.problem = "";
        this.setStatus("live");
        break;
      case "locked":
        this.locked = !!frame.locked;
        this.changed();
        break;
      case "userJoined":
        this.users.set(frame.id, frame.user ?? {});
        this.changed();
        break;
      case "userLeft":
        this.users.delete(frame.id);
        this.changed();
        break;
      case "error":
        this.problem = String(frame.message ?? frame.code ?? "error");
        this.changed();
        break;
    }
    for (const listener of this.frameListeners) listener(frame);
  }

  /** Whether this connection may moderate (the room host's `user.moderator`). */
  get moderator(): boolean {
    return !!this.self?.user.moderator;
  }

  private setStatus(status: Status): void {
    if (this.status === "closed") return; // closing is final for this model
    this.status = status;
    this.changed();
  }

  private changed(): void {
    for (const listener of this.changeListeners) listener(this);
  }
}

/** How long a link outlives its last view, so re-rendering a cell does not rejoin. */
const LINGER_MS = 2000;

/**
 * One model's link, open while at least one view shows the model.
 *
 * Every page attached to a kernel gets a model for each of its widgets, shown
 * or not (another tab's widgets too), so connecting in `initialize` would
 * make every page join every room. Views share the link; when the last one
 * goes (cell cleared or closed, notebook closed) the socket closes. The
 * widget's store outlives links, so the next link resumes where it stopped.
 */
export class SharedLink<L extends { close(): void } = RoomLink> {
  private link: L | null = null;
  private views = 0;
  private linger: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly open: () => L) {}

  acquire(): L {
    clearTimeout(this.linger);
    this.views++;
    this.link ??= this.open();
    return this.link;
  }

  release(): void {
    if (--this.views === 0) this.linger = setTimeout(() => this.close(), LINGER_MS);
  }

  close(): void {
    clearTimeout(this.linger);
    this.link?.close();
    this.link = null;
  }
}

/** Online users, one entry per person (several tabs/kernels of one user collapse), with one of their connection ids. */
export function distinctUsers(link: RoomLink): { id: string; user: User }[] {
  const seen = new Map<string, { id: string; user: User }>();
  for (const [id, user] of link.users) {
    // A JSON array, not joined text: "ann#kernel" and "ann" + kernel must differ.
    const key = JSON.stringify([user.username ?? user.name ?? "?", Boolean(user.kernel),
      user.label ?? ""]);
    if (!seen.has(key)) seen.set(key, { id, user });
  }
  return [...seen.values()];
}

export function displayName(user: User | undefined): string {
  const name = user?.display_name || user?.name || user?.username || "someone";
  // A bot's label follows the verified name, never replaces it (docs/protocol.md).
  if (user?.label) return `${name} · ${user.label}`;
  return user?.kernel ? `${name} (kernel)` : name;
}

/** A stable colour for users whose identity has none (hash of the username). */
export function userColor(user: User | undefined): string {
  if (user?.color) return user.color;
  const key = user?.username ?? user?.name ?? "";
  let hash = 0;
  for (let i = 0; i < key.length; i++) hash = (hash * 31 + key.charCodeAt(i)) | 0;
  return `hsl(${Math.abs(hash) % 360} 55% 45%)`;
}

export function initials(user: User | undefined): string {
  if (user?.initials) return user.initials.slice(0, 2);
  const name = user?.display_name || user?.name || user?.username || "?";
  const parts = name.split(/[\s._-]+/).filter(Boolean);
  return ((parts[0]?.[0] ?? "?") + (parts[1]?.[0] ?? "")).toUpperCase();
}

/** Create an element with a class and, optionally, text (always textContent). */
export function element<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  className: string,
  text?: string,
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

/** A round badge with the user's initials in their colour. */
export function avatar(user: User | undefined): HTMLElement {
  const node = element("span", "pw-avatar", initials(user));
  node.style.background = userColor(user);
  node.title = displayName(user);
  return node;
}

/** How long a "click again to remove" stays armed. */
const CONFIRM_MS = 4000;

/**
 * An online user's badge. For moderators, others' badges are buttons that
 * remove that participant (`{"type": "remove", "id"}`: all their connections,
 * and they cannot rejoin while the room stays loaded). The first click only
 * arms it ("click again"), so a stray click removes nobody; no `confirm()`
 * dialog, which would block the whole notebook page.
 */
function onlineBadge(link: RoomLink, entry: { id: string; user: User }): HTMLElement {
  // The room host removes a user with all their connections: never offer to remove ourselves.
  if (!link.moderator || entry.user.username === link.self?.user.username) return avatar(entry.user);
  const button = element("button", "pw-avatar pw-removable", initials(entry.user));
  button.type = "button";
  button.style.background = userColor(entry.user);
  const name = displayName(entry.user);
  button.title = `${name}: click to remove from the room`;
  button.setAttribute("aria-label", `Remove ${name} from the room`);
  let armed: ReturnType<typeof setTimeout> | undefined;
  button.addEventListener("click", () => {
    if (armed === undefined) {
      button.classList.add("pw-armed");
      button.title = `Click again to remove ${name}`;
      armed = setTimeout(() => {
        armed = undefined;
        button.classList.remove("pw-armed");
        button.title = `${name}: click to remove from the room`;
      }, CONFIRM_MS);
      return;
    }
    clearTimeout(armed);
    link.send(moderation.remove(entry.id));
  });
  return button;
}

/** An online badge's width and the gap between badges (room.css `.pw-online`). */
const BADGE_PX = 22;
const BADGE_GAP = 2;

/**
 * The header both widgets show: title, who is online, connection status; kept
 * live. `controls` (moderator buttons) go before the status.
 */
export function roomHeader(title: string, link: RoomLink, signal: AbortSignal, controls: HTMLElement[] = []): HTMLElement {
  const header = element("div", "pw-head");
  const online = element("div", "pw-online");
  let shown = "";
  // How many badges fit in the space the header leaves (flex: 1, so it does not
  // depend on the badges): more people collapse into "+N" (issue 18, item 7).
  let fits = Infinity;
  const update = () => {
    const users = distinctUsers(link);
    // Rebuild only when who is online (or our rights, or how many fit) changed: an armed remove survives other updates.
    const key = JSON.stringify([link.moderator, link.self?.id, fits, users.map((u) => [u.id, u.user])]);
    if (key === shown) return;
    shown = key;
    const badges = users.length > fits ? users.slice(0, Math.max(0, fits - 1)) : users;
    online.replaceChildren(...badges.map((entry) => onlineBadge(link, entry)));
    const hidden = users.slice(badges.length);
    if (hidden.length) {
      const more = element("span", "pw-avatar pw-more", `+${hidden.length}`);
      more.title = hidden.map((u) => displayName(u.user)).join(", ");
      online.append(more);
    }
    online.title = users.map((u) => displayName(u.user)).join(", ") + " online";
  };
  update();
  link.onChange(update, signal);
  if (typeof ResizeObserver !== "undefined") {
    const observer = new ResizeObserver(() => {
      fits = Math.max(1, Math.floor((online.clientWidth + BADGE_GAP) / (BADGE_PX + BADGE_GAP)));
      // (at least one: the "+N" badge, which room.css always leaves room for)
      update();
    });
    observer.observe(online);
    signal.addEventListener("abort", () => observer.disconnect());
  }
  header.append(element("span", "pw-title", title), online, ...controls, statusPill(link, signal),
    refusalLine(link, signal));
  return header;
}

/**
 * Why the link stopped for good ("Cannot join: ..."), on its own line of the
 * header: a refused join or a removal is said in the widget, not only in the
 * browser console (issue 18: nothing fails silently). Text only.
 */
function refusalLine(link: RoomLink, signal: AbortSignal): HTMLElement {
  const line = element("div", "pw-refusal");
  line.setAttribute("role", "alert");
  const update = () => {
    const shown = link.status === "closed" && link.problem !== "";
    line.hidden = !shown;
    line.textContent = shown ? `Cannot join: ${link.problem}` : "";
  };
  update();
  link.onChange(update, signal);
  return line;
}

/**
 * What the moderation controls need of a link: Chat's and Board's `RoomLink`,
 * and Notes' document link (js/notes.ts), whose lock travels beside Yjs frames.
 */
export interface Moderated {
  readonly locked: boolean;
  readonly moderator: boolean;
  send(frame: object): void;
  onChange(listener: () => void, signal: AbortSignal): void;
}

/** A header/toolbar button shown to moderators only (the room host refuses others anyway). */
export function moderatorButton(label: string, title: string, link: Moderated, signal: AbortSignal): HTMLButtonElement {
  const button = element("button", "pw-mod", label);
  button.type = "button";
  button.title = title;
  const update = () => {
    button.hidden = !link.moderator;
  };
  update();
  link.onChange(update, signal);
  return button;
}

/** Moderators' lock toggle: read-only for everyone else (`{"type": "lock", "locked"}`). */
export function lockToggle(link: Moderated, signal: AbortSignal): HTMLButtonElement {
  const button = moderatorButton("Lock", "", link, signal);
  button.classList.add("pw-lock");
  const update = () => {
    button.textContent = link.locked ? "Unlock" : "Lock";
    button.title = link.locked ? "Let everyone write again" : "Make the room read-only for non-moderators";
    button.setAttribute("aria-pressed", String(link.locked));
  };
  update();
  link.onChange(update, signal);
  button.addEventListener("click", () => link.send(moderation.lock(!link.locked)), { signal });
  return button;
}

/** The read-only banner: shown while the room is locked, worded for who reads it. */
export function lockBanner(link: Moderated, signal: AbortSignal, what: string): HTMLElement {
  const banner = element("div", "pw-banner");
  banner.setAttribute("role", "status");
  const update = () => {
    banner.hidden = !link.locked;
    banner.textContent = link.moderator
      ? `Locked: this ${what} is read-only for participants (moderators can still write).`
      : `Locked: a moderator made this ${what} read-only for now.`;
  };
  update();
  link.onChange(update, signal);
  return banner;
}

/** The status pill both widgets show: connecting / live / reconnecting / closed. */
export function statusPill(link: RoomLink, signal: AbortSignal): HTMLElement {
  const pill = element("span", "pw-status");
  const update = () => {
    pill.dataset.status = link.status;
    pill.textContent = link.status + (link.mode === "relay" ? " (via kernel)" : "");
    pill.title = link.problem || `room ${link.status}`;
  };
  update();
  link.onChange(update, signal);
  return pill;
}
