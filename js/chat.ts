/**
 * The Chat widget: a room of the `main` party (docs/protocol.md).
 *
 * Every piece of user content is rendered with `textContent`, never as HTML:
 * a message `<img src=x onerror=...>` shows those characters and runs nothing.
 */

import "./room.css";
import "./chat.css";
import {
  type Frame,
  type Model,
  type ResumePoint,
  RoomLink,
  type RoomTraits,
  SharedLink,
  type User,
  displayName,
  distinctUsers,
  element,
  initials,
  statusPill,
  userColor,
} from "./room";

type ChatTraits = RoomTraits;

interface ChatMessage {
  id: number;
  from: string;
  user: User;
  content: unknown;
  timestamp: number;
  cid?: string;
}

type LogChange = "reset" | "pending" | { append: ChatMessage };

/** Messages of one room as the server ordered them, plus our unacknowledged sends. */
class ChatLog {
  messages: ChatMessage[] = [];
  epoch = "";
  /** Sent but not yet echoed back, by cid: retried with the same cid (stored once). */
  readonly pending = new Map<string, unknown>();
  private ids = new Set<number>();
  private listeners = new Set<(change: LogChange) => void>();

  resumePoint(): ResumePoint | null {
    const last = this.messages[this.messages.length - 1];
    return last && this.epoch ? { since: last.id, epoch: this.epoch } : null;
  }

  /** Apply one server frame; returns whether our pending sends must be retried. */
  apply(frame: Frame): boolean {
    switch (frame.type) {
      case "history": {
        // Delivery contract: recovered=false means "this is the whole retained
        // history", so it replaces ours; recovered=true continues it.
        if (!frame.recovered) {
          this.messages = [];
          this.ids.clear();
        }
        this.epoch = frame.epoch ?? this.epoch;
        for (const message of frame.messages ?? []) this.add(message, false);
        this.emit("reset");
        return true;
      }
      case "message":
        this.add(frame as unknown as ChatMessage, true);
        return false;
      case "deleted":
        this.messages = this.messages.filter((m) => m.id !== frame.id);
        this.emit("reset");
        return false;
      case "cleared":
        this.messages = [];
        this.ids.clear();
        this.epoch = frame.epoch ?? this.epoch;
        this.emit("reset");
        return false;
    }
    return false;
  }

  /** Dedupe by id: a message can arrive live and again in a resumed history. */
  private add(message: ChatMessage, live: boolean): void {
    if (typeof message.id !== "number" || this.ids.has(message.id)) return;
    this.ids.add(message.id);
    this.messages.push(message);
    if (message.cid && this.pending.delete(message.cid)) this.emit("pending");
    if (live) this.emit({ append: message });
  }

  onChange(listener: (change: LogChange) => void, signal: AbortSignal): void {
    this.listeners.add(listener);
    signal.addEventListener("abort", () => this.listeners.delete(listener));
  }

  emit(change: LogChange): void {
    for (const listener of this.listeners) listener(change);
  }
}

function newCid(): string {
  return crypto.randomUUID?.() ?? `${Date.now().toString(36)}${Math.random().toString(36).slice(2)}`;
}

function contentText(content: unknown): string {
  return typeof content === "string" ? content : JSON.stringify(content);
}

