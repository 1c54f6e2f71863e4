// Two stock `partysocket` clients chat in one room, then use `PartySocket.fetch`.
//
//   node chat.mjs <host> <room> [token] [bob's host] [fetch's host]
//
// `host` is what partysocket takes ("127.0.0.1:8888/partywidget" inside Jupyter,
// "127.0.0.1:1999" for `partywidget serve`); the token, if any, goes in the query
// as a notebook page would pass it ("" for none). Bob joins through the fourth
// argument when given, and PartySocket.fetch goes through the fifth: other processes
// serving the same room (docs/scaling.md). Prints one JSON object with every frame each
// client received and the two HTTP answers; tests/integration/test_partysocket.py
// asserts on it, so this script only drives and records.
import PartySocket from "partysocket";
import WS from "ws";

const [host, room, token, bobHost, fetchHost] = process.argv.slice(2);
const query = token ? { token } : {};
const TIMEOUT_MS = 15000;

function join(id, through = host) {
  const socket = new PartySocket({ host: through, room, id, query, WebSocket: WS,
                                   maxRetries: 0 });
  const client = { id: socket.id, socket, frames: [], waiters: [] };
  socket.addEventListener("message", (event) => {
    const frame = JSON.parse(event.data);
    client.frames.push(frame);
    // The room's id for this connection: the `_pk` namespaced by the user.
    if (frame.type === "welcome") client.roomId = frame.id;
    client.waiters = client.waiters.filter((w) => !(w.match(frame) && (w.resolve(frame), true)));
  });
  return client;
}

// The first frame (already received or still to come) that `match` accepts.
function waitFor(client, what, match) {
  const seen = client.frames.find(match);
  if (seen) return Promise.resolve(seen);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${client.id}: no ${what} frame`)),
      TIMEOUT_MS);
    client.waiters.push({ match, resolve: (f) => { clearTimeout(timer); resolve(f); } });
  });
}

const ofType = (type, extra = () => true) => (f) => f.type === type && extra(f);

async function answer(response) {
  return { status: response.status, body: await response.json() };
}

const alice = join("alice-tab");
await waitFor(alice, "history", ofType("history"));
const bob = join("bob-tab", bobHost || host);
await waitFor(bob, "history", ofType("history"));
await waitFor(alice, "userJoined", ofType("userJoined", (f) => f.id === bob.roomId));

alice.socket.send(JSON.stringify({ content: "hello from node", cid: "node-1" }));
await waitFor(bob, "message", ofType("message", (f) => f.cid === "node-1"));
await waitFor(alice, "message", ofType("message", (f) => f.cid === "node-1"));
bob.socket.send(JSON.stringify({ content: { reply: true } }));
await waitFor(alice, "message", ofType("message", (f) => f.from === bob.roomId));
alice.socket.send("not json");
await waitFor(alice, "error", ofType("error"));

// PartySocket.fetch builds http://host/parties/main/room?<query> (note the bare
// `?` when the query is empty).
const through = { host: fetchHost || host, room, query };
const get = await answer(await PartySocket.fetch(through));
const post = await answer(await PartySocket.fetch(through, {
  method: "POST",
  headers: { "Content-Type": "application/json" },
  body: JSON.stringify({ content: "via fetch", cid: "node-fetch" }),
}));
await waitFor(alice, "message", ofType("message", (f) => f.cid === "node-fetch"));

bob.socket.close();
await waitFor(alice, "userLeft", ofType("userLeft", (f) => f.id === bob.roomId));
alice.socket.close();

const record = (c) => ({ id: c.id, roomId: c.roomId, frames: c.frames });
process.stdout.write(JSON.stringify({ alice: record(alice), bob: record(bob), get, post }));
