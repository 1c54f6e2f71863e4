/**
 * The Hands widget: raised hands and a question queue, a room of the `hands`
 * party (docs/protocol.md, "The hands party"). The room host sends each
 * connection the `hands` frame it may see (names for teachers only); this
 * view draws the newest one: a hand toggle with the user's place, the queue
 * ordered by time or votes with upvotes, and for teachers the names of raised
 * hands (each lowerable) and Answered / Dismiss on every question. Every
 * string is set as text.
 */

import "./room.css";
import "./activity.css";
import "./hands.css";
import { type ActivityState, activityModel, button, keepDrawn, viewCleanup } from "./activity";
import { type Model, type RoomTraits, type SharedLink, element, roomHeader } from "./room";
import { type HandsQuestion, type HandsView, hands as frames } from "./protocol";

type Order = "time" | "votes";

function ordered(questions: HandsQuestion[], order: Order): HandsQuestion[] {
  if (order === "time") return questions;
  return [...questions].sort((a, b) => b.votes - a.votes || a.at - b.at || a.id - b.id);
}

function ordinal(n: number): string {
  const tens = n % 100;
  const suffix = tens >= 11 && tens <= 13 ? "th" : ({ 1: "st", 2: "nd", 3: "rd" } as Record<number, string>)[n % 10] ?? "th";
  return `${n}${suffix}`;
}

export default () => {
  let shared: SharedLink;
  let state: ActivityState<HandsView>;

  return {
    initialize({ model }: { model: Model<RoomTraits> }) {
      ({ state, shared } = activityModel<HandsView>(model, "hands"));
      return () => shared.close();
    },

    render({ model, el }: { model: Model<RoomTraits>; el: HTMLElement }) {
      const controller = new AbortController();
      const { signal } = controller;
      const link = shared.acquire();
      let order: Order = "time";

      const root = element("div", "pw-root pw-hands");
      root.dataset.lmSuppressShortcuts = "true";
      const header = roomHeader(`☝ ${model.get("room")}`, link, signal);
      const body = element("div", "pw-body");

      const handRow = element("div", "pw-hand-row");
      const handButton = button("Raise hand", "pw-hand");
      const place = element("span", "pw-place");
      place.setAttribute("aria-live", "polite");
      handRow.append(handButton, place);
      const raised = element("ol", "pw-raised");

      const askRow = element("div", "pw-ask-row");
      const input = element("input", "pw-field pw-question-input");
      input.placeholder = "Ask a question…";
      input.maxLength = 500;
      const askButton = button("Ask", "pw-ask");
      askRow.append(input, askButton);

      const orderRow = element("div", "pw-order");
      const byTime = button("Oldest first", "pw-by-time");
      const byVotes = button("Most votes", "pw-by-votes");
      orderRow.append(element("span", "pw-count"), byTime, byVotes);
      const list = element("ol", "pw-questions");
      const notice = element("div", "pw-notice");
      body.append(handRow, raised, askRow, orderRow, list, notice);
      root.append(header, body);
      el.append(root);

      handButton.addEventListener("click", () => {
        link.send(state.view?.position ? frames.lower() : frames.raise());
      }, { signal });
      const ask = () => {
        const text = input.value.trim();
        if (!text) return;
        link.send(frames.ask(text));
        input.value = "";
      };
      askButton.addEventListener("click", ask, { signal });
      input.addEventListener("keydown", (event) => {
        if (event.key === "Enter") ask();
      }, { signal });
      byTime.addEventListener("click", () => { order = "time"; draw(); }, { signal });
      byVotes.addEventListener("click", () => { order = "votes"; draw(); }, { signal });

      function questionRow(question: HandsQuestion): HTMLElement {
        const row = element("li", "pw-question");
        row.dataset.id = String(question.id);
        row.dataset.votes = String(question.votes);
        const vote = button(`▲ ${question.votes}`, "pw-upvote", question.voted ? "Take your vote back" : "Upvote");
        vote.setAttribute("aria-pressed", String(question.voted));
        vote.addEventListener("click", () => link.send(frames.upvote(question.id, !question.voted)), { signal });
        const text = element("span", "pw-question-text", question.text);
        row.append(vote, text);
        if (question.author) row.append(element("span", "pw-author", question.author));
        if (question.mine) row.append(element("span", "pw-mine", "yours"));
        if (link.moderator) {
          const answered = button("Answered", "pw-answered");
          answered.addEventListener("click", () => link.send(frames.answer(question.id)), { signal });
          row.append(answered);
        }
        if (link.moderator || question.mine) {
          const dismiss = button("✕", "pw-dismiss", link.moderator ? "Dismiss" : "Withdraw your question");
          dismiss.addEventListener("click", () => link.send(frames.dismiss(question.id)), { signal });
          row.append(dismiss);
        }
        return row;
      }

      function draw(): void {
        const view = state.view ?? { raised: 0, position: null, hands: null, questions: [] };
        const live = link.status === "live";
        root.dataset.raised = String(view.raised);
        root.dataset.position = String(view.position ?? 0);
        handButton.textContent = view.position ? "Lower hand" : "Raise hand";
        handButton.setAttribute("aria-pressed", String(!!view.position));
        handButton.disabled = askButton.disabled = !live;
        place.textContent = view.position
          ? `Your hand is up: ${ordinal(view.position)} of ${view.raised}.`
          : `${view.raised} ${view.raised === 1 ? "hand" : "hands"} up.`;
        raised.hidden = !view.hands?.length;
        raised.replaceChildren(...(view.hands ?? []).map((hand) => {
          const item = element("li", "pw-raised-hand", hand.name);
          const lower = button("Lower", "pw-lower", `Lower ${hand.name}'s hand`);
          lower.addEventListener("click", () => link.send(frames.lower(hand.username)), { signal });
          item.append(lower);
          return item;
        }));
        byTime.setAttribute("aria-pressed", String(order === "time"));
        byVotes.setAttribute("aria-pressed", String(order === "votes"));
        orderRow.querySelector(".pw-count")!.textContent =
          `${view.questions.length} ${view.questions.length === 1 ? "question" : "questions"}`;
        list.replaceChildren(...ordered(view.questions, order).map(questionRow));
      }
      keepDrawn(state, link, signal, draw, notice);

      return viewCleanup(controller, root, shared);
    },
  };
};
