/**
 * "Insert below": put a piece of code in a new cell under the cell that shows
 * a widget, in the reader's own notebook, without running anything (issue 14,
 * "Code to cells"; issue 15 for the Snippets widget).
 *
 * Mechanism, and why (docs/security.md, "Insert below"): in JupyterLab 4 and
 * Notebook 7 a widget's model belongs to the notebook's widget manager
 * (@jupyter-widgets/jupyterlab-manager), whose public `context` is the
 * notebook document's context; its shared model is the notebook the reader
 * edits. A new cell inserted there shows at once, unexecuted (no execution
 * count, no outputs). The alternatives fail in a real browser: the kernel's
 * `set_next_input` is a payload of an execute reply, so a widget's custom
 * message cannot use it; `window.jupyterapp` exists only when the server runs
 * with `expose_app_in_browser`. Where no such context exists (VS Code, Colab,
 * Voila, a console, a plain page) `notebookInserter` returns null and no
 * button is shown.
 */

import type { Model } from "./room";

/** The parts of a notebook's shared model (@jupyter/ydoc YNotebook) used here. */
interface SharedNotebook {
  cells: { cell_type: string; toJSON?: () => { outputs?: unknown[] } }[];
  insertCell(index: number, cell: { cell_type: "code"; source: string }): unknown;
}

interface ManagerContext {
  model?: { readOnly?: boolean; sharedModel?: Partial<SharedNotebook> };
}

interface WidgetManager {
  context?: ManagerContext;
  get_model(id: string): Promise<{ trigger(event: string): void }>;
}

/** anywidget's model proxy also carries the widget manager (anywidget 0.9+). */
type ManagedModel = Model<unknown> & { widget_manager?: WidgetManager };

const VIEW_MIME = "application/vnd.jupyter.widget-view+json";
/** An event name only this module triggers: how a cell's widget is recognised as ours. */
const PROBE = "pw:insert-probe";

/** Inserts `code` below the widget's cell; resolves to false when that cell cannot be found. */
export type Inserter = (code: string) => Promise<boolean>;

function notebookOf(model: ManagedModel): SharedNotebook | null {
  const context = model.widget_manager?.context;
  const shared = context?.model?.sharedModel;
  if (!shared || context?.model?.readOnly || typeof shared.insertCell !== "function"
      || !Array.isArray(shared.cells)) return null;
  return shared as SharedNotebook;
}

/** Widget model ids a cell shows (its widget-view outputs). */
function viewIds(cell: SharedNotebook["cells"][number]): string[] {
  if (cell.cell_type !== "code" || !cell.toJSON) return [];
  const ids: string[] = [];
  for (const output of cell.toJSON().outputs ?? []) {
    const id = (output as { data?: Record<string, { model_id?: unknown }> }).data?.[VIEW_MIME]?.model_id;
    if (typeof id === "string") ids.push(id);
  }
  return ids;
}

/**
 * Whether `id` is this model. anywidget hides the model id, so the manager's
 * model for `id` is sent an event only a listener added through our proxy hears.
 */
async function isOurs(model: ManagedModel, manager: WidgetManager, id: string): Promise<boolean> {
  let heard = false;
  const listener = () => { heard = true; };
  model.on(PROBE, listener);
  try {
    (await manager.get_model(id)).trigger(PROBE);
  } catch {
    // Not a model of this manager (an output saved from another session).
  } finally {
    model.off(PROBE, listener);
  }
  return heard;
}

/** Index of the cell whose DOM node holds `el`, counted among the notebook's cell nodes. */
function domIndex(el: HTMLElement): number {
  const cell = el.closest(".jp-Cell");
  const notebook = cell?.closest(".jp-Notebook");
  if (!cell || !notebook) return -1;
  // Windowed notebooks number their cells; otherwise every cell is in the DOM, in order.
  const numbered = (cell as HTMLElement).dataset.windowedListIndex;
  if (numbered !== undefined) return Number(numbered);
  return [...notebook.querySelectorAll(".jp-Cell")].indexOf(cell);
}

/**
 * The cell showing `el` (a view of `model`): the DOM's guess when that cell
 * does show this model, else the only cell that shows it; -1 if unsure.
 */
async function cellIndex(model: ManagedModel, manager: WidgetManager, notebook: SharedNotebook,
                         el: HTMLElement): Promise<number> {
  const guess = domIndex(el);
  const cells = notebook.cells;
  const ours: number[] = [];
  for (let index = 0; index < cells.length; index++) {
    for (const id of viewIds(cells[index])) {
      if (await isOurs(model, manager, id)) {
        if (index === guess) return index;
        ours.push(index);
        break;
      }
    }
  }
  return ours.length === 1 ? ours[0] : -1;
}

/**
 * An {@link Inserter} for the view `el` of `model`, or null where the page is
 * not a JupyterLab 4 / Notebook 7 notebook the reader may edit (then offer no button).
 */
export function notebookInserter(model: Model<any>, el: HTMLElement): Inserter | null {
  const managed = model as ManagedModel;
  const manager = managed.widget_manager;
  if (!manager || !notebookOf(managed)) return null;
  return async (code: string) => {
    const notebook = notebookOf(managed);
    if (!notebook) return false;
    const index = await cellIndex(managed, manager, notebook, el);
    if (index < 0) return false;
    // Only a source (a fence's closing newline dropped): no outputs, no
    // execution count; nothing is run (issue 14).
    notebook.insertCell(index + 1, { cell_type: "code", source: code.replace(/\n$/, "") });
    return true;
  };
}

/** A button that inserts `code()` below the widget's cell and says how it went (text only). */
export function insertButton(insert: Inserter, code: () => string, className = "pw-insert"): HTMLButtonElement {
  const button = document.createElement("button");
  button.type = "button";
  button.className = className;
  button.textContent = "Insert below";
  button.title = "Insert this code in a new cell below this widget (it is not run)";
  button.addEventListener("click", () => {
    insert(code()).then((done) => { button.textContent = done ? "Inserted" : "Insert failed"; },
      () => { button.textContent = "Insert failed"; });
  });
  return button;
}
