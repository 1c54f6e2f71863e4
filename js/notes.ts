/**
 * The Notes widget: a shared Markdown editor on a room of the `yjs` party
 * (docs/shared-documents.md).
 *
 * CodeMirror 6 bound by `y-codemirror.next` to the `Y.Text` named by the
 * `field` trait, synced by the stock `y-partyserver` provider straight from the
 * page to the room host (same endpoint resolution and cookies as Chat and
 * Board, js/room.ts), or, where the kernel relays (it names the room host:
 * `PARTYWIDGET_URL`), through sockets tunnelled by the kernel
 * (js/notes-tunnel.ts). Remote cursors carry the `user` the server stamped into
 * each awareness state; y-codemirror.next draws names as text nodes.
 *
 * The room tells this provider (it asks with `?controls=1`) whether the
 * document is locked and whether we moderate: non-moderators then get a
 * banner and a read-only editor, moderators a Lock toggle (js/room.ts, as in
 * Chat and Board). Preview renders the Markdown through the chat's lazily
 * loaded, sanitizing renderer (js/render-lazy.ts), never by itself.
 */

import "./room.css";
// The preview's rendered-Markdown styles (.pw-rich) are the chat's.
import "./chat.css";
import "./notes.css";
import * as Y from "yjs";
import YProvider from "y-partyserver/provider";
import { yCollab } from "y-codemirror.next";
import { EditorView, basicSetup } from "codemirror";
import { Compartment, EditorState } from "@codemirror/state";
import { markdown } from "@codemirror/lang-markdown";
import { FINAL_CLOSE_CODES, YJS_CONTROLS_PARAM, type User, parseAccess } from "./protocol";
import { renderContent } from "./render-lazy";
import { type TunnelSockets, tunnelSockets } from "./notes-tunnel";
import {
  type Model,
  type Moderated,
  type RoomTraits,
  type Status,
  SharedLink,
  avatar,
  displayName,
  element,
  lockBanner,
  lockToggle,
  resolveEndpoint,
  visitRoomHost,
} from "./room";

interface NotesTraits extends RoomTraits {
  /** Name of the document's `Y.Text` the editor shows (`doc.getText(field)`). */
  field: string;
}

/** Our cursor/selection goes out at most this often (10 Hz: docs/shared-documents.md, limits). */
const AWARENESS_MS = 100;

type Awareness = YProvider["awareness"];

/**
 * Coalesce the editor's `cursor` awareness updates to one per `ms` (leading and
 * trailing edge): y-codemirror.next sets it on every selection change, and the
 * provider sends each at once, which the room relays to everyone.
 */
function throttleCursor(awareness: Awareness, ms: number): () => void {
  const set = awareness.setLocalStateField.bind(awareness);
  let timer: ReturnType<typeof setTimeout> | undefined;
  let last = 0;
  let pending: { value: unknown } | null = null;
  const flush = () => {
    timer = undefined;
    if (!pending) return;
    const { value } = pending;
    pending = null;
    last = Date.now();
    set("cursor", value);
  };
  awareness.setLocalStateField = (field: string, value: unknown) => {
    if (field !== "cursor") return set(field, value);
    pending = { value };
    if (timer !== undefined) return;
    const wait = last + ms - Date.now();
    if (wait <= 0) flush();
    else timer = setTimeout(flush, wait);
  };
  return () => clearTimeout(timer);
}

/** One model's document and provider, shared by its views (see SharedLink). */
class NotesLink implements Moderated {
  readonly doc = new Y.Doc();
  readonly text: Y.Text;
  readonly provider: YProvider;
  /** The kernel relay's sockets, when the page joins through the kernel. */
  private tunnel: TunnelSockets | null = null;
  status: Status = "connecting";
  problem = "";
  /** From the room's `access` frames: locked by a moderator, and whether we are one. */
  locked = false;
  moderator = false;
  private wasLive = false;
  private stopThrottle = () => {};
  private listeners = new Set<() => void>();

