/**
 * The Board widget: a shared whiteboard, a room of the `board` party
 * (docs/protocol.md). The server owns the order of strokes and items; this
 * view draws what it announces, streams the stroke being drawn (`draw`,
 * ephemeral) and sends finished strokes and items (`stroke`, `item`: stored;
 * the echo is the acknowledgement), moves (`move`), undo and redo.
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
import { SHORTCUTS, TOOLS, type Tool, shortcut, titled } from "./board-tools";
import { entryBox } from "./items";
import { MathLayer, hasMath } from "./board-math";
import { type Box, type Render, type Repair, Scene } from "./board-scene";
import {
  BOARD_HEIGHT,
  BOARD_WIDTH,
  type Entry,
  type Ink,
  type Item,
  type ItemFields,
  MAX_PAGES,
  MAX_PAGE_NAME,
  MAX_POINTS,
  MAX_TEXT,
  NOTE_COLOR,
  type Point,
  board as frames,
  isItem,
  moderation,
} from "./protocol";
import { pictureData } from "./pictures";
import { BoardState, drawEntry, hitsEntry, inkPath, newSid } from "./strokes";

type BoardTraits = RoomTraits;

/** Throttles of the ephemeral frames (ms): `draw` while drawing, `cursor` while moving. */
const DRAW_EVERY_MS = 40;
const CURSOR_EVERY_MS = 50;
const COLORS = ["#222222", "#e53935", "#fb8c00", "#fdd835", "#43a047", "#1e88e5", "#8e24aa", "#ffffff"];
const WIDTHS = [2, 4, 8, 16];
/** Text sizes that go with the four widths (the width buttons size text too). */
const TEXT_SIZES = [18, 24, 32, 48];
/** A sticky note's box in board units. */
const NOTE_W = 180;
const NOTE_H = 120;
/** How close a view may zoom in. */
const MAX_ZOOM = 8;
const HIGHLIGHT_ALPHA = 0.3;
/** The board's background in every theme, so colours mean the same (as in to_svg). */
const PAPER = "#fdfdfb";

