// The PartyKit article's React chat client (shared/seed), ported to plain DOM.
//
// The socket usage is the article's, line for line: `new PartySocket({ host,
// room })`, `JSON.parse(event.data)`, keep `{ from, content }` of every frame of
// type "message", send `JSON.stringify({ content: input })`, close on teardown.
// Only React's state and JSX are replaced by DOM calls, so the page needs no
// React build; messages are rendered as text, never as HTML. The page takes
// `?host=localhost:<port>&room=<room>` (the article hard-codes localhost:1999).
import PartySocket from "partysocket";

export function PartyChat(root, { host, roomId }) {
  const list = root.appendChild(document.createElement("div"));
  list.id = "messages";
  const input = root.appendChild(document.createElement("input"));
  const button = root.appendChild(document.createElement("button"));
  button.textContent = "Send";

  const partySocket = new PartySocket({
    host, // localhost:1999 in development, as in the article
    room: roomId,
  });

  partySocket.addEventListener("message", (event) => {
    const data = JSON.parse(event.data);
    if (data.type === "message") {
      const row = list.appendChild(document.createElement("div"));
      const from = row.appendChild(document.createElement("strong"));
      from.textContent = `${data.from}:`;
      row.append(` ${data.content}`);
    }
  });

  const sendMessage = () => {
    if (input.value.trim()) {
      partySocket.send(JSON.stringify({ content: input.value }));
      input.value = "";
    }
  };
  input.addEventListener("keypress", (e) => e.key === "Enter" && sendMessage());
  button.addEventListener("click", sendMessage);

  return () => partySocket.close();
}

const params = new URLSearchParams(location.search);
window.partyChatCleanup = PartyChat(document.getElementById("app"), {
  host: params.get("host"),
  roomId: params.get("room"),
});
