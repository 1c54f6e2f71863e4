/**
 * The Notes widget: a shared Markdown editor on a room of the `yjs` party
 * (docs/shared-documents.md).
 *
 * CodeMirror 6 bound by `y-codemirror.next` to the `Y.Text` named by the
 * `field` trait, synced by the stock `y-partyserver` provider straight from the
 * page to the room host (same endpoint resolution and cookies as Chat and
 * Board, js/room.ts). Remote cursors carry the `user` the server stamped into
 * each awareness state; y-codemirror.next draws names as text nodes.
 */

import "./room.css";
import "./notes.css";
import * as Y from "yjs";
import YProvider from "y-partyserver/provider";
import { yCollab } from "y-codemirror.next";
import { EditorView, basicSetup } from "codemirror";
import { markdown } from "@codemirror/lang-markdown";
import { FINAL_CLOSE_CODES, type User } from "./protocol";
import {
  type Model,
  type RoomTraits,
  type Status,
  SharedLink,
  avatar,
  displayName,
  element,
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
class NotesLink {
  readonly doc = new Y.Doc();
  readonly text: Y.Text;
  readonly provider: YProvider | null = null;
  status: Status = "connecting";
  problem = "";
  private wasLive = false;
  private stopThrottle = () => {};
  private listeners = new Set<() => void>();

  constructor(model: Model<NotesTraits>) {
    this.text = this.doc.getText(model.get("field") || "notes");
    const where = resolveEndpoint(model.get("_endpoint") ?? "", model.get("_prefix") || "partywidget");
    if (where.kind === "relay") {
      // The kernel relay carries JSON text frames only; a document needs a socket.
      this.status = "closed";
      this.problem = "Notes needs a room host this page can reach (no kernel relay for documents)";
      return;
    }
    const provider = new YProvider(where.host, model.get("room"), this.doc, {
      party: model.get("party") || "yjs",
      protocol: where.protocol,
      // Re-run on every reconnect: a JupyterHub service's cookie first (js/room.ts).
      params: async () => {
        if (where.signIn) await visitRoomHost(where.signIn);
        return {};
      },
    });
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
  }

  /** Live once the room's document arrived on the current socket. */
  private update(): void {
    if (this.status === "closed" || !this.provider) return;
    const live = this.provider.wsconnected && this.provider.synced;
    this.wasLive ||= live;
    this.status = live ? "live" : this.wasLive ? "reconnecting" : "connecting";
    this.changed();
  }

  /** Others' awareness `user`s (server-stamped), one per Yjs client. */
  others(): User[] {
    if (!this.provider) return [];
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
    this.provider?.destroy();
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
      header.append(element("span", "pw-title", `✎ ${model.get("room")}`), onlineList(link, signal), statusPill(link, signal));
      const body = element("div", "pw-editor");
      root.append(header, body);
      el.append(root);

      const extensions = [basicSetup, markdown(), EditorView.lineWrapping, jupyterTheme];
      if (link.provider) extensions.push(yCollab(link.text, link.provider.awareness));
      const editor = new EditorView({ doc: link.text.toString(), extensions, parent: body });
      const editable = () => body.classList.toggle("pw-offline", link.status !== "live");
      editable();
      link.onChange(editable, signal);

      return () => {
        controller.abort();
        editor.destroy();
        root.remove();
        shared.release();
      };
    },
  };
};
