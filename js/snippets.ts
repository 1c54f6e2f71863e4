/**
 * The Snippets widget: a room of the `snippets` party (docs/protocol.md, "The
 * snippets party"). Teachers push code or Markdown; everyone sees the history,
 * newest first, each snippet as its source text with a Copy button. Teachers
 * get a push form and Clear. Every string is set as text.
 */

import "./room.css";
import "./activity.css";
import "./snippets.css";
import { type ActivityState, activityModel, button, keepDrawn, viewCleanup } from "./activity";
import { type Model, type RoomTraits, type SharedLink, element, moderatorButton, roomHeader } from "./room";
import { type Snippet, snippets as frames } from "./protocol";
import { insertButton, notebookInserter } from "./insert";

const LANGUAGES = ["python", "markdown", "text"];

export default () => {
  let shared: SharedLink;
  let state: ActivityState<{ items: Snippet[] }>;

  return {
    initialize({ model }: { model: Model<RoomTraits> }) {
      ({ state, shared } = activityModel<{ items: Snippet[] }>(model, "snippets"));
      return () => shared.close();
    },

    render({ model, el }: { model: Model<RoomTraits>; el: HTMLElement }) {
      const controller = new AbortController();
      const { signal } = controller;
      const link = shared.acquire();

      const root = element("div", "pw-root pw-snippets");
      root.dataset.lmSuppressShortcuts = "true";
      const clear = moderatorButton("Clear", "Empty the history for everyone", link, signal);
      clear.classList.add("pw-clear");
      clear.addEventListener("click", () => link.send(frames.clear()), { signal });
      const header = roomHeader(`⧉ ${model.get("room")}`, link, signal, [clear]);
      const body = element("div", "pw-body");

      const form = element("div", "pw-push-form");
      const code = element("textarea", "pw-field pw-push-code");
      code.rows = 4;
      code.placeholder = "Code or Markdown to show every student";
      const language = element("select", "pw-field pw-push-language");
      for (const name of LANGUAGES) language.append(new Option(name, name));
      const push = button("Push", "pw-push");
      push.addEventListener("click", () => {
        if (!code.value.trim()) return;
        link.send(frames.push(code.value, language.value));
        code.value = "";
      }, { signal });
      form.append(code, language, push);
      const list = element("div", "pw-snippet-list");
      const notice = element("div", "pw-notice");
      body.append(form, list, notice);
      root.append(header, body);
      el.append(root);

      // "Insert below" where this view sits in an editable notebook (js/insert.ts, issue 15).
      const insert = notebookInserter(model, el);
      const card = (snippet: Snippet): HTMLElement => {
        const item = element("div", "pw-snippet");
        item.dataset.id = String(snippet.id);
        const head = element("div", "pw-snippet-head");
        const copy = button("Copy", "pw-copy", "Copy to the clipboard");
        copy.addEventListener("click", async () => {
          try {
            await navigator.clipboard.writeText(snippet.code);
            copy.textContent = "Copied";
          } catch {
            copy.textContent = "Copy failed";
          }
        }, { signal });
        const tools = element("span", "pw-snippet-tools");
        tools.append(copy);
        if (insert) tools.append(insertButton(insert, () => snippet.code));
        head.append(element("span", "pw-snippet-meta", `${snippet.language} · ${snippet.by} · ${new Date(snippet.at).toLocaleTimeString()}`), tools);
        const pre = element("pre", "pw-snippet-code");
        pre.append(element("code", "", snippet.code));
        item.append(head, pre);
        return item;
      };

      const draw = () => {
        const items = state.view?.items ?? [];
        root.dataset.count = String(items.length);
        form.hidden = !link.moderator;
        list.replaceChildren(...[...items].reverse().map(card));
        if (!items.length) list.append(element("div", "pw-summary", "Nothing pushed yet."));
      };
      keepDrawn(state, link, signal, draw, notice);

      return viewCleanup(controller, root, shared);
    },
  };
};
