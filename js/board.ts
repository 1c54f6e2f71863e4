/**
 * The Board widget: a shared whiteboard, a room of the `board` party
 * (docs/protocol.md). The server owns the stroke order; this view draws the
 * strokes it announces, streams the stroke being drawn (`draw`, ephemeral) and
 * sends the finished one (`stroke`, stored; its echo is the acknowledgement).
 */

import "./room.css";
import "./board.css";
import {
  type Model,
  RoomLink,
  type RoomTraits,
  SharedLink,
  displayName,
  element,
  lockBanner,
  lockToggle,
  moderatorButton,
  roomHeader,
  userColor,
} from "./room";
import { BOARD_HEIGHT, BOARD_WIDTH, type Ink, MAX_POINTS, type Point, type Stroke, board as frames, moderation } from "./protocol";
import { BoardState, hits, inkPath, newSid } from "./strokes";

type BoardTraits = RoomTraits;

/** Throttles of the ephemeral frames (ms): `draw` while drawing, `cursor` while moving. */
const DRAW_EVERY_MS = 40;
const CURSOR_EVERY_MS = 50;
const COLORS = ["#222222", "#e53935", "#fb8c00", "#fdd835", "#43a047", "#1e88e5", "#8e24aa", "#ffffff"];
const WIDTHS = [2, 4, 8, 16];
/** The board's background in every theme, so colours mean the same (as in to_svg). */
const PAPER = "#fdfdfb";

function toolButton(label: string, title: string): HTMLButtonElement {
  const button = element("button", "pw-tool", label);
  button.type = "button";
  button.title = title;
  return button;
}

