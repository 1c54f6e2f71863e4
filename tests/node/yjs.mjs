// Stock Yjs providers against the `yjs` party: y-partyserver's YProvider and
// y-websocket's WebsocketProvider, with `ws` as their WebSocket.
//
//   node yjs.mjs converge <host> <room> [token]   two providers edit, a third joins late
//   node yjs.mjs write <host> <room> <text> [token]  insert text, wait until relayed
//   node yjs.mjs read <host> <room> [token]       print the document once synced
//
// `host` is what partysocket takes ("127.0.0.1:8888/partywidget" inside Jupyter).
// Prints one JSON object; tests/integration/test_yjs_wire.py asserts on it, so this
// script only drives and records. Every wait is bounded.
import WS from "ws";
import * as Y from "yjs";
import YProvider from "y-partyserver/provider";
import { WebsocketProvider } from "y-websocket";

const [mode, host, room, ...rest] = process.argv.slice(2);
const TIMEOUT_MS = 15000;

function partyserver(doc, token, id) {
  return new YProvider(host, room, doc, {
    party: "yjs", WebSocketPolyfill: WS, connectionId: id, disableBc: true,
    params: token ? { token } : {},
  });
}

function websocket(doc, token) {
  return new WebsocketProvider(`ws://${host}/parties/yjs`, room, doc, {
    WebSocketPolyfill: WS, disableBc: true, params: token ? { token } : {},
  });
}

// Resolve once `check()` is true, checking after every event of `emitters`.
function until(what, check, ...emitters) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)),
      TIMEOUT_MS);
    const test = () => {
      if (check()) {
        clearTimeout(timer);
        for (const [emitter, name] of emitters) emitter.off(name, test);
        resolve();
      }
    };
    for (const [emitter, name] of emitters) emitter.on(name, test);
    test();
  });
}

const synced = (provider) => until("sync", () => provider.synced, [provider, "sync"]);

function snapshot(doc) {
  return { text: doc.getText("t").toString(), map: doc.getMap("m").toJSON(),
           state: doc.getMap("state").toJSON() };
}

async function converge(token) {
  const docA = new Y.Doc();
  const docB = new Y.Doc();
  const a = partyserver(docA, token, "yjs-alice");
  const b = websocket(docB, token);
  await Promise.all([synced(a), synced(b)]);
  // Concurrent edits: both before either sees the other's.
  docA.getText("t").insert(0, "alice ");
  docB.getText("t").insert(0, "bob ");
  docA.getMap("m").set("from-a", 1);
  docB.getMap("m").set("from-b", { nested: [1, 2] });
  const both = (doc) => () => doc.getText("t").length === 10 && doc.getMap("m").size === 2;
  await until("A to converge", both(docA), [docA, "update"]);
  await until("B to converge", both(docB), [docB, "update"]);
  // A claims to be someone else in awareness; B must see the server's identity.
  a.awareness.setLocalState({ user: { name: "Teacher", color: "#000000" }, cursor: 7 });
  const seen = () => b.awareness.getStates().get(docA.clientID);
  await until("A's awareness at B", () => seen()?.cursor === 7, [b.awareness, "change"]);
  const awareness = seen();
  // A late joiner gets the whole document.
  const docC = new Y.Doc();
  const c = partyserver(docC, token, "yjs-carol");
  await synced(c);
  const late = snapshot(docC);
  // A leaves: its awareness state leaves with it.
  a.destroy();
  await until("A's awareness to go", () => !b.awareness.getStates().has(docA.clientID),
    [b.awareness, "change"]);
  const out = { a: snapshot(docA), b: snapshot(docB), c: late, awareness,
                awarenessAfterLeave: [...b.awareness.getStates().keys()] };
  b.destroy();
  c.destroy();
  return out;
}

async function write(text, token) {
  const doc = new Y.Doc();
  const writer = partyserver(doc, token, "yjs-writer");
  const watchDoc = new Y.Doc();
  const watcher = websocket(watchDoc, token);
  await Promise.all([synced(writer), synced(watcher)]);
  doc.getText("t").insert(0, text);
  // The room stores an update before relaying it: once the watcher has it, it is stored.
  await until("the update to be relayed", () => watchDoc.getText("t").toString().includes(text),
    [watchDoc, "update"]);
  writer.destroy();
  watcher.destroy();
  return snapshot(watchDoc);
}

async function read(token) {
  const doc = new Y.Doc();
  const reader = websocket(doc, token);
  await synced(reader);
  reader.destroy();
  return snapshot(doc);
}

let result;
if (mode === "converge") result = await converge(rest[0]);
else if (mode === "write") result = await write(rest[0], rest[1]);
else if (mode === "read") result = await read(rest[0]);
else throw new Error(`unknown mode ${mode}`);
// Exit only once stdout is written: a pipe takes large output asynchronously.
process.stdout.write(`${JSON.stringify(result)}\n`, () => process.exit(0));
