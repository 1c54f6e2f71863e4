/**
 * `@name` autocomplete in the chat input, from who is online (issue 14,
 * "Attention"). Typing `@` and the start of a name lists matching people;
 * ArrowUp/ArrowDown move, Enter or Tab pick, Escape closes. Names are listed
 * with `textContent` and inserted into the textarea as plain text, so a name
 * is never markup here (what is sent is rendered through the sanitizer like
 * any message; docs/security.md, "Mention autocomplete").
 */

import { element } from "./room";

/** At most this many names are offered at once. */
const MAX_SHOWN = 6;
/** An `@` that starts a mention (not inside a word or an address) and the name typed so far. */
const TYPED = /(^|[^\w@])@([^\s@]*)$/u;

/** Names starting with `typed` (case-insensitive), in the order given, without repeats. */
export function matchingNames(names: string[], typed: string): string[] {
  const start = typed.toLowerCase();
  return [...new Set(names)].filter((name) => name.toLowerCase().startsWith(start)).slice(0, MAX_SHOWN);
}

/**
 * Attach autocomplete to `input`; `names()` gives who may be mentioned now.
 * Returns the popup (place it in the compose area). Its keydown listener is
 * added first, so while the popup is open Enter picks a name instead of sending.
 */
export function mentionCompleter(input: HTMLTextAreaElement, names: () => string[],
                                 signal: AbortSignal): HTMLElement {
  const popup = element("div", "pw-complete");
  popup.setAttribute("role", "listbox");
  popup.setAttribute("aria-label", "People to mention");
  popup.hidden = true;
  let shown: string[] = [];
  let active = 0;

  const typed = (): RegExpExecArray | null => TYPED.exec(input.value.slice(0, input.selectionStart ?? 0));
  const close = () => {
    popup.hidden = true;
    shown = [];
    input.removeAttribute("aria-activedescendant");
  };
  const draw = () => {
    popup.replaceChildren(...shown.map((name, index) => {
      const option = element("div", "pw-complete-option", `@${name}`);
      option.setAttribute("role", "option");
      option.setAttribute("aria-selected", String(index === active));
      // mousedown, not click: the textarea keeps its focus and caret.
      option.addEventListener("mousedown", (event) => {
        event.preventDefault();
        pick(name);
      });
      return option;
    }));
    popup.hidden = shown.length === 0;
  };
  const update = () => {
    const match = typed();
    shown = match ? matchingNames(names(), match[2]) : [];
    active = 0;
    if (shown.length) draw();
    else close();
  };
  const pick = (name: string) => {
    const match = typed();
    if (!match) return close();
    const end = input.selectionStart ?? input.value.length;
    // Plain text into the textarea: the typed `@start` becomes `@name `.
    input.setRangeText(`@${name} `, end - match[2].length - 1, end, "end");
    close();
    // Typing listeners hear it; the popup stays closed (the caret is past a space).
    input.dispatchEvent(new Event("input"));
  };

  input.addEventListener("keydown", (event) => {
    if (popup.hidden) return;
    const step = { ArrowDown: 1, ArrowUp: -1 }[event.key];
    if (step) {
      active = (active + step + shown.length) % shown.length;
      draw();
    } else if (event.key === "Enter" || event.key === "Tab") {
      pick(shown[active]);
    } else if (event.key === "Escape") {
      close();
    } else {
      return;
    }
    event.preventDefault();
    event.stopImmediatePropagation(); // the chat's own Enter (send) and Escape (cancel edit)
  }, { signal });
  input.addEventListener("input", update, { signal });
  input.addEventListener("blur", close, { signal });
  return popup;
}