  constructor(model: Model<NotesTraits>) {
    this.text = this.doc.getText(model.get("field") || "notes");
    const where = resolveEndpoint(model.get("_endpoint") ?? "", model.get("_prefix") || "partywidget");
    const options = { party: model.get("party") || "yjs" };
    let provider: YProvider;
    if (where.kind === "relay") {
      // Only the kernel knows the room host (and holds its token): the provider's
      // sockets are tunnels through it (js/notes-tunnel.ts), so this page edits
      // the kernel's document. The host below is never contacted, and no
      // BroadcastChannel may join pages relaying to different hosts by its name.
      this.tunnel = tunnelSockets(model as Model<unknown>);
      provider = new YProvider("kernel-relay", model.get("room"), this.doc, {
        ...options,
        WebSocketPolyfill: this.tunnel.Socket,
        disableBc: true,
      });
    } else {
      provider = new YProvider(where.host, model.get("room"), this.doc, {
        ...options,
        protocol: where.protocol,
        // Re-run on every reconnect: a JupyterHub service's cookie first (js/room.ts).
        params: async () => {
          if (where.signIn) await visitRoomHost(where.signIn);
          return { [YJS_CONTROLS_PARAM]: "1" };
        },
      });
    }
    this.provider = provider;
    this.stopThrottle = throttleCursor(provider.awareness, AWARENESS_MS);
    provider.on("status", () => this.update());
    provider.on("sync", () => this.update());
    provider.on("connection-close", (event: CloseEvent | null) => {
      if (event && FINAL_CLOSE_CODES.has(event.code)) {
        // Refused for good (auth, unknown party, removed): stop retrying.
        this.problem = event.reason || `closed (${event.code})`;
        provider.disconnect();
        this.status = "closed";
        this.changed();
      }
    });
    provider.awareness.on("change", () => this.changed());
    provider.on("custom-message", (text: string) => {
      const access = parseAccess(text);
      if (!access) return;
      this.locked = access.locked;
      this.moderator = access.moderator;
      this.changed();
    });
  }

  /** Edits would be dropped by the room (locked, and we do not moderate). */
  get readOnly(): boolean {
    return this.locked && !this.moderator;
  }

  /** A moderation frame (`lock`) as a text frame beside the Yjs ones. */
  send(frame: object): void {
    this.provider.sendMessage(JSON.stringify(frame));
  }

  /** Live once the room's document arrived on the current socket. */
  private update(): void {
    if (this.status === "closed") return;
    const live = this.provider.wsconnected && this.provider.synced;
    this.wasLive ||= live;
    this.status = live ? "live" : this.wasLive ? "reconnecting" : "connecting";
    this.changed();
  }

  /** Others' awareness `user`s (server-stamped), one per Yjs client. */
  others(): User[] {
    return [...this.provider.awareness.getStates()]
      .filter(([clientID, state]) => clientID !== this.doc.clientID && state?.user)
      .map(([, state]) => state.user as User);
  }

  onChange(listener: () => void, signal: AbortSignal): void {
    this.listeners.add(listener);
    signal.addEventListener("abort", () => this.listeners.delete(listener));
  }

  private changed(): void {
    for (const listener of this.listeners) listener();
  }

  close(): void {
    this.stopThrottle();
    this.provider.destroy();
    this.tunnel?.dispose();
    this.doc.destroy();
    this.listeners.clear();
  }
}

/** CodeMirror in JupyterLab's colours (light and dark themes follow by themselves). */
const jupyterTheme = EditorView.theme({
  "&": { color: "var(--pw-fg)", backgroundColor: "var(--pw-bg)", height: "100%" },
  ".cm-content": { fontFamily: "var(--jp-code-font-family, monospace)", caretColor: "var(--pw-fg)" },
  ".cm-cursor, .cm-dropCursor": { borderLeftColor: "var(--pw-fg)" },
  ".cm-gutters": { backgroundColor: "var(--pw-bg2)", color: "var(--pw-fg2)", borderRight: "1px solid var(--pw-border)" },
  ".cm-activeLine, .cm-activeLineGutter": { backgroundColor: "var(--jp-layout-color2, rgba(0,0,0,0.04))" },
  "&.cm-focused .cm-selectionBackground, .cm-selectionBackground, ::selection": {
    backgroundColor: "var(--jp-editor-selected-background, #d7d4f0)",
  },
});

function statusPill(link: NotesLink, signal: AbortSignal): HTMLElement {
  const pill = element("span", "pw-status");
  const update = () => {
    pill.dataset.status = link.status;
    pill.textContent = link.status;
    pill.title = link.problem || `document ${link.status}`;
  };
  update();
  link.onChange(update, signal);
  return pill;
}