export default () => {
  let shared: SharedLink;
  let board: BoardState;

  return {
    initialize({ model }: { model: Model<BoardTraits> }) {
      board = new BoardState();
      // No `since` on reconnect: a resumed log replays strokes added while we
      // were away but not the erasures and undos, so a board always rejoins
      // with the full state (recovered: false), which replaces ours.
      shared = new SharedLink(() => {
        const link = new RoomLink(model);
        link.onFrame((frame) => board.apply(frame));
        return link;
      });
      const sweep = setInterval(() => board.forgetStaleCursors(Date.now()), 1000);
      return () => {
        clearInterval(sweep);
        shared.close();
      };
    },

    render({ model, el }: { model: Model<BoardTraits>; el: HTMLElement }) {
      const controller = new AbortController();
      const { signal } = controller;
      const link = shared.acquire();
      let color = COLORS[0];
      let width = WIDTHS[1];
      let erasing = false;

      const root = element("div", "pw-root pw-board");
      root.dataset.lmSuppressShortcuts = "true";
      const header = roomHeader(`✎ ${model.get("room")}`, link, signal);

      const toolbar = element("div", "pw-toolbar");
      const swatches = COLORS.map((c) => {
        const swatch = toolButton("", `colour ${c}`);
        swatch.className = "pw-swatch";
        swatch.style.background = c;
        swatch.addEventListener("click", () => {
          color = c;
          erasing = false;
          syncTools();
        }, { signal });
        return swatch;
      });
      const widths = WIDTHS.map((w) => {
        const button = toolButton("", `width ${w}`);
        button.className = "pw-width";
        const dot = element("span", "pw-dot");
        dot.style.width = dot.style.height = `${Math.max(3, w)}px`;
        button.append(dot);
        button.addEventListener("click", () => {
          width = w;
          erasing = false;
          syncTools();
        }, { signal });
        return button;
      });
      const eraseButton = toolButton("Erase", "Erase mode: click one of your strokes");
      const undoButton = toolButton("Undo", "Undo your last stroke");
      const clearButton = moderatorButton("Clear", "Clear the board for everyone", link, signal);
      clearButton.classList.add("pw-tool");
      const notice = element("span", "pw-notice");
      toolbar.append(...swatches, element("span", "pw-sep"), ...widths, element("span", "pw-sep"),
        eraseButton, undoButton, clearButton, lockToggle(link, signal), notice);
      const banner = lockBanner(link, signal, "board");

      const surface = element("div", "pw-surface");
      const canvas = element("canvas", "pw-canvas");
      canvas.setAttribute("role", "img");
      surface.append(canvas);
      root.append(header, toolbar, banner, surface);
      el.append(root);

      function syncTools(): void {
        swatches.forEach((s, i) => s.setAttribute("aria-pressed", String(!erasing && COLORS[i] === color)));
        widths.forEach((b, i) => b.setAttribute("aria-pressed", String(!erasing && WIDTHS[i] === width)));
        eraseButton.setAttribute("aria-pressed", String(erasing));
        surface.classList.toggle("pw-erasing", erasing);
      }
      syncTools();

      eraseButton.addEventListener("click", () => {
        erasing = !erasing;
        syncTools();
      }, { signal });
      undoButton.addEventListener("click", () => link.send(frames.undo()), { signal });
      clearButton.addEventListener("click", () => link.send(moderation.clear()), { signal });

      // --- drawing ---------------------------------------------------------
      const ctx = canvas.getContext("2d")!;
      let scale = 1; // CSS pixels per board unit
      let frameRequested = false;
      let mine: { sid: string; ink: Ink; sent: number } | null = null;

      const paint = () => {
        frameRequested = false;
        const dpr = window.devicePixelRatio || 1;
        ctx.setTransform(1, 0, 0, 1, 0, 0);
        ctx.fillStyle = PAPER;
        ctx.fillRect(0, 0, canvas.width, canvas.height);
        ctx.setTransform(dpr * scale, 0, 0, dpr * scale, 0, 0);
        ctx.lineCap = "round";
        ctx.lineJoin = "round";
        for (const stroke of board.strokes) inkPath(ctx, stroke);
        for (const ink of board.inking.values()) inkPath(ctx, ink);
        for (const ink of board.pending.values()) inkPath(ctx, ink);
        if (mine) inkPath(ctx, mine.ink);
        for (const cursor of board.cursors.values()) {
          ctx.fillStyle = userColor(cursor.user);
          ctx.beginPath();
          ctx.arc(cursor.x, cursor.y, 5 / scale, 0, Math.PI * 2);
          ctx.fill();
          ctx.font = `${12 / scale}px sans-serif`;
          ctx.fillText(displayName(cursor.user), cursor.x + 8 / scale, cursor.y - 8 / scale);
        }
        const count = board.strokes.length;
        // What this view shows, for assistive tech and tests: finished strokes,
        // others' strokes being drawn, others' cursors.
        canvas.dataset.strokes = String(count);
        canvas.dataset.inking = String(board.inking.size);
        canvas.dataset.cursors = String(board.cursors.size);
        canvas.setAttribute("aria-label", `Whiteboard ${model.get("room")}: ${count} stroke${count === 1 ? "" : "s"}`);
      };
      const repaint = () => {
        if (!frameRequested) {
          frameRequested = true;
          requestAnimationFrame(paint);
        }
      };

      // HiDPI: the backing store has devicePixelRatio pixels per CSS pixel; the
      // 1000 x 625 board space scales to the element's width.
      const resize = () => {
        const cssWidth = surface.clientWidth || BOARD_WIDTH;
        const dpr = window.devicePixelRatio || 1;
        scale = cssWidth / BOARD_WIDTH;
        canvas.style.width = `${cssWidth}px`;
        canvas.style.height = `${cssWidth * (BOARD_HEIGHT / BOARD_WIDTH)}px`;
        canvas.width = Math.round(cssWidth * dpr);
        canvas.height = Math.round(cssWidth * (BOARD_HEIGHT / BOARD_WIDTH) * dpr);
        paint();
      };
      const observer = new ResizeObserver(resize);
      observer.observe(surface);
      signal.addEventListener("abort", () => observer.disconnect());
      resize();

      // A locked board is read-only for non-moderators (the room host refuses
      // their draw/stroke/erase/undo with "locked"); cursors still move.
      const readOnly = () => link.locked && !link.moderator;
      const renderStatus = () => {
        const locked = readOnly();
        for (const button of [...swatches, ...widths, eraseButton, undoButton]) button.disabled = locked;
        surface.classList.toggle("pw-readonly", locked);
        notice.textContent = link.problem;
      };
      link.onChange(renderStatus, signal);
      board.onChange(repaint, signal);
      renderStatus();

      const boardPoint = (event: PointerEvent): Point => {
        const box = canvas.getBoundingClientRect();
        const x = ((event.clientX - box.left) / box.width) * BOARD_WIDTH;
        const y = ((event.clientY - box.top) / box.height) * BOARD_HEIGHT;
        return [
          Math.round(Math.min(BOARD_WIDTH, Math.max(0, x)) * 10) / 10,
          Math.round(Math.min(BOARD_HEIGHT, Math.max(0, y)) * 10) / 10,
        ];
      };

      // Streaming: every DRAW_EVERY_MS the points added since the last `draw`
      // frame go out, prefixed by the last point already sent so the pieces join.
      const flushDraw = () => {
        if (!mine || mine.sent >= mine.ink.points.length) return;
        const from = Math.max(0, mine.sent - 1);
        link.send(frames.draw(mine.sid, { ...mine.ink, points: mine.ink.points.slice(from) }));
        mine.sent = mine.ink.points.length;
      };
      const drawTimer = setInterval(flushDraw, DRAW_EVERY_MS);
      signal.addEventListener("abort", () => clearInterval(drawTimer));

      let lastCursor = 0;
      const sendCursor = (p: Point) => {
        const now = Date.now();
        if (now - lastCursor < CURSOR_EVERY_MS || link.status !== "live") return;
        lastCursor = now;
        link.send(frames.cursor(p[0], p[1]));
      };

      const mayErase = (stroke: Stroke) =>
        link.moderator || (!!link.self && stroke.user?.username === link.self.user.username);

      canvas.addEventListener("pointerdown", (event) => {
        if ((event.pointerType === "mouse" && event.button !== 0) || readOnly()) return;
        event.preventDefault();
        const p = boardPoint(event);
        if (erasing) {
          const target = [...board.strokes].reverse().find((s) => mayErase(s) && hits(s, p));
          if (target) link.send(frames.erase(target.id));
          return;
        }
        canvas.setPointerCapture(event.pointerId);
        mine = { sid: newSid(), ink: { points: [p], color, width }, sent: 0 };
        repaint();
      }, { signal });

      canvas.addEventListener("pointermove", (event) => {
        const p = boardPoint(event);
        sendCursor(p);
        if (!mine || !canvas.hasPointerCapture(event.pointerId)) return;
        // Coalesced events keep pen and fast mouse strokes smooth.
        const events = event.getCoalescedEvents?.() ?? [event];
        for (const e of events.length ? events : [event]) {
          const q = boardPoint(e);
          const last = mine.ink.points[mine.ink.points.length - 1];
          if (Math.hypot(q[0] - last[0], q[1] - last[1]) >= 1 && mine.ink.points.length < MAX_POINTS) {
            mine.ink.points.push(q);
          }
        }
        repaint();
      }, { signal });

      const finish = (event: PointerEvent) => {
        if (!mine) return;
        if (canvas.hasPointerCapture(event.pointerId)) canvas.releasePointerCapture(event.pointerId);
        flushDraw();
        const { sid, ink } = mine;
        mine = null;
        board.pending.set(sid, ink);
        link.send(frames.stroke(sid, ink));
        repaint();
      };
      canvas.addEventListener("pointerup", finish, { signal });
      canvas.addEventListener("pointercancel", finish, { signal });

      return () => {
        controller.abort();
        root.remove();
        shared.release();
      };
    },
  };
};
