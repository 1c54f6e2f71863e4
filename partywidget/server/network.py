"""The listening socket of ``partywidget serve`` (and the hub service), hardened.

Tornado's defaults let anyone who can reach the port hold it: a request's
headers may take an hour to arrive, one address may hold every descriptor,
and when ``accept`` fails for want of descriptors Tornado's accept handler
raises on every wake of the event loop (a traceback per try, megabytes of log
per second, and no progress). :class:`GuardedHTTPServer` closes connections
whose headers or body do not arrive in time, refuses connections past a cap
per client address, pauses accepting (with one log line per interval) when
``accept`` fails, and :func:`raise_open_files_limit` lifts the descriptor soft
limit to the hard one at start. docs/security.md ("Holding the server") has
the attack and the limits.
"""

from __future__ import annotations

import errno
import logging
import socket
import time
from collections.abc import Callable, Iterable
from typing import Any

from tornado.httpserver import HTTPServer
from tornado.ioloop import IOLoop
from tornado.iostream import IOStream, StreamClosedError

from .netlimits import NetworkLimits

__all__ = ["GuardedHTTPServer", "ThrottledLog", "raise_open_files_limit"]

log = logging.getLogger("partywidget")

#: ``accept`` errors that mean "out of a resource", not "this one connection failed".
RESOURCE_ERRORS = {errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM}
#: Connections accepted per wake of the listening socket (Tornado's backlog heuristic).
ACCEPTS_PER_WAKE = 128
#: Seconds accepting pauses after an ``accept`` ran out of a resource.
ACCEPT_PAUSE = 0.5
#: Highest soft descriptor limit asked for (a hard limit may be a million, or unlimited).
OPEN_FILES_TARGET = 65536

#: What a client over the per-address cap gets before its socket is closed.
OVER_CAP_RESPONSE = (b"HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\n"
                     b"Content-Type: text/plain\r\nContent-Length: 46\r\n\r\n"
                     b"too many connections from your address; retry")


class ThrottledLog:
    """Logs a kind of event at most once per ``interval`` seconds, with how many were quiet.

    An attacker decides how often these events happen; the log must not grow
    at their pace.
    """

    def __init__(self, interval: float = 10.0) -> None:
        self.interval = interval
        self._last: dict[str, float] = {}
        self._quiet: dict[str, int] = {}

    def warning(self, kind: str, message: str, *args: Any) -> None:
        now = time.monotonic()
        last = self._last.get(kind)
        if last is not None and now - last < self.interval:
            self._quiet[kind] = self._quiet.get(kind, 0) + 1
            return
        self._last[kind] = now
        quiet = self._quiet.pop(kind, 0)
        suffix = f" ({quiet} more since the last such line)" if quiet else ""
        log.warning(message + suffix, *args)


class GuardedHTTPServer(HTTPServer):
    """Tornado's ``HTTPServer`` with :class:`NetworkLimits` and a resilient accept loop."""

    def initialize(self, *args: Any, limits: NetworkLimits | None = None,  # type: ignore[override]
                   **kwargs: Any) -> None:
        self.network_limits = limits = limits or NetworkLimits()
        super().initialize(*args, idle_connection_timeout=limits.header_timeout,
                           body_timeout=limits.body_timeout, **kwargs)
        self._by_address: dict[str, list[IOStream]] = {}
        self._sweep_at = 64
        self._throttled = ThrottledLog()

    # per-address cap ------------------------------------------------------------

    def handle_stream(self, stream: IOStream, address: Any) -> None:
        cap = self.network_limits.max_connections_per_address
        if cap:
            peer = str(address[0]) if isinstance(address, tuple) and address else str(address)
            held = [s for s in self._by_address.get(peer, ()) if not s.closed()]
            if len(held) >= cap:
                self._throttled.warning(
                    "cap", "refused a connection from %s: it holds %d already "
                    "(--max-connections-per-address)", peer, len(held))
                _refuse(stream)
                return
            held.append(stream)
            self._by_address[peer] = held
            self._sweep()
        super().handle_stream(stream, address)

    def _sweep(self) -> None:
        """Forget closed connections of every address, amortized: when the map doubled."""
        if len(self._by_address) < self._sweep_at:
            return
        for peer, streams in list(self._by_address.items()):
            alive = [s for s in streams if not s.closed()]
            if alive:
                self._by_address[peer] = alive
            else:
                del self._by_address[peer]
        self._sweep_at = max(64, 2 * len(self._by_address))

    # accept loop ----------------------------------------------------------------

    def add_sockets(self, sockets: Iterable[socket.socket]) -> None:
        # TCPServer keeps its sockets and their remove-handler callables in
        # these two maps (stop() uses them); only the handler is ours.
        for sock in sockets:
            self._sockets[sock.fileno()] = sock
            self._handlers[sock.fileno()] = self._accept_on(sock)

    def _accept_on(self, sock: socket.socket) -> Callable[[], None]:
        loop = IOLoop.current()
        state = {"removed": False, "paused": False}

        def resume() -> None:
            if not state["removed"] and state["paused"]:
                state["paused"] = False
                loop.add_handler(sock, on_readable, IOLoop.READ)

        def on_readable(fd: Any, events: int) -> None:
            for _ in range(ACCEPTS_PER_WAKE):  # bounded: others get the loop too
                if state["removed"]:
                    return
                try:
                    connection, address = sock.accept()
                except (BlockingIOError, InterruptedError):
                    return
                except ConnectionAbortedError:
                    continue
                except OSError as exc:
                    if exc.errno not in RESOURCE_ERRORS:
                        raise
                    # The pending connection stays queued and the socket stays
                    # readable: retrying at once would spin. Pause, log once.
                    self._throttled.warning(
                        "accept", "cannot accept connections: %s; pausing %.1f s (raise "
                        "the open files limit or lower --max-connections-per-address)",
                        exc.strerror, ACCEPT_PAUSE)
                    state["paused"] = True
                    loop.remove_handler(sock)
                    loop.call_later(ACCEPT_PAUSE, resume)
                    return
                self._handle_connection(connection, address)

        def remove() -> None:
            if not state["paused"]:
                loop.remove_handler(sock)
            state["removed"] = True

        loop.add_handler(sock, on_readable, IOLoop.READ)
        return remove


def _refuse(stream: IOStream) -> None:
    """Answer 503 without reading the request, then close (the client may be gone)."""
    def close(written: Any) -> None:
        written.exception()  # retrieved: a peer that left already is no error
        stream.close()

    try:
        stream.write(OVER_CAP_RESPONSE).add_done_callback(close)
    except StreamClosedError:
        stream.close()


def raise_open_files_limit(target: int = OPEN_FILES_TARGET) -> int | None:
    """Lift the soft limit on open descriptors to the hard limit, or to ``target``
    if the hard limit is higher; returns the soft limit now in force.

    Each connection is a descriptor; a soft limit of 256 or 1024 is a few
    hundred clients. None where ``resource`` does not exist (Windows).
    """
    try:
        import resource
    except ImportError:
        return None
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = target if hard == resource.RLIM_INFINITY else min(hard, target)
    if soft != resource.RLIM_INFINITY and soft < wanted:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
            soft = wanted
        except (ValueError, OSError) as exc:
            log.warning("could not raise the open files limit from %d to %d: %s", soft,
                        wanted, exc)
    return int(soft)