function onlineList(link: NotesLink, signal: AbortSignal): HTMLElement {
  const online = element("div", "pw-online");
  let shown = "";
  const update = () => {
    const clients = link.others();
    online.dataset.clients = String(clients.length);
    // One badge per person (several tabs or kernels of one user collapse).
    const users = [...new Map(clients.map((user) => [String(user.username ?? user.name), user])).values()];
    const key = JSON.stringify(users);
    if (key === shown) return;
    shown = key;
    online.replaceChildren(...users.map(avatar));
    online.title = users.length ? users.map(displayName).join(", ") + " also here" : "";
  };
  update();
  link.onChange(update, signal);
  return online;
}

/**
 * Edit / Preview: switches `root` between the editor and the rendered Markdown,
 * redrawn (at most once a frame) while shown and the text changes. Only the
 * sanitizing renderer makes HTML here (render-lazy.ts, js/render/).
 */
function previewToggle(root: HTMLElement, view: HTMLElement, text: Y.Text, signal: AbortSignal): HTMLButtonElement {
  const button = element("button", "pw-preview-toggle", "Preview");
  button.type = "button";
  let frame = 0;
  const previewing = () => root.classList.contains("pw-previewing");
  const draw = () => {
    frame = 0;
    if (previewing()) renderContent(view, text.toString(), undefined, true);
  };
  const schedule = () => {
    frame ||= requestAnimationFrame(draw);
  };
  const show = (on: boolean) => {
    root.classList.toggle("pw-previewing", on);
    button.textContent = on ? "Edit" : "Preview";
    button.title = on ? "Back to the editor" : "Show the notes rendered (Markdown, math, code)";
    button.setAttribute("aria-pressed", String(on));
    if (on) draw();
  };
  show(false);
  button.addEventListener("click", () => show(!previewing()), { signal });
  text.observe(schedule);
  signal.addEventListener("abort", () => {
    text.unobserve(schedule);
    cancelAnimationFrame(frame);
  });
  return button;
}

export default () => {
  let shared: SharedLink<NotesLink>;

  return {
    initialize({ model }: { model: Model<NotesTraits> }) {
      shared = new SharedLink(() => new NotesLink(model));
      return () => shared.close();
    },

    render({ model, el }: { model: Model<NotesTraits>; el: HTMLElement }) {
      const controller = new AbortController();
      const { signal } = controller;
      const link = shared.acquire();
      const root = element("div", "pw-root pw-notes");
      // JupyterLab must not treat keys typed here as notebook shortcuts.
      root.dataset.lmSuppressShortcuts = "true";
      root.addEventListener("keydown", (event) => event.stopPropagation(), { signal });
      const header = element("div", "pw-head");
      const rendered = element("div", "pw-preview pw-text pw-rich");
      header.append(element("span", "pw-title", `✎ ${model.get("room")}`), onlineList(link, signal),
        previewToggle(root, rendered, link.text, signal), lockToggle(link, signal), statusPill(link, signal));
      const body = element("div", "pw-editor");
      root.append(header, lockBanner(link, signal, "document"), body, rendered);
      el.append(root);

      // Read-only while a moderator's lock holds for us: the room would drop our edits.
      const access = new Compartment();
      const readOnly = (locked: boolean) => [EditorState.readOnly.of(locked), EditorView.editable.of(!locked)];
      const extensions = [basicSetup, markdown(), EditorView.lineWrapping, jupyterTheme, access.of(readOnly(link.readOnly))];
      extensions.push(yCollab(link.text, link.provider.awareness));
      const editor = new EditorView({ doc: link.text.toString(), extensions, parent: body });
      let shownReadOnly = link.readOnly;
      const update = () => {
        body.classList.toggle("pw-offline", link.status !== "live");
        body.classList.toggle("pw-readonly", link.readOnly);
        if (link.readOnly !== shownReadOnly) {
          shownReadOnly = link.readOnly;
          editor.dispatch({ effects: access.reconfigure(readOnly(shownReadOnly)) });
        }
      };
      update();
      link.onChange(update, signal);

      return () => {
        controller.abort();
        editor.destroy();
        root.remove();
        shared.release();
      };
    },
  };
};
