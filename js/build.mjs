/**
 * Builds the widgets' bundles into partywidget/widgets/static/ (`npm run build`,
 * which pyproject's hatch-jupyter-builder hook runs on `pip install`).
 *
 * anywidget loads a widget's ESM from one text (no sibling files), so chunk
 * splitting cannot load the heavy renderer lazily. Instead js/render/index.ts
 * (Markdown, KaTeX, highlight.js, DOMPurify) is bundled on its own first and
 * embedded in chat.js as a string (`virtual:renderer`); the chat imports it
 * from a Blob URL the first time a message needs it, so the widget shows
 * before those libraries are parsed (issue 14, "load lazily").
 */

import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { createRequire } from "node:module";
import * as esbuild from "esbuild";

const require = createRequire(import.meta.url);
const watch = process.argv.includes("--watch");
const dev = process.argv.includes("--dev") || watch;
const common = { bundle: true, format: "esm", target: "es2020", minify: !dev, logLevel: "info" };

/**
 * KaTeX's stylesheet as text, its fonts inlined as woff2 data: URLs (every
 * browser the widgets support reads woff2; the woff/ttf fallbacks are dropped)
 * so rendering math fetches nothing from anywhere.
 */
function katexCss() {
  const path = require.resolve("katex/dist/katex.min.css");
  const fonts = join(dirname(path), "fonts");
  return readFileSync(path, "utf8").replace(/src:([^;}]*)/g, (_, sources) => {
    const woff2 = /url\(fonts\/([^)]+\.woff2)\)/.exec(sources);
    if (!woff2) return "src:local(serif)";
    const data = readFileSync(join(fonts, woff2[1])).toString("base64");
    return `src:url(data:font/woff2;base64,${data}) format("woff2")`;
  });
}

const katexCssPlugin = {
  name: "katex-css",
  setup(build) {
    build.onResolve({ filter: /^virtual:katex-css$/ }, () => ({ path: "katex-css", namespace: "pw" }));
    build.onLoad({ filter: /^katex-css$/, namespace: "pw" }, () => ({ contents: katexCss(), loader: "text" }));
  },
};

/** The renderer's bundle as text, and the files it was built from (for --watch). */
async function renderer() {
  const result = await esbuild.build({
    ...common,
    entryPoints: ["js/render/index.ts"],
    write: false,
    metafile: true,
    logLevel: "warning",
    plugins: [katexCssPlugin],
  });
  const inputs = Object.keys(result.metafile.inputs).filter((path) => !path.includes(":"));
  return { text: result.outputFiles[0].text, inputs };
}

const rendererPlugin = {
  name: "renderer",
  setup(build) {
    build.onResolve({ filter: /^virtual:renderer$/ }, () => ({ path: "renderer", namespace: "pw" }));
    build.onLoad({ filter: /^renderer$/, namespace: "pw" }, async () => {
      const { text, inputs } = await renderer();
      return { contents: text, loader: "text", watchFiles: inputs };
    });
  },
};

const options = {
  ...common,
  entryPoints: ["js/chat.ts", "js/board.ts", "js/poll.ts", "js/hands.ts", "js/quiz.ts",
    "js/snippets.ts", "js/notes.ts"],
  outdir: "partywidget/widgets/static",
  sourcemap: dev ? "inline" : false,
  plugins: [rendererPlugin],
};

if (watch) {
  await (await esbuild.context(options)).watch();
} else {
  await esbuild.build(options);
}
