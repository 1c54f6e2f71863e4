// Feeds the frames a real room sent to the widgets' ChatLog and prints what it holds.
//
//   node chat-log.mjs <bundle.mjs> <frames.json>
//
// `bundle.mjs` is js/chat-log.ts bundled by esbuild (the test builds it);
// `frames.json` is the list of frames, in arrival order.
// tests/integration/test_client_bounds.py asserts on the output.
import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";

const [bundle, framesPath] = process.argv.slice(2);
const { ChatLog } = await import(pathToFileURL(bundle).href);
const log = new ChatLog();
let dropped = 0;
log.onChange((change) => {
  if (typeof change === "object" && "dropped" in change) dropped += change.dropped;
}, new AbortController().signal);
for (const frame of JSON.parse(readFileSync(framesPath, "utf8"))) log.apply(frame);
process.stdout.write(JSON.stringify({ ids: log.messages.map((m) => m.id), dropped }));