/** A pen's pressure, 0..1 in steps of 0.1 (as the room host keeps it). */
const pressureOf = (event: PointerEvent) => Math.round(Math.min(1, Math.max(0, event.pressure)) * 10) / 10;

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
        link.onFrame((frame) => {
          board.apply(frame);
          // Images are stored once and referenced: one request per model for each.
          for (const src of board.takeWanted()) link.send(frames.getImage(src));
        });
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
      let tool: Tool = "pen";
      let filled = false;

      const root = element("div", "pw-root pw-board");
      root.dataset.lmSuppressShortcuts = "true";
      root.tabIndex = 0; // keyboard shortcuts reach the board once it is clicked
      const header = roomHeader(`✎ ${model.get("room")}`, link, signal);

      const toolbar = element("div", "pw-toolbar");
      const toolButtons = TOOLS.map((spec) => {
        const button = toolButton(spec.label, titled(spec.title, spec.key));
        button.addEventListener("click", () => pick(tool === spec.tool && spec.tool === "erase" ? "pen" : spec.tool), { signal });
        return button;
      });
      // Colours and widths pick ink: from erase or select they go back to the pen.
      const inking = () => {
        if (tool === "erase" || tool === "select") tool = "pen"; // the highlighter keeps its ink
        syncTools();
      };
      const swatches = COLORS.map((c) => {
        const swatch = toolButton("", `colour ${c}`);
        swatch.className = "pw-swatch";
        swatch.style.background = c;
        swatch.addEventListener("click", () => {
          color = c;
          inking();
        }, { signal });
        return swatch;
      });
      const custom = element("input", "pw-custom-colour");
      custom.type = "color";
      custom.title = "custom colour";
      custom.addEventListener("input", () => {
        color = custom.value;
        inking();
      }, { signal });
      const widths = WIDTHS.map((w) => {
        const button = toolButton("", `width ${w}`);
        button.className = "pw-width";
        const dot = element("span", "pw-dot");
        dot.style.width = dot.style.height = `${Math.max(3, w)}px`;
        button.append(dot);
        button.addEventListener("click", () => {
          width = w;
          inking();
        }, { signal });
        return button;
      });
      const fillButton = toolButton("Fill", titled("Fill boxes and ellipses with the colour", SHORTCUTS.fill));
      const undoButton = toolButton("Undo", titled("Undo your last change", SHORTCUTS.undo));
      const redoButton = toolButton("Redo", titled("Redo what you undid", SHORTCUTS.redo));
      const pngButton = toolButton("PNG", "Download the board as a PNG image");
      const clearButton = moderatorButton("Clear", "Clear the board for everyone", link, signal);
      clearButton.classList.add("pw-tool");
      const notice = element("span", "pw-notice");
      toolbar.append(...toolButtons, element("span", "pw-sep"), ...swatches, custom, element("span", "pw-sep"),
        ...widths, fillButton, element("span", "pw-sep"), undoButton, redoButton, pngButton, clearButton,
        lockToggle(link, signal), notice);
      const banner = lockBanner(link, signal, "board");

      const surface = element("div", "pw-surface");
      const canvas = element("canvas", "pw-canvas");
      canvas.setAttribute("role", "img");
      surface.append(canvas);
      root.append(header, toolbar, banner, surface);
      el.append(root);

      function syncTools(): void {
        const ink = tool !== "erase" && tool !== "select";
        toolButtons.forEach((b, i) => b.setAttribute("aria-pressed", String(TOOLS[i].tool === tool)));
        swatches.forEach((s, i) => s.setAttribute("aria-pressed", String(ink && COLORS[i] === color)));
        widths.forEach((b, i) => b.setAttribute("aria-pressed", String(ink && WIDTHS[i] === width)));
        fillButton.setAttribute("aria-pressed", String(filled));
        surface.dataset.tool = tool;
        surface.classList.toggle("pw-erasing", tool === "erase");
      }
      function pick(next: Tool): void {
        tool = next;
        if (tool !== "select") selected = null;
        syncTools();
        repaint();
      }
      fillButton.addEventListener("click", () => {
        filled = !filled;
        syncTools();
      }, { signal });
      undoButton.addEventListener("click", () => link.send(frames.undo()), { signal });
      redoButton.addEventListener("click", () => link.send(frames.redo()), { signal });
      clearButton.addEventListener("click", () => link.send(moderation.clear()), { signal });

      // --- drawing ---------------------------------------------------------
      const ctx = canvas.getContext("2d")!;
      let scale = 1; // CSS pixels per board unit at zoom 1
      // The view (pan and zoom, this view's own): `zoom` times closer, the board
      // point (ox, oy) at the top left. Never shared, never sent.
      let zoom = 1;
      let ox = 0;
      let oy = 0;
      let spaceDown = false;
      // Pages: this view's page; following, it goes where the teacher goes.
      let page = 0;
      let following = true;
      const onPage = (entry: { page?: number }) => (entry.page ?? 0) === page;
      /** Page 0 is left out of what we send, so strokes stay as before pages. */
      const paged = <T extends object>(fields: T): T => (page ? { ...fields, page } : fields);
      let panning: { x: number; y: number; ox: number; oy: number } | null = null;
      let frameRequested = false;
      let mine: { sid: string; ink: Ink; sent: number } | null = null;
      /** A shape being dragged out (line, arrow, box, ellipse): others see it as `shape` frames. */
      let shaping: ItemFields | null = null;
      let shapeSid = "";
      let shapeShown = false;
      let lastShape = 0;
      /** The selected entry; a move gives it a new id, so it is followed by sid. */
      let selected: { id: number; sid?: string } | null = null;
      /** A move being dragged, or sent and awaiting its echo: drawn shifted meanwhile. */
      let moving: { id: number; from: Point; dx: number; dy: number; sent: boolean; size?: [number, number]; start?: [number, number] } | null = null;
      /** As moving shows it: shifted, or (dragging its handle) resized. */
      const shown = <T extends Entry>(entry: T): T =>
        moving?.size && entry.id === moving.id ? { ...entry, w: moving.size[0], h: moving.size[1] } : entry;
      /** Items with an extent have a resize handle at their far corner (x + w, y + h). */
      const handleOf = (entry: Entry): Point | null =>
        isItem(entry) && entry.kind !== "text" ? [entry.x + (entry.w ?? 0), entry.y + (entry.h ?? 0)] : null;

      /** Text with math is shown by the math layer over the view's canvas (exports draw its raw text). */
      const math = new MathLayer();
      surface.append(math.root);
      /** Math text's size as the math layer shows it (its box: selection, hit-testing). */
      const mathText = (item: ItemFields) => (hasMath(item) ? math.extent(item) : null);
      /** The stored entries as a bitmap layer: panning copies it (./board-scene). */
      const scene = new Scene();
      signal.addEventListener("abort", () => scene.dispose());
      /**
       * What drawing an entry may cover (stored entries never change, so it is
       * kept): its box, widened by a stroke's width (its outline's curves bulge
       * past the points' box by up to half a width, ./ink) or by an item's line
       * and arrow head (./items).
       */
      const boxes = new WeakMap<Entry, Box>();
      const inkBox = (entry: Entry): Box => {
        let box = boxes.get(entry);
        if (!box) {
          const [left, top, right, bottom] = entryBox(entry, ctx);
          const width = entry.width ?? 3;
          const pad = isItem(entry) ? Math.max(10, width * 4) + width : width;
          boxes.set(entry, box = [left - pad, top - pad, right + pad, bottom + pad]);
        }
        return box;
      };
      /** Whether two boxes overlap. */
      const overlaps = (a: Box, b: Box) => a[2] >= b[0] && a[0] <= b[2] && a[3] >= b[1] && a[1] <= b[3];
      /** For leaving out what is off screen when drawing directly. */
      const onScreen = (entry: Entry) => overlaps(inkBox(entry), [ox, oy, ox + BOARD_WIDTH / zoom, oy + BOARD_HEIGHT / zoom]);
      /**
       * Draw this page's stored entries on `target`: for the view (`live`) math
       * text is left out (the math layer shows it) and the entry being moved
       * is drawn apart, on top; `visible` leaves out what is off screen.
       */
      const drawBoard = (target: CanvasRenderingContext2D, live = false, visible?: (entry: Entry) => boolean,
                         from = 0, to = board.entries.length, deadline = Infinity): number => {
        target.lineCap = "round";
        target.lineJoin = "round";
        const entries = board.entries;
        to = Math.min(to, entries.length);
        for (let i = from; i < to; i++) {
          // A layer's slice (./board-scene) stops past its deadline, checked every 16 entries.
          if (i > from && (i - from) % 16 === 0 && performance.now() > deadline) return i;
          const entry = entries[i];
          if (!onPage(entry) || (live && (hasMath(entry) || entry.id === moving?.id))) continue;
          if (visible && !visible(entry)) continue;
          if (moving && entry.id === moving.id) {
            target.save();
            target.translate(moving.dx, moving.dy);
            drawEntry(target, shown(entry), board.images, true);
            target.restore();
          } else drawEntry(target, entry, board.images, true);
        }
        return to;
      };
      /** Draws the layer's entries (./board-scene): within a box, those whose drawing may touch it. */
      const renderLayer: Render = (target, from, to, deadline, within) =>
        drawBoard(target, true, within && ((entry) => overlaps(inkBox(entry), within)), from, to, deadline);
      /** The layer's edits repaired so far (BoardState.edits, since `redraws`), and the entry it leaves out. */
      let repaired = { redraws: board.redraws, edits: 0, moving: undefined as number | undefined };
      /**
       * Bring the layer up to date in place (./board-scene): each entry erased
       * or changed since the last frame, and the entry a move takes out of the
       * layer (it is drawn on top, shifted) or puts back (a refused move).
       */
      const repairLayer = () => {
        if (repaired.redraws !== board.redraws) repaired = { redraws: board.redraws, edits: 0, moving: undefined };
        // Every entry's removal counts (the layer's indices shift); only this page's need drawing.
        const edits: Repair[] = board.edits.slice(repaired.edits).map(({ entry, removed }) =>
          ({ box: onPage(entry) ? inkBox(entry) : null, removed }));
        repaired.edits = board.edits.length;
        if (repaired.moving !== moving?.id) {
          for (const id of [repaired.moving, moving?.id]) {
            const entry = board.entries.find((e) => e.id === id);
            if (entry && onPage(entry)) edits.push({ box: inkBox(entry), removed: -1 });
          }
          repaired.moving = moving?.id;
        }
        scene.repair(String(board.redraws), String(page), edits, renderLayer);
      };

      const paint = () => {
        frameRequested = false;
        const dpr = window.devicePixelRatio || 1;
        ctx.setTransform(1, 0, 0, 1, 0, 0);
        ctx.fillStyle = PAPER;
        ctx.fillRect(0, 0, canvas.width, canvas.height);
        const px = scale * zoom; // CSS pixels per board unit, as shown
        const res = dpr * px;
        // How many entries this frame shows (a layer comes in slices); null: an older layer, still.
        let shows: number | null = board.entries.length;
        if (Scene.fits(res)) {
          repairLayer();
          shows = scene.draw(ctx, res, ox, oy, String(board.redraws), String(page), shows, renderLayer, repaint);
          ctx.setTransform(res, 0, 0, res, -ox * res, -oy * res);
        } else {
          ctx.setTransform(res, 0, 0, res, -ox * res, -oy * res);
          drawBoard(ctx, true, onScreen);
        }
        const held = moving && board.entries.find((e) => e.id === moving!.id);
        if (held && onPage(held) && !hasMath(held)) {
          ctx.save();
          ctx.translate(moving!.dx, moving!.dy);
          drawEntry(ctx, shown(held), board.images, true);
          ctx.restore();
        }
        math.place(px, ox, oy, (id) => (moving && moving.id === id ? [moving.dx, moving.dy] : [0, 0]));
        for (const ink of board.inking.values()) if (onPage(ink)) drawEntry(ctx, ink, board.images);
        for (const pending of board.pending.values()) if (onPage(pending)) drawEntry(ctx, pending, board.images);
        if (mine) inkPath(ctx, mine.ink);
        if (shaping) drawEntry(ctx, shaping);
        const found = selected && board.entries.find((e) => e.id === selected!.id);
        const chosen = found ? shown(found) : null;
        if (chosen) {
          const [left, top, right, bottom] = entryBox(chosen, ctx, mathText);
          const [dx, dy] = moving ? [moving.dx, moving.dy] : [0, 0];
          ctx.save();
          ctx.setLineDash([6 / px, 4 / px]);
          ctx.strokeStyle = "#1e88e5";
          ctx.lineWidth = 1.5 / px;
          ctx.strokeRect(left - 4 + dx, top - 4 + dy, right - left + 8, bottom - top + 8);
          const handle = handleOf(chosen);
          if (handle) {
            ctx.setLineDash([]);
            ctx.fillStyle = "#ffffff";
            ctx.fillRect(handle[0] + dx - 5 / px, handle[1] + dy - 5 / px, 10 / px, 10 / px);
            ctx.strokeRect(handle[0] + dx - 5 / px, handle[1] + dy - 5 / px, 10 / px, 10 / px);
          }
          ctx.restore();
        }
        for (const cursor of board.cursors.values()) {
          ctx.fillStyle = userColor(cursor.user);
          ctx.beginPath();
          ctx.arc(cursor.x, cursor.y, 5 / px, 0, Math.PI * 2);
          ctx.fill();
          ctx.font = `${12 / px}px sans-serif`;
          ctx.fillText(displayName(cursor.user), cursor.x + 8 / px, cursor.y - 8 / px);
        }
        const items = board.entries.filter(isItem).length;
        const count = board.entries.length - items;
        // What this view shows, for tests: finished strokes and items drawn so
        // far (a big board's layer comes in slices), others' strokes being
        // drawn, others' cursors, the selection. Assistive tech hears the board's counts.
        if (shows !== null) {
          const drawnItems = shows < board.entries.length ? board.entries.slice(0, shows).filter(isItem).length : items;
          canvas.dataset.strokes = String(Math.min(shows, board.entries.length) - drawnItems);
          canvas.dataset.items = String(drawnItems);
        }
        canvas.dataset.inking = String(board.inking.size);
        canvas.dataset.cursors = String(board.cursors.size);
        canvas.dataset.images = String([...board.images.values()].filter((i) => i.complete && i.naturalWidth).length);
        canvas.dataset.selected = chosen ? String(chosen.id) : "";
        canvas.dataset.zoom = String(Math.round(zoom * 100) / 100);
        canvas.dataset.page = String(page);
        canvas.setAttribute("aria-label",
          `Whiteboard ${model.get("room")}: ${count} stroke${count === 1 ? "" : "s"}, ${items} item${items === 1 ? "" : "s"}`);
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
      // their changes with "locked"); cursors still move.
      const readOnly = () => link.locked && !link.moderator;
      const renderStatus = () => {
        const locked = readOnly();
        for (const button of [...toolButtons, ...swatches, ...widths, fillButton, undoButton, redoButton]) button.disabled = locked;
        custom.disabled = locked;
        surface.classList.toggle("pw-readonly", locked);
        notice.textContent = link.problem;
      };
      // A move comes back as `erased` (old id) then the entry under a new id:
      // the selection follows it by sid; a refused move is drawn back in place.
      const follow = () => {
        if (moving?.sent && !board.entries.some((e) => e.id === moving!.id)) moving = null;
        if (selected && !board.entries.some((e) => e.id === selected!.id)) {
          // Between `erased` and the moved copy the sid matches nothing yet: keep waiting.
          const again = selected.sid ? board.entries.find((e) => e.sid === selected!.sid) : undefined;
          if (again) selected = { id: again.id, sid: again.sid };
          else if (!selected.sid) selected = null;
        }
      };
      link.onFrame((frame) => {
        if (frame.type === "error" && moving?.sent) moving = null;
      }, signal);
      link.onChange(renderStatus, signal);
      const syncMath = () => math.sync(board.entries.filter((e): e is Item => onPage(e) && hasMath(e)));
      board.onChange(() => {
        follow();
        syncMath();
        repaint();
      }, signal);
      syncMath(); // a second view of the widget starts with the board already held
      renderStatus();

      const boardPoint = (event: { clientX: number; clientY: number }): Point => {
        const box = canvas.getBoundingClientRect();
        const x = ox + ((event.clientX - box.left) / box.width) * (BOARD_WIDTH / zoom);
        const y = oy + ((event.clientY - box.top) / box.height) * (BOARD_HEIGHT / zoom);
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
        const piece: Ink = { ...mine.ink, points: mine.ink.points.slice(from) };
        if (mine.ink.pressure) piece.pressure = mine.ink.pressure.slice(from);
        link.send(frames.draw(mine.sid, piece));
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

      // The room host refuses others' entries to non-moderators ("forbidden"); the
      // view offers only what it would accept.
      const mayChange = (entry: Entry) =>
        link.moderator || (!!link.self && entry.user?.username === link.self.user.username);
      const topmost = (p: Point) => [...board.entries].reverse().find((e) => onPage(e) && mayChange(e) && hitsEntry(e, p, ctx, mathText));

      const place = (unpaged: ItemFields, sid = newSid()) => {
        const fields = paged(unpaged);
        board.pending.set(sid, fields);
        link.send(frames.item(sid, fields));
        repaint();
      };

      // Text and notes are typed in place: Enter places them, Shift+Enter is a
      // new line, Escape (or an empty text) places nothing.
      const openEditor = (p: Point, kind: "text" | "note") => {
        const size = kind === "note" ? 18 : TEXT_SIZES[WIDTHS.indexOf(width)] ?? 24;
        const editor = element("textarea", `pw-editor pw-editor-${kind}`);
        editor.maxLength = MAX_TEXT;
        const px = scale * zoom;
        editor.style.left = `${(p[0] - ox) * px}px`;
        editor.style.top = `${(p[1] - oy) * px}px`;
        editor.style.fontSize = `${size * px}px`;
        editor.style.color = kind === "note" ? "#222222" : color;
        if (kind === "note") {
          editor.style.width = `${NOTE_W * px}px`;
          editor.style.height = `${NOTE_H * px}px`;
          editor.style.background = NOTE_COLOR;
        }
        editor.setAttribute("aria-label", kind === "note" ? "Sticky note text" : "Text");
        let done = false;
        const close = (keep: boolean) => {
          if (done) return;
          done = true;
          const text = editor.value;
          editor.remove();
          root.focus({ preventScroll: true });
          if (!keep || !text.trim()) return;
          place(kind === "note"
            ? { kind, x: p[0], y: p[1], w: NOTE_W, h: NOTE_H, text, size, color: NOTE_COLOR }
            : { kind, x: p[0], y: p[1], text, size, color });
        };
        editor.addEventListener("keydown", (event) => {
          if (event.key === "Enter" && !event.shiftKey) {
            event.preventDefault();
            close(true);
          } else if (event.key === "Escape") close(false);
        }, { signal });
        editor.addEventListener("blur", () => close(true), { signal });
        surface.append(editor);
        editor.focus();
      };

      // --- pages and follow-the-teacher ------------------------------------
      const pages = element("span", "pw-pages");
      const prevPage = toolButton("◀", "Previous page");
      const pageLabel = element("span", "pw-page-label");
      const nextPage = toolButton("▶", "Next page (a new one after the last)");
      const followButton = toolButton("Follow teacher", "Show the page the teacher is on");
      const renameButton = moderatorButton("Rename", "Name this page for everyone", link, signal);
      renameButton.classList.add("pw-tool");
      pages.append(prevPage, pageLabel, nextPage, renameButton, followButton);
      toolbar.insertBefore(pages, notice);
      const lastPage = () => Math.max(page, board.teacherPage, ...board.entries.map((e) => e.page ?? 0),
        ...board.pageNames.keys());
      const renderPages = () => {
        // Names are plain text from the room (textContent: never HTML).
        const name = board.pageNames.get(page);
        pageLabel.textContent = `Page ${page + 1} / ${lastPage() + 1}` + (name ? `: ${name}` : "")
          + (board.teacherPage !== page ? ` · teacher on ${board.teacherPage + 1}` : "");
        prevPage.disabled = page === 0;
        nextPage.disabled = page >= MAX_PAGES - 1;
        followButton.setAttribute("aria-pressed", String(following));
      };
      const turnTo = (next: number, byHand: boolean) => {
        if (next === page || next < 0 || next >= MAX_PAGES) return;
        page = next;
        selected = null;
        syncMath();
        // A moderator leads: followers go where they go (their own view counts
        // as there at once). Others turning by hand stop following.
        if (byHand && link.moderator) {
          board.teacherPage = page;
          link.send(frames.page(page));
        } else if (byHand) following = false;
        renderPages();
        repaint();
      };
      prevPage.addEventListener("click", () => turnTo(page - 1, true), { signal });
      nextPage.addEventListener("click", () => turnTo(page + 1, true), { signal });
      // Renaming is typed in place (no prompt()): Enter sends, Escape or leaving cancels.
      renameButton.addEventListener("click", () => {
        const input = element("input", "pw-page-name");
        input.maxLength = MAX_PAGE_NAME;
        input.value = board.pageNames.get(page) ?? "";
        input.setAttribute("aria-label", `Name of page ${page + 1}`);
        const named = page;
        let done = false;
        const close = (send: boolean) => {
          if (done) return;
          done = true;
          if (send) link.send(frames.pageName(named, input.value.trim()));
          input.remove();
          pageLabel.hidden = false;
        };
        input.addEventListener("keydown", (event) => {
          event.stopPropagation(); // typed letters are not tool shortcuts
          if (event.key === "Enter") close(true);
          else if (event.key === "Escape") close(false);
        }, { signal });
        input.addEventListener("blur", () => close(false), { signal });
        pageLabel.hidden = true;
        pages.insertBefore(input, pageLabel);
        input.focus();
        input.select();
      }, { signal });
      followButton.addEventListener("click", () => {
        following = !following;
        if (following) turnTo(board.teacherPage, false);
        renderPages();
      }, { signal });
      board.onChange(() => {
        if (following) turnTo(board.teacherPage, false);
        renderPages();
      }, signal);
      renderPages();

      // --- pan and zoom (this view only) ------------------------------------
      const setView = (nextZoom: number, at: Point, nextOx = ox, nextOy = oy) => {
        const z = Math.min(MAX_ZOOM, Math.max(1, nextZoom));
        // Keep the board point `at` where it is on screen while zooming.
        ox = at[0] - ((at[0] - nextOx) * zoom) / z;
        oy = at[1] - ((at[1] - nextOy) * zoom) / z;
        zoom = z;
        ox = Math.min(BOARD_WIDTH - BOARD_WIDTH / zoom, Math.max(0, ox));
        oy = Math.min(BOARD_HEIGHT - BOARD_HEIGHT / zoom, Math.max(0, oy));
        repaint();
      };
      const centre = (): Point => [ox + BOARD_WIDTH / zoom / 2, oy + BOARD_HEIGHT / zoom / 2];
      // Ctrl/Cmd + wheel (and a trackpad's pinch, which browsers send as such)
      // zooms at the pointer; a plain wheel pans a zoomed board and otherwise
      // scrolls the notebook as usual.
      canvas.addEventListener("wheel", (event) => {
        if (event.ctrlKey || event.metaKey) {
          event.preventDefault();
          setView(zoom * Math.exp(-event.deltaY / 300), boardPoint(event));
        } else if (zoom > 1) {
          event.preventDefault();
          const px = scale * zoom;
          setView(zoom, centre(), ox + event.deltaX / px, oy + event.deltaY / px);
        }
      }, { signal, passive: false });
      const fitButton = toolButton("Fit", titled("Show the whole board", SHORTCUTS.fit));
      fitButton.addEventListener("click", () => setView(1, [0, 0], 0, 0), { signal });
      toolbar.insertBefore(fitButton, pngButton);

      // Two fingers pinch: zoom about their midpoint, which stays under them
      // (pan and zoom at once). A stroke the first finger began is dropped if
      // no one saw it yet, else finished as drawn.
      const touches = new Map<number, Point>();
      let pinch: { distance: number; at: Point; zoom: number } | null = null;
      const fingers = () => {
        const [a, b] = [...touches.values()];
        const box = canvas.getBoundingClientRect();
        return { distance: Math.max(1, Math.hypot(a[0] - b[0], a[1] - b[1])),
          mid: [(a[0] + b[0]) / 2 - box.left, (a[1] + b[1]) / 2 - box.top] as Point };
      };
      const startPinch = () => {
        if (mine && mine.sent === 0) mine = null;
        else if (mine) finishInk();
        shaping = null;
        moving = null;
        const { distance, mid } = fingers();
        const px = scale * zoom;
        pinch = { distance, zoom, at: [ox + mid[0] / px, oy + mid[1] / px] };
      };
      const movePinch = () => {
        if (!pinch) return;
        const { distance, mid } = fingers();
        zoom = Math.min(MAX_ZOOM, Math.max(1, (pinch.zoom * distance) / pinch.distance));
        const px = scale * zoom;
        setView(zoom, [0, 0], pinch.at[0] - mid[0] / px, pinch.at[1] - mid[1] / px);
      };

      canvas.addEventListener("pointerdown", (event) => {
        if (event.pointerType === "touch") {
          touches.set(event.pointerId, [event.clientX, event.clientY]);
          if (touches.size === 2) startPinch();
          if (touches.size >= 2) {
            event.preventDefault();
            return;
          }
        }
        // Space + drag or the middle button pans (any time, even read-only).
        if (spaceDown || (event.pointerType === "mouse" && event.button === 1)) {
          event.preventDefault();
          canvas.setPointerCapture(event.pointerId);
          panning = { x: event.clientX, y: event.clientY, ox, oy };
          return;
        }
        if ((event.pointerType === "mouse" && event.button !== 0) || readOnly()) return;
        event.preventDefault();
        root.focus({ preventScroll: true });
        const p = boardPoint(event);
        if (tool === "erase") {
          const target = topmost(p);
          if (target) link.send(frames.erase(target.id));
          return;
        }
        if (tool === "text" || tool === "note") {
          openEditor(p, tool);
          return;
        }
        canvas.setPointerCapture(event.pointerId);
        const current = selected && board.entries.find((e) => e.id === selected!.id);
        const handle = current && handleOf(current);
        if (tool === "select" && current && isItem(current) && handle && Math.hypot(p[0] - handle[0], p[1] - handle[1]) <= 10 / (scale * zoom)) {
          const start: [number, number] = [current.w ?? 0, current.h ?? 0];
          moving = { id: current.id, from: p, dx: 0, dy: 0, sent: false, size: [...start], start };
        } else if (tool === "select") {
          const target = topmost(p);
          selected = target ? { id: target.id, sid: target.sid } : null;
          moving = target ? { id: target.id, from: p, dx: 0, dy: 0, sent: false } : null;
        } else if (tool === "pen" || tool === "highlighter") {
          // A highlighter: four times as wide, a third opaque (HIGHLIGHT_ALPHA).
          const ink: Ink = tool === "pen" ? { points: [p], color, width } : { points: [p], color, width: width * 4, alpha: HIGHLIGHT_ALPHA };
          // A pen (stylus) reports its pressure; a mouse reports a constant, so none is kept.
          if (tool === "pen" && event.pointerType === "pen") ink.pressure = [pressureOf(event)];
          mine = { sid: newSid(), ink: paged(ink), sent: 0 };
        } else {
          shaping = paged({ kind: tool, x: p[0], y: p[1], w: 0, h: 0, color, width });
          if (filled && (tool === "rect" || tool === "ellipse")) shaping.fill = color;
          shapeSid = newSid();
          shapeShown = false;
        }
        repaint();
      }, { signal });

      canvas.addEventListener("pointermove", (event) => {
        if (touches.has(event.pointerId)) {
          touches.set(event.pointerId, [event.clientX, event.clientY]);
          if (pinch) {
            movePinch();
            return;
          }
        }
        const p = boardPoint(event);
        sendCursor(p);
        if (!canvas.hasPointerCapture(event.pointerId)) return;
        if (panning) {
          const px = scale * zoom;
          setView(zoom, centre(), panning.ox - (event.clientX - panning.x) / px, panning.oy - (event.clientY - panning.y) / px);
          return;
        }
        if (shaping) {
          shaping.w = Math.round((p[0] - shaping.x) * 10) / 10;
          shaping.h = Math.round((p[1] - shaping.y) * 10) / 10;
          // Others see it grow, at most every DRAW_EVERY_MS, once it can be seen.
          const now = Date.now();
          if (now - lastShape >= DRAW_EVERY_MS && Math.abs(shaping.w) + Math.abs(shaping.h) >= 4) {
            lastShape = now;
            shapeShown = true;
            link.send(frames.shape(shapeSid, shaping));
          }
        } else if (moving && !moving.sent) {
          const [dx, dy] = [p[0] - moving.from[0], p[1] - moving.from[1]];
          if (moving.size && moving.start) moving.size = [moving.start[0] + dx, moving.start[1] + dy];
          else [moving.dx, moving.dy] = [dx, dy];
        } else if (mine) {
          // Coalesced events keep pen and fast mouse strokes smooth.
          const events = event.getCoalescedEvents?.() ?? [event];
          for (const e of events.length ? events : [event]) {
            const q = boardPoint(e);
            const last = mine.ink.points[mine.ink.points.length - 1];
            if (Math.hypot(q[0] - last[0], q[1] - last[1]) >= 1 && mine.ink.points.length < MAX_POINTS) {
              mine.ink.points.push(q);
              mine.ink.pressure?.push(pressureOf(e));
            }
          }
        }
        repaint();
      }, { signal });

      const finishInk = () => {
        if (!mine) return;
        flushDraw();
        const { sid, ink } = mine;
        mine = null;
        board.pending.set(sid, ink);
        link.send(frames.stroke(sid, ink));
      };
      const finish = (event: PointerEvent) => {
        if (canvas.hasPointerCapture(event.pointerId)) canvas.releasePointerCapture(event.pointerId);
        if (touches.delete(event.pointerId) && pinch) {
          // The pinch ends with its second finger; the last one lifted draws nothing.
          if (touches.size < 2) pinch = null;
          return;
        }
        if (panning) panning = null;
        else if (shaping) {
          const shape = shaping;
          shaping = null;
          // A click is not a shape: it needs some extent to be seen and picked.
          // One the others already saw is placed anyway, so its preview is replaced.
          if (shapeShown || Math.abs(shape.w ?? 0) + Math.abs(shape.h ?? 0) >= 4) place(shape, shapeSid);
        } else if (moving && !moving.sent) {
          const { id, dx, dy, size, start } = moving;
          const round = (n: number) => Math.round(n * 10) / 10;
          if (size && start && Math.abs(size[0] - start[0]) + Math.abs(size[1] - start[1]) >= 1) {
            moving.sent = true;
            link.send(frames.move(id, 0, 0, [round(size[0]), round(size[1])]));
          } else if (!size && Math.abs(dx) + Math.abs(dy) >= 1) {
            moving.sent = true;
            link.send(frames.move(id, round(dx), round(dy)));
          } else moving = null;
        } else finishInk();
        repaint();
      };
      canvas.addEventListener("pointerup", finish, { signal });
      canvas.addEventListener("pointercancel", finish, { signal });

      // Pasted or dropped images go on the board as PNG/JPEG of at most
      // MAX_IMAGE_BYTES (./pictures re-encodes them; an SVG is rasterised here,
      // never sent as SVG).
      const putImages = async (files: Iterable<File>, at: Point) => {
        for (const file of files) {
          if (!file.type.startsWith("image/") || readOnly()) continue;
          const picture = await pictureData(file);
          if (!picture) {
            notice.textContent = "That image could not be read or made small enough.";
            continue;
          }
          const w = Math.min(picture.width, BOARD_WIDTH / 2, BOARD_WIDTH - at[0]);
          const h = Math.min((w * picture.height) / picture.width, BOARD_HEIGHT - at[1]);
          const fields: ItemFields = paged({ kind: "image", x: at[0], y: at[1], w, h, color: color });
          const sid = newSid();
          board.pending.set(sid, fields);
          link.send(frames.image(sid, fields, picture.data));
          repaint();
        }
      };
      root.addEventListener("paste", (event) => {
        const files = [...(event.clipboardData?.files ?? [])];
        if (!files.length) return;
        event.preventDefault();
        void putImages(files, [20, 20]);
      }, { signal });
      surface.addEventListener("dragover", (event) => event.preventDefault(), { signal });
      surface.addEventListener("drop", (event) => {
        event.preventDefault();
        void putImages([...(event.dataTransfer?.files ?? [])], boardPoint(event));
      }, { signal });

      const setSpace = (event: KeyboardEvent, down: boolean) => {
        const typing = ["TEXTAREA", "INPUT"].includes((event.target as HTMLElement | null)?.tagName ?? "");
        if (event.key !== " " || typing) return;
        spaceDown = down;
        surface.classList.toggle("pw-panning", down);
        event.preventDefault(); // no page scroll while panning
      };
      root.addEventListener("keyup", (event) => setSpace(event, false), { signal });
      root.addEventListener("keydown", (event) => {
        setSpace(event, true);
        const wanted = shortcut(event);
        if (wanted === "zoomIn" || wanted === "zoomOut" || wanted === "fit") {
          event.preventDefault();
          if (wanted === "fit") setView(1, [0, 0], 0, 0);
          else setView(zoom * (wanted === "zoomIn" ? 1.25 : 0.8), centre());
          return;
        }
        if (!wanted || readOnly()) return;
        event.preventDefault();
        if (wanted === "undo" || wanted === "redo") link.send(frames[wanted]());
        else if (wanted === "delete") {
          if (selected) link.send(frames.erase(selected.id));
        } else if (wanted === "deselect") {
          selected = null;
          repaint();
        } else if (wanted === "fill") fillButton.click();
        else pick(wanted);
      }, { signal });

      // PNG download: the board as the kernel's to_png() renders it, 1000 x 625
      // pixels, without cursors, selection or strokes still being drawn.
      pngButton.addEventListener("click", () => {
        const image = element("canvas", "");
        image.width = BOARD_WIDTH;
        image.height = BOARD_HEIGHT;
        const target = image.getContext("2d")!;
        target.fillStyle = PAPER;
        target.fillRect(0, 0, BOARD_WIDTH, BOARD_HEIGHT);
        const saved = moving;
        moving = null;
        drawBoard(target); // this view's page
        moving = saved;
        image.toBlob((blob) => {
          if (!blob) return;
          const a = element("a", "");
          a.href = URL.createObjectURL(blob);
          a.download = `${model.get("room")}.png`;
          a.click();
          setTimeout(() => URL.revokeObjectURL(a.href), 1000);
        }, "image/png");
      }, { signal });

      return () => {
        controller.abort();
        root.remove();
        shared.release();
      };
    },
  };
};
