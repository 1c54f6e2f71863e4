/**
 * The Quiz widget: a room of the `quiz` party (docs/protocol.md, "The quiz
 * party"). The room host keeps the answers and sends each connection the
 * `quiz` frame it may see; this view shows the questions (choice buttons or a
 * text field), the user's answers, their marks once revealed, and for teachers
 * a per-question summary chart and Close / Reveal / Reset. Every string is set
 * as text.
 */

import "./room.css";
import "./activity.css";
import "./quiz.css";
import { type ActivityState, activityModel, button, keepDrawn, teacherControls, viewCleanup } from "./activity";
import { type Model, type RoomTraits, type SharedLink, element, roomHeader } from "./room";
import { type QuizView, quiz as frames } from "./protocol";

/** Share of students right on each question, from the teacher's `scores`. */
function summary(view: QuizView): { right: number; answered: number }[] {
  return view.questions.map((_, n) => {
    const marks = (view.scores ?? []).map((s) => s.correct[n]).filter((m) => m !== null);
    return { right: marks.filter(Boolean).length, answered: marks.length };
  });
}

export default () => {
  let shared: SharedLink;
  let state: ActivityState<QuizView>;

  return {
    initialize({ model }: { model: Model<RoomTraits> }) {
      ({ state, shared } = activityModel<QuizView>(model, "quiz"));
      return () => shared.close();
    },

    render({ model, el }: { model: Model<RoomTraits>; el: HTMLElement }) {
      const controller = new AbortController();
      const { signal } = controller;
      const link = shared.acquire();

      const root = element("div", "pw-root pw-quiz");
      root.dataset.lmSuppressShortcuts = "true";
      const controls = teacherControls(link, signal, () => state.view, {
        hide: "Hide answers", reveal: "Show students the answers and their marks", reset: "Drop every answer" });
      const header = roomHeader(`✔ ${model.get("room")}`, link, signal, controls.buttons);
      const body = element("div", "pw-body");
      const list = element("ol", "pw-quiz-questions");
      const status = element("div", "pw-summary");
      const chart = element("div", "pw-chart");
      const notice = element("div", "pw-notice");
      body.append(list, status, chart, notice);
      root.append(header, body);
      el.append(root);

      function questionItem(view: QuizView, n: number): HTMLElement {
        const q = view.questions[n];
        const mine = view.mine[n];
        const mark = view.correct?.[n];
        const item = element("li", "pw-quiz-question");
        item.dataset.index = String(n);
        if (mark !== undefined && mark !== null) item.dataset.correct = String(mark);
        item.append(element("div", "pw-quiz-text", q.question));
        const disabled = view.closed || link.status !== "live";
        if (q.choices) {
          const row = element("div", "pw-choices");
          for (const choice of q.choices) {
            const pick = button(choice, "pw-choice");
            pick.setAttribute("aria-pressed", String(mine === choice));
            pick.disabled = disabled;
            pick.addEventListener("click", () => link.send(frames.submit(n, choice)), { signal });
            row.append(pick);
          }
          item.append(row);
        } else {
          const row = element("div", "pw-free");
          const input = element("input", "pw-field pw-free-answer");
          input.value = mine ?? "";
          input.placeholder = "Your answer";
          input.maxLength = 200;
          input.disabled = disabled;
          const send = button("Answer", "pw-send");
          send.disabled = disabled;
          const submit = () => input.value.trim() && link.send(frames.submit(n, input.value.trim()));
          send.addEventListener("click", submit, { signal });
          input.addEventListener("keydown", (event) => event.key === "Enter" && submit(), { signal });
          row.append(input, send);
          item.append(row);
        }
        if (q.answer !== undefined) {
          const verdict = mark === true ? "✔ right" : mark === false ? "✘ wrong" : "";
          item.append(element("div", "pw-quiz-answer", `Answer: ${q.answer}${verdict ? ` · ${verdict}` : ""}`));
        }
        return item;
      }

      const draw = () => {
        const view = state.view;
        root.dataset.revealed = String(!!view?.revealed);
        root.dataset.closed = String(!!view?.closed);
        controls.update();
        if (!view) {
          list.replaceChildren();
          chart.replaceChildren();
          status.textContent = "No quiz yet: waiting for the teacher.";
          return;
        }
        // Others' answers redraw the list: keep what the user is typing, and the focus.
        const typing = new Map<number, string>();
        let focused = -1;
        list.querySelectorAll<HTMLInputElement>(".pw-free-answer").forEach((input) => {
          const n = Number(input.closest<HTMLElement>(".pw-quiz-question")?.dataset.index);
          if (input.value !== (view.mine[n] ?? "")) typing.set(n, input.value);
          if (input === document.activeElement) focused = n;
        });
        list.replaceChildren(...view.questions.map((_, n) => questionItem(view, n)));
        list.querySelectorAll<HTMLInputElement>(".pw-free-answer").forEach((input) => {
          const n = Number(input.closest<HTMLElement>(".pw-quiz-question")?.dataset.index);
          if (typing.has(n)) input.value = typing.get(n)!;
          if (n === focused) input.focus();
        });
        const score = view.correct ? view.correct.filter((m) => m === true).length : null;
        const parts = [`${view.submitted} ${view.submitted === 1 ? "student has" : "students have"} answered`];
        if (view.closed) parts.push("closed");
        if (score !== null && !link.moderator) parts.push(`your score: ${score} / ${view.questions.length}`);
        else if (!view.revealed) parts.push("answers revealed by the teacher later");
        status.textContent = parts.join(" · ");
        chart.hidden = !view.scores;
        chart.replaceChildren(...summary(view).map((s, n) => {
          const row = element("div", "pw-chart-row");
          row.dataset.right = String(s.right);
          const bar = element("span", "pw-bar");
          bar.style.width = `${(100 * s.right) / Math.max(1, s.answered)}%`;
          row.append(element("span", "pw-chart-label", `Q${n + 1}`), element("span", "pw-chart-track"), element("span", "pw-chart-count", `${s.right} / ${s.answered} right`));
          row.querySelector(".pw-chart-track")!.append(bar);
          return row;
        }));
      };
      keepDrawn(state, link, signal, draw, notice);

      return viewCleanup(controller, root, shared);
    },
  };
};
