/**
 * What the classroom widgets (Poll, Hands) share: the newest view the room
 * host sent this model (`{"type": kind, [kind]: view}`), and the one link all
 * views of the model use, opened when the first view renders.
 */

import { type Model, RoomLink, type RoomTraits, SharedLink } from "./room";

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
