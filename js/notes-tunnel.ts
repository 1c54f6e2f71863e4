/**
 * A WebSocket-like class whose sockets are tunnels through the widget's kernel
 * (partywidget/widgets/notes_relay.py): the Notes page's y-partyserver provider
 * takes it as `WebSocketPolyfill` where only the kernel knows the room host and
 * holds its token (`PARTYWIDGET_URL`, `PARTYWIDGET_TOKEN`).
 *
 * Each `new TunnelSocket(url)` asks the kernel for one socket (`ws-open`); the
 * kernel opens the widget's own room on its own host (the `url` the provider
 * built is not sent: the page names no host), answers `ws-open`, relays
 * frames both ways (binary frames as comm buffers) and reports the room's
 * close code and reason (`ws-close`), so the provider reconnects, or shows a
 * final refusal, as with a socket of its own.
 */

import type { Model } from "./room";

interface TunnelMessage {
  kind?: unknown;
  sid?: unknown;
  text?: unknown;
  code?: unknown;
  reason?: unknown;
}

/** The subset of `WebSocket` y-partyserver's provider uses. */
export interface TunnelSockets {
  /** Pass as the provider's `WebSocketPolyfill`. */
  readonly Socket: typeof WebSocket;
  /** Stop listening to the model (the link closed). */
  dispose(): void;
}

/**
 * Exactly the bytes of `data` as an `ArrayBuffer`: what a `binaryType =
 * "arraybuffer"` socket gives, and what a comm buffer must be (some Jupyter
 * front ends send a view's whole underlying buffer).
 */
function arrayBuffer(data: ArrayBufferLike | ArrayBufferView): ArrayBuffer {
  if (data instanceof ArrayBuffer) return data;
  if (!ArrayBuffer.isView(data)) return new Uint8Array(data).slice().buffer;
  return data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength) as ArrayBuffer;
}

export function tunnelSockets(model: Model<unknown>): TunnelSockets {
  const sockets = new Map<number, TunnelSocket>();
  // Ids unique to this page: a reloaded page must not reuse the sockets of the
  // one before, which the kernel may still hold (notes_relay.py evicts them).
  let nextSid = Math.floor(Math.random() * 2 ** 31);

  class TunnelSocket extends EventTarget {
    static readonly CONNECTING = 0;
    static readonly OPEN = 1;
    static readonly CLOSING = 2;
    static readonly CLOSED = 3;
    readonly CONNECTING = 0;
    readonly OPEN = 1;
    readonly CLOSING = 2;
    readonly CLOSED = 3;
    readonly url: string;
    readonly sid = nextSid++;
    binaryType: BinaryType = "arraybuffer";
    readyState = 0;

    constructor(url: string | URL) {
      super();
      this.url = String(url);
      sockets.set(this.sid, this);
      model.send({ kind: "ws-open", sid: this.sid });
    }

    /** Like a socket's: frames sent before open, or after close, go nowhere. */
    send(data: string | ArrayBufferLike | ArrayBufferView): void {
      if (this.readyState !== this.OPEN) return;
      if (typeof data === "string") model.send({ kind: "ws-send", sid: this.sid, text: data });
      else model.send({ kind: "ws-send", sid: this.sid }, undefined, [arrayBuffer(data)]);
    }

    close(code = 1000, reason = ""): void {
      if (this.readyState >= this.CLOSING) return;
      this.readyState = this.CLOSING;
      model.send({ kind: "ws-close", sid: this.sid });
      // As a socket: the close event comes later, never inside close().
      setTimeout(() => this.closed(code, reason), 0);
    }

    opened(): void {
      if (this.readyState !== this.CONNECTING) return;
      this.readyState = this.OPEN;
      this.dispatchEvent(new Event("open"));
    }

    frame(data: string | ArrayBuffer): void {
      if (this.readyState === this.OPEN) this.dispatchEvent(new MessageEvent("message", { data }));
    }

    closed(code: number, reason: string): void {
      if (this.readyState === this.CLOSED) return;
      sockets.delete(this.sid);
      this.readyState = this.CLOSED;
      this.dispatchEvent(new CloseEvent("close", { code, reason, wasClean: code !== 1006 }));
    }
  }

  const onCustom = (msg: TunnelMessage, buffers: (DataView | ArrayBuffer)[] = []) => {
    const socket = typeof msg?.sid === "number" ? sockets.get(msg.sid) : undefined;
    if (!socket) return; // another socket's, or not the tunnel's at all
    if (msg.kind === "ws-open") socket.opened();
    else if (msg.kind === "ws-frame") {
      if (typeof msg.text === "string") socket.frame(msg.text);
      else if (buffers.length === 1) socket.frame(arrayBuffer(buffers[0]));
    } else if (msg.kind === "ws-close") {
      socket.closed(typeof msg.code === "number" ? msg.code : 1006, typeof msg.reason === "string" ? msg.reason : "");
    }
  };
  model.on("msg:custom", onCustom);

  return {
    Socket: TunnelSocket as unknown as typeof WebSocket,
    dispose() {
      model.off("msg:custom", onCustom);
      for (const socket of [...sockets.values()]) socket.closed(1000, "");
    },
  };
}
