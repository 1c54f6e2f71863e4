/**
 * The Chat widget: a room of the `main` party (docs/protocol.md).
 *
 * Names, times and pending sends are rendered with `textContent`, never as
 * HTML. Message content is text at once, then Markdown (math, code) or a
 * kernel's MIME bundle through the lazily loaded, sanitizing renderer
 * (render-lazy.ts, render/); `Chat(room, markdown=False)` keeps it text.
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
  distinctUsers,
  element,
  lockBanner,
  lockToggle,
  moderatorButton,
  roomHeader,
} from "./room";
import { colorName } from "./contrast";
import { mentionCompleter } from "./complete";
import { type ChatMessage, ChatLog, type PendingPost, newCid } from "./chat-log";
import { chat as frames, moderation } from "./protocol";
import { contentText, renderContent } from "./render-lazy";
import { TYPING_SEND_MS, Typists, mentions } from "./attention";
import { download, toMarkdown } from "./transcript";
import { notebookInserter } from "./insert";

interface ChatTraits extends RoomTraits {
  /** Render Markdown, math and rich kernel output (else plain text). */
  markdown: boolean;
}

function timeLabel(timestamp: number): [string, string] {
  const date = new Date(timestamp);
  return [date.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" }), date.toLocaleString()];
}

/** How much of an answered message a reply quotes. */
const QUOTE_CHARS = 120;

/** "↪ name: start of the answered message", or that it is gone; always text. */
function quoteOf(answered: ChatMessage | undefined): HTMLElement {
  const quote = element("div", "pw-quote");
  quote.textContent = answered
    ? `↪ ${displayName(answered.user)}: ${contentText(answered.content).slice(0, QUOTE_CHARS)}`
    : "↪ a message that is no longer here";
  return quote;
}

/** A small text button of a message's header (its label says what it does to readers). */
function iconButton(className: string, icon: string, title: string, label: string,
                    onClick: () => void): HTMLButtonElement {
  const button = element("button", className, icon);
  button.type = "button";
  button.title = title;
  button.setAttribute("aria-label", label);
  button.addEventListener("click", onClick);
  return button;
}

interface RowActions {
  onReply: () => void;
  onDelete?: () => void;
  /** Given on our own plain messages: put the text back in the input to edit it. */
  onEdit?: () => void;
  /** Toggle our reaction `emoji` (given unless the room is read-only to us). */
  onReact?: (emoji: string) => void;
  /** Our username: which chips are ours (pressed). */
  me?: string;
}

/** The reactions offered by the "+" menu (any emoji the room accepts can arrive). */
const QUICK_REACTIONS = ["👍", "❤️", "😂", "🎉", "😮"];

/** Reaction chips with counts (textContent only), and a "+" menu to add one. */
function reactionBar(message: ChatMessage, actions: RowActions): HTMLElement {
  const bar = element("div", "pw-reactions");
  for (const [emoji, names] of Object.entries(message.reactions ?? {})) {
    const mine = !!actions.me && names.includes(actions.me);
    const chip = element("button", "pw-chip" + (mine ? " pw-chip-mine" : ""), `${emoji} ${names.length}`);
    chip.type = "button";
    chip.title = names.join(", ");
    chip.setAttribute("aria-pressed", String(mine));
    chip.disabled = !actions.onReact;
    chip.addEventListener("click", () => actions.onReact?.(emoji));
    bar.append(chip);
  }
  if (actions.onReact) {
    const menu = element("span", "pw-react-menu");
    menu.hidden = true;
    for (const emoji of QUICK_REACTIONS) {
      menu.append(iconButton("pw-react-pick", emoji, `React with ${emoji}`, `React with ${emoji}`, () => {
        menu.hidden = true;
        actions.onReact?.(emoji);
      }));
    }
    bar.append(iconButton("pw-react", "+", "Add a reaction", "Add reaction", () => {
      menu.hidden = !menu.hidden;
    }), menu);
  }
  return bar;
}

/**
 * One message, its `text` already rendered. `onDelete` (given when we may
 * delete it: our own, or any for moderators; the room host checks again) adds
 * a small delete control; a reply quotes the message it `answered`.
 */
function messageRow(message: ChatMessage, text: HTMLElement, mine: boolean, mentioned: boolean,
                    answered: ChatMessage | undefined, actions: RowActions): HTMLElement {
  const row = element("div", "pw-msg" + (mine ? " pw-mine" : "") + (message.user?.kernel ? " pw-kernel" : "")
    + (mentioned ? " pw-mention" : ""));
  row.dataset.id = String(message.id);
  const body = element("div", "pw-msg-body");
  const head = element("div", "pw-msg-head");
  const name = element("span", "pw-name", displayName(message.user));
  colorName(name, message.user);
  const [short, full] = timeLabel(message.timestamp);
  const time = element("time", "pw-time", short);
  time.title = full;
  time.dateTime = new Date(message.timestamp).toISOString();
  head.append(name);
  // This page's own messages say so (issue 18: one person, one identity, and "you" is you).
  if (mine) head.append(element("span", "pw-you", "you"));
  head.append(time);
  if (message.edited) head.append(element("span", "pw-edited", "(edited)"));
  head.append(iconButton("pw-reply", "↩", "Reply to this message", "Reply", actions.onReply));
  if (actions.onEdit) head.append(iconButton("pw-edit", "✎", "Edit this message", "Edit message", actions.onEdit));
  if (actions.onDelete) {
    head.append(iconButton("pw-delete", "×", "Delete this message for everyone", "Delete message",
      actions.onDelete));
  }
  if (typeof message.reply_to === "number") body.append(head, quoteOf(answered), text);
  else body.append(head, text);
  body.append(reactionBar(message, actions));
  row.append(avatar(message.user), body);
  return row;
}

function pendingRow(post: PendingPost): HTMLElement {
  const row = element("div", "pw-msg pw-mine pw-pending");
  const body = element("div", "pw-msg-body");
  body.append(element("div", "pw-msg-head", "sending…"), element("div", "pw-text", contentText(post.content)));
  row.append(element("span", "pw-avatar"), body);
  return row;
}

/** Short enough for a narrow notebook (issue 18, item 7); the full hint is the input's title. */
const PLACEHOLDER = "Message (@ to mention)";
const INPUT_HINT = "Enter sends, Shift+Enter starts a new line, @ mentions someone online";
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
          if (log.apply(frame)) {
            for (const [cid, post] of log.pending) link.send(frames.post(post.content, cid, post.replyTo));
          }
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
      const exportButton = element("button", "pw-export", "⤓");
      exportButton.type = "button";
      exportButton.title = "Download the conversation as Markdown";
      exportButton.setAttribute("aria-label", "Download transcript");
      exportButton.addEventListener("click", () => {
        const room = model.get("room");
        download(toMarkdown(log.messages, room), `${room.replace(/[^\w.-]+/g, "_")}.md`);
      }, { signal });
      const header = roomHeader(`# ${model.get("room")}`, link, signal,
        [exportButton, lockToggle(link, signal), clearButton]);
      const unreadBadge = element("span", "pw-unread");
      unreadBadge.hidden = true;
      unreadBadge.title = "Unread messages";
      header.querySelector(".pw-title")?.after(unreadBadge);
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

      const typingLine = element("div", "pw-typing");
      typingLine.setAttribute("aria-live", "polite");
      const typists = new Typists(() => { typingLine.textContent = typists.text(); });
      signal.addEventListener("abort", () => typists.clear());

      // The message the next send answers, shown above the input with a cancel button.
      let answering: ChatMessage | null = null;
      const replyBar = element("div", "pw-replying");
      replyBar.hidden = true;
      const showReply = () => {
        replyBar.hidden = answering === null;
        if (!answering) return replyBar.replaceChildren();
        const cancel = iconButton("pw-reply-cancel", "×", "Cancel the reply", "Cancel reply", () => {
          answering = null;
          showReply();
        });
        replyBar.replaceChildren(quoteOf(answering), cancel);
      };
      const replyTo = (message: ChatMessage) => {
        answering = message;
        showReply();
        input.focus();
      };

      const form = element("form", "pw-compose");
      const input = element("textarea", "pw-input");
      input.rows = 1;
      input.placeholder = PLACEHOLDER;
      input.setAttribute("aria-label", "Message");
      input.title = INPUT_HINT;
      const button = element("button", "pw-send", "Send");
      button.type = "submit";
      form.append(input, button);
      // `@` offers the others online (not this user's own tabs; kernels are bots one may address).
      const mentionable = () => distinctUsers(link)
        .filter(({ user }) => user.kernel || user.username !== link.self?.user.username)
        .map(({ user }) => user.display_name || user.name || user.username || "")
        .filter(Boolean);
      const completions = mentionCompleter(input, mentionable, signal);
      const notice = element("div", "pw-notice");
      notice.setAttribute("role", "status");
      root.append(header, banner, scroller, hint, typingLine, replyBar, completions, form, notice);
      el.append(root);

      // Our own messages come back from the server on our connection id.
      const mine = (message: ChatMessage) => message.from === link.self?.id;
      // The room host lets authors delete their messages (by username: this
      // user's other tabs and kernels too) and moderators delete any.
      const deletable = (message: ChatMessage) =>
        link.moderator || (!!link.self && message.user?.username === link.self.user.username);
      const mentionsMe = (message: ChatMessage) => !mine(message) && mentions(message.content, link.self?.user);
      // A message's rendered text, kept per message object: rebuilding the list
      // (a deletion, a resume) must not typeset every formula again. A new
      // history brings new objects, so nothing stale is reused.
      const texts = new WeakMap<ChatMessage, { rich: boolean; el: HTMLElement }>();
      // Code blocks offer "Insert below" where this view sits in an editable notebook.
      const insert = notebookInserter(model, el) ?? undefined;
      const textOf = (message: ChatMessage) => {
        const rich = model.get("markdown") !== false;
        const known = texts.get(message);
        if (known?.rich === rich) return known.el;
        const el = element("div", "pw-text");
        renderContent(el, message.content, message.mime, rich, insert);
        texts.set(message, { rich, el });
        return el;
      };
      const row = (message: ChatMessage) =>
        messageRow(message, textOf(message), mine(message), mentionsMe(message),
          typeof message.reply_to === "number" ? log.find(message.reply_to) : undefined, {
            onReply: () => replyTo(message),
            onDelete: deletable(message) ? () => link.send(frames.delete(message.id)) : undefined,
            onEdit: editable(message) ? () => startEdit(message) : undefined,
            onReact: link.locked && !link.moderator ? undefined : (emoji) => react(message, emoji),
            me: link.self?.user.username,
          });
      // Edits go by username like deletes; only plain text (a kernel's bundle is not retyped).
      const editable = (message: ChatMessage) => !!link.self && !message.mime
        && typeof message.content === "string" && message.user?.username === link.self.user.username;
      let editing: number | null = null;
      const startEdit = (message: ChatMessage) => {
        editing = message.id;
        input.value = String(message.content);
        notice.textContent = "Editing a message (Esc cancels)";
        input.focus();
      };
      const react = (message: ChatMessage, emoji: string) => {
        const me = link.self?.user.username;
        const on = !(me && message.reactions?.[emoji]?.includes(me));
        link.send(frames.react(message.id, emoji, on));
      };
      const atBottom = () => scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight < STICKY_PX;
      // Unread: messages from others that arrived while scrolled up or with the tab hidden.
      let unread = 0;
      const showUnread = () => {
        unreadBadge.hidden = unread === 0;
        unreadBadge.textContent = String(unread);
        hint.textContent = unread > 1 ? `${unread} new messages ↓` : "New messages ↓";
      };
      const markRead = () => {
        if (document.hidden || !atBottom()) return;
        unread = 0;
        hint.hidden = true;
        showUnread();
      };
      const toBottom = () => {
        scroller.scrollTop = scroller.scrollHeight;
        hint.hidden = true;
        markRead();
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
        else if ("dropped" in change) {
          for (let n = 0; n < change.dropped; n++) list.firstElementChild?.remove();
        } else if ("refused" in change) {
          // Give the text back rather than lose it, and say why it was refused.
          notice.textContent = `Not sent: ${change.reason}`;
          if (!input.value) input.value = contentText(change.refused);
        } else if ("deleted" in change) {
          for (const gone of list.querySelectorAll(`.pw-msg[data-id="${change.deleted}"]`)) gone.remove();
          empty.hidden = log.messages.length > 0 || log.pending.size > 0;
        } else if ("changed" in change) {
          const id = change.changed.id;
          for (const old of list.querySelectorAll(`.pw-msg[data-id="${id}"]`)) old.replaceWith(row(change.changed));
        } else if ("typing" in change) {
          if (change.typing !== link.self?.id) typists.typing(change.typing, change.user);
        } else {
          // Stick to the bottom unless the reader scrolled up; then only hint.
          const follow = atBottom() || mine(change.append);
          typists.stopped(change.append.from);
          list.append(row(change.append));
          empty.hidden = true;
          if (!mine(change.append) && (document.hidden || !follow)) {
            unread += 1;
            showUnread();
          }
          if (follow) toBottom();
          else hint.hidden = false;
        }
      }, signal);
      link.onChange(renderStatus, signal);
      model.on("change:markdown", renderAll);
      signal.addEventListener("abort", () => model.off("change:markdown", renderAll));
      renderAll();
      renderPending();
      renderStatus();
      toBottom();

      const send = () => {
        const content = input.value;
        if (!content.trim()) return;
        if (editing !== null) {
          link.send(frames.edit(editing, content));
          editing = null;
          input.value = notice.textContent = "";
          return;
        }
        const cid = newCid();
        const post: PendingPost = { content, replyTo: answering?.id };
        log.pending.set(cid, post);
        answering = null;
        showReply();
        // While not live the send waits in `pending` and goes out after the next
        // history (see sendPending), so it is never queued twice.
        if (link.status === "live") link.send(frames.post(content, cid, post.replyTo));
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
        if (event.key === "Escape" && editing !== null) {
          editing = null;
          input.value = notice.textContent = "";
        }
        if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
          event.preventDefault();
          send();
        }
      }, { signal });
      scroller.addEventListener("scroll", () => {
        if (atBottom()) {
          hint.hidden = true;
          markRead();
        }
      }, { signal, passive: true });
      document.addEventListener("visibilitychange", markRead, { signal });
      // Tell the others we are typing, at the pace the room relays it.
      let typedAt = 0;
      input.addEventListener("input", () => {
        const now = Date.now();
        if (!input.value.trim() || link.status !== "live" || now - typedAt < TYPING_SEND_MS) return;
        typedAt = now;
        link.send(frames.typing());
      }, { signal });
      hint.addEventListener("click", toBottom, { signal });

      return () => {
        controller.abort();
        root.remove();
        shared.release();
      };
    },
  };
};