function timeLabel(timestamp: number): [string, string] {
  const date = new Date(timestamp);
  return [date.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" }), date.toLocaleString()];
}

function avatar(user: User | undefined): HTMLElement {
  const node = element("span", "pw-avatar", initials(user));
  node.style.background = userColor(user);
  node.title = displayName(user);
  return node;
}

function messageRow(message: ChatMessage, mine: boolean): HTMLElement {
  const row = element("div", "pw-msg" + (mine ? " pw-mine" : "") + (message.user?.kernel ? " pw-kernel" : ""));
  row.dataset.id = String(message.id);
  const body = element("div", "pw-msg-body");
  const head = element("div", "pw-msg-head");
  const name = element("span", "pw-name", displayName(message.user));
  name.style.color = userColor(message.user);
  const [short, full] = timeLabel(message.timestamp);
  const time = element("time", "pw-time", short);
  time.title = full;
  time.dateTime = new Date(message.timestamp).toISOString();
  head.append(name, time);
  body.append(head, element("div", "pw-text", contentText(message.content)));
  row.append(avatar(message.user), body);
  return row;
}

function pendingRow(content: unknown): HTMLElement {
  const row = element("div", "pw-msg pw-mine pw-pending");
  const body = element("div", "pw-msg-body");
  body.append(element("div", "pw-msg-head", "sending…"), element("div", "pw-text", contentText(content)));
  row.append(element("span", "pw-avatar"), body);
  return row;
}

/** How close to the bottom still counts as "following the conversation". */
const STICKY_PX = 40;

export default () => {
  let shared: SharedLink;
  let log: ChatLog;

  return {
    initialize({ model }: { model: Model<ChatTraits> }) {
      log = new ChatLog();
      shared = new SharedLink(() => {
        const link = new RoomLink(model, () => log.resumePoint());
        link.onFrame((frame) => {
          // After (re)joining, retry what was not acknowledged: same cid, so the
          // server stores it once even if the first attempt did arrive.
          if (log.apply(frame)) for (const [cid, content] of log.pending) link.send({ content, cid });
        });
        return link;
      });
      return () => shared.close();
    },

    render({ model, el }: { model: Model<ChatTraits>; el: HTMLElement }) {
      const controller = new AbortController();
      const { signal } = controller;
      const link = shared.acquire();
      const root = element("div", "pw-root pw-chat");
      // JupyterLab must not treat keys typed here as notebook shortcuts.
      root.dataset.lmSuppressShortcuts = "true";

      const header = element("div", "pw-head");
      const title = element("span", "pw-title", `# ${model.get("room")}`);
      const online = element("div", "pw-online");
      header.append(title, online, statusPill(link, signal));

      const scroller = element("div", "pw-log");
      scroller.setAttribute("role", "log");
      scroller.setAttribute("aria-live", "polite");
      const list = element("div", "pw-list");
      const pendingList = element("div", "pw-list");
      const empty = element("div", "pw-empty", "No messages yet. Say hello!");
      scroller.append(empty, list, pendingList);
      const hint = element("button", "pw-new", "New messages ↓");
      hint.type = "button";
      hint.hidden = true;

      const form = element("form", "pw-compose");
      const input = element("textarea", "pw-input");
      input.rows = 1;
      input.placeholder = "Message (Enter to send, Shift+Enter for a new line)";
      input.setAttribute("aria-label", "Message");
      const button = element("button", "pw-send", "Send");
      button.type = "submit";
      form.append(input, button);
      root.append(header, scroller, hint, form);
      el.append(root);

      // Our own messages come back from the server on our connection id.
      const mine = (message: ChatMessage) => message.from === link.self?.id;
      const atBottom = () => scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight < STICKY_PX;
      const toBottom = () => {
        scroller.scrollTop = scroller.scrollHeight;
        hint.hidden = true;
      };
      const renderAll = () => {
        const follow = atBottom();
        list.replaceChildren(...log.messages.map((m) => messageRow(m, mine(m))));
        empty.hidden = log.messages.length > 0 || log.pending.size > 0;
        if (follow) toBottom();
      };
      const renderPending = () => {
        pendingList.replaceChildren(...[...log.pending.values()].map(pendingRow));
        empty.hidden = log.messages.length > 0 || log.pending.size > 0;
      };
      const renderPresence = () => {
        online.replaceChildren(...distinctUsers(link).map(avatar));
        online.title = distinctUsers(link).map(displayName).join(", ") + " online";
        form.classList.toggle("pw-offline", link.status !== "live");
      };

      log.onChange((change) => {
        if (change === "reset") renderAll();
        else if (change === "pending") renderPending();
        else {
          // Stick to the bottom unless the reader scrolled up; then only hint.
          const follow = atBottom() || mine(change.append);
          list.append(messageRow(change.append, mine(change.append)));
          empty.hidden = true;
          if (follow) toBottom();
          else hint.hidden = false;
        }
      }, signal);
      link.onChange(renderPresence, signal);
      renderAll();
      renderPending();
      renderPresence();
      toBottom();

      const send = () => {
        const content = input.value;
        if (!content.trim()) return;
        const cid = newCid();
        log.pending.set(cid, content);
        // While not live the send waits in `pending` and goes out after the next
        // history (see sendPending), so it is never queued twice.
        if (link.status === "live") link.send({ content, cid });
        input.value = "";
        renderPending();
        toBottom();
      };
      form.addEventListener("submit", (event) => {
        event.preventDefault();
        send();
      }, { signal });
      input.addEventListener("keydown", (event) => {
        event.stopPropagation(); // keys typed here are text, not notebook commands
        if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
          event.preventDefault();
          send();
        }
      }, { signal });
      scroller.addEventListener("scroll", () => {
        if (atBottom()) hint.hidden = true;
      }, { signal, passive: true });
      hint.addEventListener("click", toBottom, { signal });

      return () => {
        controller.abort();
        root.remove();
        shared.release();
      };
    },
  };
};
