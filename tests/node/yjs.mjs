// Stock Yjs providers against the `yjs` party: y-partyserver's YProvider and
// y-websocket's WebsocketProvider, with `ws` as their WebSocket.
//
//   node yjs.mjs converge <host> <room> [token]   two providers edit, a third joins late
//   node yjs.mjs write <host> <room> <text> [token]  insert text, wait until relayed
//   node yjs.mjs read <host> <room> [token]       print the document once synced
//   node yjs.mjs across <host> <room> <host2>    one y-websocket client on each of two
//       processes sharing a room; a late joiner on the second gets both edits
//   node yjs.mjs lock <host> <room> <teacher> <student> <watcher>
//       the teacher locks, the student's edits are dropped, awareness flows, unlock
//
// A token "hub:<token>" goes in an `Authorization: token` header (a JupyterHub
// service), through a `ws` subclass given as WebSocketPolyfill; any other token
// goes in the query as `token`. The subclass also records the frames received.
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

// Every frame the sockets of one `auth(...)` received: [kind, data] with kind "text" or
// the first byte of a binary frame (0 sync, 1 awareness, 2 permission denied).
function auth(token, frames = []) {
  const header = token?.startsWith("hub:") ? `token ${token.slice(4)}` : null;
  class Socket extends WS {
    constructor(url, protocols) {
      super(url, protocols, header ? { headers: { Authorization: header } } : {});
      this.addEventListener("message", ({ data }) => frames.push(typeof data === "string"
        ? ["text", data] : [new Uint8Array(data)[0], new Uint8Array(data)]));
    }
  }
  return { WebSocketPolyfill: Socket, params: token && !header ? { token } : {}, frames };
}

function partyserver(doc, token, id, params = {}, at = host) {
  const { WebSocketPolyfill, params: tokenParams, frames } = auth(token);
  const provider = new YProvider(at, room, doc, {
    party: "yjs", WebSocketPolyfill, connectionId: id, disableBc: true,
    params: { ...tokenParams, ...params },
  });
  provider.frames = frames;
  return provider;
}

function websocket(doc, token, at = host) {
  const { WebSocketPolyfill, params, frames } = auth(token);
  const provider = new WebsocketProvider(`ws://${at}/parties/yjs`, room, doc, {
    WebSocketPolyfill, disableBc: true, params,
  });
  provider.frames = frames;
  return provider;
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

// Resolve once `check()` is true, checking every 20 ms (for what no event announces).
function poll(what, check) {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const timer = setInterval(() => {
      if (check()) resolve(clearInterval(timer));
      else if (Date.now() - started > TIMEOUT_MS) {
        clearInterval(timer);
        reject(new Error(`timed out waiting for ${what}`));
      }
    }, 20);
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

// Two processes sharing a room (serve --redis): concurrent edits on each converge,
// and a joiner on the second process gets the first's edits from that process.
async function across(host2) {
  const [docA, docB] = [new Y.Doc(), new Y.Doc()];
  const a = websocket(docA, "");
  const b = websocket(docB, "", host2);
  await Promise.all([synced(a), synced(b)]);
  docA.getText("t").insert(0, "on-a ");
  docB.getText("t").insert(0, "on-b ");
  docA.getMap("m").set("a", 1);
  const both = (doc) => () => doc.getText("t").length === 10 && doc.getMap("m").size === 1;
  await until("A to converge", both(docA), [docA, "update"]);
  await until("B to converge", both(docB), [docB, "update"]);
  const docC = new Y.Doc();
  const c = partyserver(docC, "", "yjs-late", {}, host2);
  await synced(c);
  const out = { a: snapshot(docA), b: snapshot(docB), late: snapshot(docC) };
  for (const provider of [a, b, c]) provider.destroy();
  return out;
}

// A moderator's lock: the student's updates are dropped (the server's document and
// a third client's do not change), awareness still flows, the student is told once;
// unlocking restores editing. The student is a stock y-websocket provider.
async function lock(teacherToken, studentToken, watcherToken) {
  const [docT, docS, docW] = [new Y.Doc(), new Y.Doc(), new Y.Doc()];
  const teacher = partyserver(docT, teacherToken, "yjs-teacher", { controls: "1" });
  const access = [];
  teacher.on("custom-message", (text) => access.push(JSON.parse(text)));
  const student = websocket(docS, studentToken);
  const watcher = partyserver(docW, watcherToken, "yjs-watcher");
  await Promise.all([synced(teacher), synced(student), synced(watcher)]);
  const text = (doc) => doc.getText("t").toString();
  docT.getText("t").insert(0, "before ");
  await until("the teacher's text at the watcher", () => text(docW) === "before ",
    [docW, "update"]);
  await until("the student to see it", () => text(docS) === "before ", [docS, "update"]);

  teacher.sendMessage(JSON.stringify({ type: "lock", locked: true }));
  await until("the lock to be announced", () => access.at(-1)?.locked === true,
    [teacher, "custom-message"]);
  const denied = () => student.frames.filter(([kind]) => kind === 2).length;
  docS.getText("t").insert(7, "one ");
  docS.getText("t").insert(11, "two ");
  // Awareness still flows, and after both edits on one socket: once the watcher sees
  // this state, the server has handled the two updates before it.
  student.awareness.setLocalStateField("cursor", 42);
  const seen = () => watcher.awareness.getStates().get(docS.clientID);
  await until("the student's awareness", () => seen()?.cursor === 42,
    [watcher.awareness, "change"]);
  await poll("the student to be told", () => denied() >= 1);
  const reader = new Y.Doc();
  const late = partyserver(reader, watcherToken, "yjs-reader");
  await synced(late);
  const whileLocked = { watcher: text(docW), server: text(reader), student: text(docS),
                        denied: denied(), awareness: seen() };
  late.destroy();

  teacher.sendMessage(JSON.stringify({ type: "lock", locked: false }));
  await until("the unlock", () => access.at(-1)?.locked === false,
    [teacher, "custom-message"]);
  docS.getText("t").insert(0, "after ");
  await until("the watcher to converge", () => text(docW) === text(docS),
    [docW, "update"]);
  const out = { whileLocked, access, afterUnlock: { watcher: text(docW), student: text(docS),
                teacher: text(docT) }, denied: denied(),
                studentText: student.frames.filter(([kind]) => kind === "text").length };
  for (const provider of [teacher, student, watcher]) provider.destroy();
  return out;
}

let result;
if (mode === "converge") result = await converge(rest[0]);
else if (mode === "write") result = await write(rest[0], rest[1]);
else if (mode === "read") result = await read(rest[0]);
else if (mode === "lock") result = await lock(...rest);
else if (mode === "across") result = await across(rest[0]);
else throw new Error(`unknown mode ${mode}`);
// Exit only once stdout is written: a pipe takes large output asynchronously.
process.stdout.write(`${JSON.stringify(result)}\n`, () => process.exit(0));
