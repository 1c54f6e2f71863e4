/**
 * What the classroom widgets (Poll, Hands) share: the newest view the room
 * host sent this model (`{"type": kind, [kind]: view}`), and the one link all
 * views of the model use, opened when the first view renders.
 */

import { poll } from "./protocol";
import { type Model, RoomLink, type RoomTraits, SharedLink, moderatorButton } from "./room";

/** The newest view of one activity, shared by a model's views. */
export class ActivityState<T> {
  view: T | null = null;
  private listeners = new Set<() => void>();

  constructor(readonly kind: string) {}

  apply(frame: { type: string; [key: string]: any }): void {
    if (frame.type !== this.kind) return;
    this.view = frame[this.kind] ?? null;
    for (const listener of this.listeners) listener();
  }

  onChange(listener: () => void, signal: AbortSignal): void {
    this.listeners.add(listener);
    signal.addEventListener("abort", () => this.listeners.delete(listener));
  }
}

/** A model's state and shared link, for anywidget's `initialize`; returns its cleanup. */
export function activityModel<T>(model: Model<RoomTraits>, kind: string): { state: ActivityState<T>; shared: SharedLink } {
  const state = new ActivityState<T>(kind);
  const shared = new SharedLink(() => {
    const link = new RoomLink(model);
    link.onFrame((frame) => state.apply(frame));
    return link;
  });
  return { state, shared };
}

/** A `<button type="button">` with a class and a label (set as text). */
export function button(label: string, className: string, title = ""): HTMLButtonElement {
  const node = document.createElement("button");
  node.type = "button";
  node.className = className;
  node.textContent = label;
  if (title) node.title = title;
  return node;
}

/** Anything a teacher closes and reveals: a poll, a quiz. */
interface Gated {
  closed: boolean;
  revealed: boolean;
}

/**
 * The teacher's Close / Reveal / Reset header buttons of a poll or quiz (the same
 * frames for both, docs/protocol.md), shown
 * to moderators only (the room host refuses the others anyway). `update`
 * relabels them for the newest view.
 */
export function teacherControls(
  link: RoomLink,
  signal: AbortSignal,
  current: () => Gated | null,
  words: { hide: string; reveal: string; reset: string },
): { buttons: HTMLButtonElement[]; update: () => void } {
  const close = moderatorButton("Close", "", link, signal);
  const reveal = moderatorButton("Reveal", words.reveal, link, signal);
  const reset = moderatorButton("Reset", words.reset, link, signal);
  close.classList.add("pw-close");
  reveal.classList.add("pw-reveal");
  reset.classList.add("pw-reset");
  close.addEventListener("click", () => { const view = current(); if (view) link.send(poll.close(!view.closed)); }, { signal });
  reveal.addEventListener("click", () => { const view = current(); if (view) link.send(poll.reveal(!view.revealed)); }, { signal });
  reset.addEventListener("click", () => link.send(poll.reset()), { signal });
  const update = () => {
    const view = current();
    close.textContent = view?.closed ? "Reopen" : "Close";
    close.title = view?.closed ? "Open again" : "Stop taking answers";
    reveal.textContent = view?.revealed ? words.hide : "Reveal";
    for (const control of [close, reveal, reset]) control.hidden = !link.moderator || !view;
  };
  update();
  link.onChange(update, signal);
  return { buttons: [close, reveal, reset], update };
}

/**
 * Keep a view drawn: now, on every new view, and on every link change (then also
 * showing the link's problem in `notice`), until `signal` aborts.
 */
export function keepDrawn(state: ActivityState<unknown>, link: RoomLink, signal: AbortSignal, draw: () => void, notice: HTMLElement): void {
  draw();
  state.onChange(draw, signal);
  link.onChange(() => {
    draw();
    notice.textContent = link.problem;
  }, signal);
}

/** The cleanup anywidget's `render` returns: stop listening, remove the view, release the link. */
export function viewCleanup(controller: AbortController, root: HTMLElement, shared: SharedLink): () => void {
  return () => {
    controller.abort();
    root.remove();
    shared.release();
  };
}
