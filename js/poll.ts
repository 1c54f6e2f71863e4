/**
 * The Poll widget: a room of the `poll` party (docs/protocol.md, "The poll
 * party"). The room host owns the poll and sends each connection the `poll`
 * frame it may see (counts once revealed, names for teachers); this view draws
 * the newest one, sends the user's ballot, and gives teachers (moderators)
 * their verbs: ask, close, reveal, reset. Every string is set as text.
 */

import "./room.css";
import "./activity.css";
import "./poll.css";
import { type ActivityState, activityModel, button, keepDrawn, teacherControls, viewCleanup } from "./activity";
import { type Model, type RoomLink, type RoomTraits, type SharedLink, element, roomHeader } from "./room";
import { type PollView, poll as frames } from "./protocol";

/** The ballot after clicking option `index`: a toggle in multiple-choice polls, else a switch. */
function nextBallot(view: PollView, index: number): number[] {
  const mine = new Set(view.mine);
  if (view.multiple) {
    if (mine.has(index)) mine.delete(index);
    else mine.add(index);
    return [...mine].sort((a, b) => a - b);
  }
  return mine.has(index) ? [] : [index];
}

/** Teachers' form to ask a new poll (one option per line). */
function askForm(link: RoomLink, signal: AbortSignal): HTMLElement {
  const form = element("details", "pw-ask");
  const summary = element("summary", "", "Ask a new poll");
  const question = element("input", "pw-field pw-ask-question");
  question.placeholder = "Question";
  const options = element("textarea", "pw-field pw-ask-options");
  options.placeholder = "One option per line";
  options.rows = 4;
  const flags = element("div", "");
  const boxes = (["multiple", "anonymous", "hidden"] as const).map((name) => {
    const label = element("label", "");
    const box = element("input", `pw-ask-${name}`);
    box.type = "checkbox";
    label.append(box, document.createTextNode(name === "hidden" ? "hide results until revealed" : name));
    flags.append(label);
    return box;
  });
  const ask = button("Ask", "pw-ask-submit");
  ask.addEventListener("click", () => {
    const lines = options.value.split("\n").map((line) => line.trim()).filter(Boolean);
    const [multiple, anonymous, hidden] = boxes.map((box) => box.checked);
    link.send(frames.create(question.value.trim(), lines, { multiple, anonymous, hidden }));
  }, { signal });
  form.append(summary, question, options, flags, ask);
  const update = () => {
    form.hidden = !link.moderator;
  };
  update();
  link.onChange(update, signal);
  return form;
}

export default () => {
  let shared: SharedLink;
  let state: ActivityState<PollView>;

  return {
    initialize({ model }: { model: Model<RoomTraits> }) {
      ({ state, shared } = activityModel<PollView>(model, "poll"));
      return () => shared.close();
    },

    render({ model, el }: { model: Model<RoomTraits>; el: HTMLElement }) {
      const controller = new AbortController();
      const { signal } = controller;
      const link = shared.acquire();

      const root = element("div", "pw-root pw-poll");
      root.dataset.lmSuppressShortcuts = "true";
      const controls = teacherControls(link, signal, () => state.view, {
        hide: "Hide results", reveal: "Show the counts to students", reset: "Drop every ballot and open the poll again" });
      const header = roomHeader(`☑ ${model.get("room")}`, link, signal, controls.buttons);

      const body = element("div", "pw-body");
      const question = element("div", "pw-question");
      const options = element("div", "pw-options");
      options.setAttribute("role", "group");
      const summary = element("div", "pw-summary");
      summary.setAttribute("aria-live", "polite");
      const notice = element("div", "pw-notice");
      body.append(question, options, summary, notice, askForm(link, signal));
      root.append(header, body);
      el.append(root);

      const draw = () => {
        const view = state.view;
        root.dataset.total = String(view?.total ?? 0);
        root.dataset.closed = String(!!view?.closed);
        controls.update();
        if (!view) {
          question.textContent = link.moderator ? "No poll yet: ask one below." : "No poll yet: waiting for the teacher.";
          options.replaceChildren();
          summary.textContent = "";
          return;
        }
        question.textContent = view.question;
        const mine = new Set(view.mine);
        options.replaceChildren(...view.options.map((label, index) => {
          const row = button("", "pw-option");
          const count = view.counts?.[index];
          row.dataset.index = String(index);
          if (count !== undefined) row.dataset.count = String(count);
          row.setAttribute("aria-pressed", String(mine.has(index)));
          row.disabled = view.closed || link.status !== "live";
          const bar = element("span", "pw-bar");
          bar.style.width = count === undefined ? "0" : `${(100 * count) / Math.max(1, view.total)}%`;
          const mark = element("span", "pw-mark", mine.has(index) ? (view.multiple ? "☑" : "●") : (view.multiple ? "☐" : "○"));
          const text = element("span", "pw-label", label);
          row.append(bar, mark, text);
          if (view.voters?.[index]?.length) row.append(element("span", "pw-voters", view.voters[index].join(", ")));
          if (count !== undefined) row.append(element("span", "pw-count", String(count)));
          row.addEventListener("click", () => link.send(frames.vote(nextBallot(view, index))), { signal });
          return row;
        }));
        const parts = [`${view.total} ${view.total === 1 ? "vote" : "votes"}`];
        if (view.closed) parts.push("closed");
        if (!view.counts) parts.push("results hidden until the teacher reveals them");
        else if (!view.revealed) parts.push("results hidden from students");
        if (view.anonymous) parts.push("anonymous");
        if (view.multiple) parts.push("several choices allowed");
        summary.textContent = parts.join(" · ");
      };
      keepDrawn(state, link, signal, draw, notice);

      return viewCleanup(controller, root, shared);
    },
  };
};
