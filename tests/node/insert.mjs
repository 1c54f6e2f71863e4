// Drives js/insert.ts with stand-ins for anywidget's model proxy and the notebook's
// widget manager, and prints what it decided in each case as JSON.
//
//   node insert.mjs <bundle.mjs>
//
// `bundle.mjs` is js/insert.ts bundled by esbuild (tests/widgets/test_insert_js.py
// builds it and asserts on the output).
import { pathToFileURL } from "node:url";

const [bundle] = process.argv.slice(2);
const { notebookInserter } = await import(pathToFileURL(bundle).href);
const VIEW = "application/vnd.jupyter.widget-view+json";
/** A view outside any notebook DOM (no `.jp-Cell` ancestor): the model decides alone. */
const el = { closest: () => null };

/** anywidget's proxy of model `id`: listeners added through it hear that model's events. */
function proxy(id, manager) {
  const listeners = new Map();
  manager.models.set(id, { trigger: (name) => listeners.get(name)?.forEach((fn) => fn()) });
  return {
    widget_manager: manager.public,
    on: (name, fn) => listeners.set(name, new Set([...(listeners.get(name) ?? []), fn])),
    off: (name, fn) => listeners.get(name)?.delete(fn),
  };
}

function manager(cellIds, { context = true, readOnly = false } = {}) {
  const inserted = [];
  const cells = cellIds.map((ids) => ({
    cell_type: "code",
    toJSON: () => ({ outputs: ids.map((id) => ({ data: { [VIEW]: { model_id: id } } })) }),
  }));
  const models = new Map();
  const sharedModel = { cells, insertCell: (index, cell) => inserted.push([index, cell]) };
  const publicPart = {
    get_model: async (id) => {
      if (!models.has(id)) throw new Error(`no model ${id}`);
      return models.get(id);
    },
    ...(context ? { context: { model: { readOnly, sharedModel } } } : {}),
  };
  return { models, public: publicPart, inserted };
}

const results = {};
results.noManager = notebookInserter({ on() {}, off() {} }, el) === null;
const vscode = manager([["ours"]], { context: false });
results.noContext = notebookInserter(proxy("ours", vscode), el) === null;
const readOnly = manager([["ours"]], { readOnly: true });
results.readOnly = notebookInserter(proxy("ours", readOnly), el) === null;

const notebook = manager([["other"], [], ["gone", "ours"]]);
proxy("other", notebook);
const insert = notebookInserter(proxy("ours", notebook), el);
results.inserted = await insert("x = 1\n");
results.calls = notebook.inserted;

const twice = manager([["ours"], ["ours"]]);
results.ambiguous = await notebookInserter(proxy("ours", twice), el)("y");
results.ambiguousCalls = twice.inserted;
process.stdout.write(JSON.stringify(results));
