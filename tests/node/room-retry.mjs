// The widgets' socket transport (js/room.ts) against a host that refuses its `_pk`.
//
//   node --experimental-websocket room-retry.mjs <bundle.mjs> <host> <room> <party>
//
// `bundle.mjs` is js/room.ts bundled by esbuild (the test builds it). Node's
// WebSocket, like a browser's, reports a refused handshake as a socket that
// never opened; prints the first frame received and the `_pk`s presented.
// tests/integration/test_ids_and_removal.py asserts on the output.
import { pathToFileURL } from "node:url";

const [bundle, host, room, party] = process.argv.slice(2);
const { socketTransport } = await import(pathToFileURL(bundle).href);
const TIMEOUT_MS = 30000;

const drops = [];
const result = await new Promise((resolve, reject) => {
  const timer = setTimeout(() => reject(new Error(`no frame; drops: ${drops}`)), TIMEOUT_MS);
  const transport = socketTransport({ host, protocol: "ws" }, room, party, () => null, {
    frame: (frame) => {
      clearTimeout(timer);
      resolve({ frame, drops: [...drops] }); // the drops before it joined
      transport.close();
    },
    open: () => {},
    drop: (final) => drops.push(final),
  });
});
process.stdout.write(JSON.stringify(result));
