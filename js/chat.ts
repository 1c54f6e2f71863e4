/**
 * The Chat widget: a room of the `main` party (docs/protocol.md).
 *
 * Every piece of user content is rendered with `textContent`, never as HTML:
 * a message `<img src=x onerror=...>` shows those characters and runs nothing.
 */

import "./room.css";
import "./chat.css";
import {
  type Model,
  RoomLink,
  type RoomTraits,
  SharedLink,
  avatar,
  displayName,
  element,
  lockBanner,
  lockToggle,
  moderatorButton,
  roomHeader,
  userColor,
} from "./room";
import { type ChatMessage, ChatLog, newCid } from "./chat-log";
import { chat as frames, moderation } from "./protocol";

type ChatTraits = RoomTraits;

function contentText(content: unknown): string {
  return typeof content === "string" ? content : JSON.stringify(content);
}

function timeLabel(timestamp: number): [string, string] {
  const date = new Date(timestamp);
  return [date.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" }), date.toLocaleString()];
}

/**
 * One message. `onDelete` (given when we may delete it: our own, or any for
 * moderators; the room host checks again) adds a small delete control.
 */
function messageRow(message: ChatMessage, mine: boolean, onDelete?: () => void): HTMLElement {
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
  head.append(name);
  // This page's own messages say so (issue 18: one person, one identity, and "you" is you).
  if (mine) head.append(element("span", "pw-you", "you"));
  head.append(time);
  if (onDelete) {
    const remove = element("button", "pw-delete", "×");
    remove.type = "button";
    remove.title = "Delete this message for everyone";
    remove.setAttribute("aria-label", "Delete message");
    remove.addEventListener("click", onDelete);
    head.append(remove);
  }
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

const PLACEHOLDER = "Message (Enter to send, Shift+Enter for a new line)";
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
          if (log.apply(frame)) for (const [cid, content] of log.pending) link.send(frames.post(content, cid));
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

      const clearButton = moderatorButton("Clear", "Delete every message for everyone", link, signal);
      clearButton.addEventListener("click", () => link.send(moderation.clear()), { signal });
      const header = roomHeader(`# ${model.get("room")}`, link, signal, [lockToggle(link, signal), clearButton]);
      const banner = lockBanner(link, signal, "room");

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
      input.placeholder = PLACEHOLDER;
      input.setAttribute("aria-label", "Message");
      const button = element("button", "pw-send", "Send");
      button.type = "submit";
      form.append(input, button);
      const notice = element("div", "pw-notice");
      notice.setAttribute("role", "status");
      root.append(header, banner, scroller, hint, form, notice);
      el.append(root);

      // Our own messages come back from the server on our connection id.
      const mine = (message: ChatMessage) => message.from === link.self?.id;
      // The room host lets authors delete their messages (by username: this
      // user's other tabs and kernels too) and moderators delete any.
      const deletable = (message: ChatMessage) =>
        link.moderator || (!!link.self && message.user?.username === link.self.user.username);
      const row = (message: ChatMessage) =>
        messageRow(message, mine(message),
          deletable(message) ? () => link.send(frames.delete(message.id)) : undefined);
      const atBottom = () => scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight < STICKY_PX;
      const toBottom = () => {
        scroller.scrollTop = scroller.scrollHeight;
        hint.hidden = true;
      };
      const renderAll = () => {
        const follow = atBottom();
        list.replaceChildren(...log.messages.map(row));
        empty.hidden = log.messages.length > 0 || log.pending.size > 0;
        if (follow) toBottom();
      };
      const renderPending = () => {
        pendingList.replaceChildren(...[...log.pending.values()].map(pendingRow));
        empty.hidden = log.messages.length > 0 || log.pending.size > 0;
      };
      const renderStatus = () => {
        form.classList.toggle("pw-offline", link.status !== "live");
        input.disabled = button.disabled = link.locked && !link.moderator;
        input.placeholder = input.disabled ? "This room is read-only for now" : PLACEHOLDER;
      };

      log.onChange((change) => {
        if (change === "reset") renderAll();
        else if (change === "pending") renderPending();
        else if ("refused" in change) {
          // Give the text back rather than lose it, and say why it was refused.
          notice.textContent = `Not sent: ${change.reason}`;
          if (!input.value) input.value = contentText(change.refused);
        } else {
          // Stick to the bottom unless the reader scrolled up; then only hint.
          const follow = atBottom() || mine(change.append);
          list.append(row(change.append));
          empty.hidden = true;
          if (follow) toBottom();
          else hint.hidden = false;
        }
      }, signal);
      link.onChange(renderStatus, signal);
      renderAll();
      renderPending();
      renderStatus();
      toBottom();

      const send = () => {
        const content = input.value;
        if (!content.trim()) return;
        const cid = newCid();
        log.pending.set(cid, content);
        // While not live the send waits in `pending` and goes out after the next
        // history (see sendPending), so it is never queued twice.
        if (link.status === "live") link.send(frames.post(content, cid));
        input.value = "";
        notice.textContent = "";
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
