// Prints the transcript the widget's download button makes (js/transcript.ts).
//
//   node transcript.mjs <bundle.mjs> <messages.json> <title>
//
// `bundle.mjs` is js/transcript.ts bundled by esbuild (the test builds it);
// tests/client/test_transcript.py compares the output with chat.to_markdown().
import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";

const [bundle, messagesPath, title] = process.argv.slice(2);
const { toMarkdown } = await import(pathToFileURL(bundle).href);
process.stdout.write(JSON.stringify(toMarkdown(JSON.parse(readFileSync(messagesPath, "utf8")), title)));
