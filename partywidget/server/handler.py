"""The one handler shape both adapters share: Tornado socket <-> room core.

``RoomHandlerMixin`` does everything but authentication and origin policy,
which each adapter supplies (jupyter_server's own machinery in the extension,
a token and an origin list in ``partywidget serve``). The order on every
request is the one jupyter_server's kernel socket uses: authenticate, check
the origin, authorize, and only then validate names and create the room.
"""

from __future__ import annotations

import asyncio
import logging
import struct
import uuid
import weakref
from typing import Any
from urllib.parse import parse_qsl, unquote

from tornado.iostream import SSLIOStream, StreamClosedError
from tornado.web import HTTPError

from ..errors import InvalidName, TooManyRooms, UnknownParty
from ..protocol.names import check_connection_id, client_label
from ..protocol.outgoing import Outgoing
from ..protocol.refusals import REFUSAL_HEADER, RefusalCause
from ..rooms import (Connection, ConnectionContext, IdConflict, Limits, Request, Response,
                     Room, RoomHost)

__all__ = ["ID_HEADER", "JOIN_HEADER", "RoomHandlerMixin", "TornadoTransport", "parse_room_path"]

log = logging.getLogger("partywidget")

#: Response header of a WebSocket upgrade naming the frame that completes a
#: join (``Party.join_type``: ``history`` for the chat, ``state`` for the
#: board); absent for parties whose clients are joined once the socket opens.
#: Browsers cannot read it and need not: a widget knows its party's protocol.
JOIN_HEADER = "Partywidget-Join"
#: Response header of a WebSocket upgrade carrying the room's id for this
#: connection (its ``_pk`` namespaced by the user, :mod:`partywidget.rooms.identity`),
#: for clients of parties that send no ``welcome``.
ID_HEADER = "Partywidget-Id"


def ws_frame(out: Outgoing) -> bytes:
    """An unmasked server frame (RFC 6455 §5.2) for ``out``, built once per message."""
    data = out.data
    opcode = 0x81 if out.is_text else 0x82
    n = len(data)
    if n < 126:
        header = struct.pack("!BB", opcode, n)
    elif n <= 0xFFFF:
        header = struct.pack("!BBH", opcode, 126, n)
    else:
        header = struct.pack("!BBQ", opcode, 127, n)
    return header + data


class _Flusher:
    """Writes what each transport queued during one event-loop iteration, at its end.

    Under load one iteration relays several messages (every sender whose
    socket was readable); their frames then reach each recipient in one
    ``send`` instead of one each, which is the difference between a syscall
    per delivery and a syscall per recipient per iteration (the "cork" of
    Node's ``ws``). When a single message arrives alone it costs one
    ``call_soon`` more and the same single ``send``.
    """

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._dirty: list[TornadoTransport] = []

    def add(self, transport: TornadoTransport) -> None:
        if not self._dirty:
            self._loop.call_soon(self._flush)
        self._dirty.append(transport)

    def _flush(self) -> None:
        dirty, self._dirty = self._dirty, []
        for transport in dirty:
            try:
                transport.flush()
            except Exception:  # one broken socket must not keep the others' bytes
                log.exception("flushing a socket failed")


_flushers: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Flusher] = (
    weakref.WeakKeyDictionary())


def _flusher() -> _Flusher:
    loop = asyncio.get_running_loop()
    flusher = _flushers.get(loop)
    if flusher is None:
        flusher = _flushers[loop] = _Flusher(loop)
    return flusher


class TornadoTransport:
    """Writes prebuilt frames to the upgraded socket, coalesced, the kernel first.

    Compression is never negotiated on these sockets, so every recipient gets
    the same bytes: the frame is built once per broadcast (cached on the
    :class:`Outgoing`) instead of once per connection as ``write_message``
    would. Frames queued during one loop iteration leave together (see
    :class:`_Flusher`). When nothing is queued on the stream they go straight
    to ``socket.send`` (what asyncio's transports do): ``IOStream.write``
    would also make a Future and schedule a callback per write, which
    measured as most of the cost of a delivery (docs/performance.md).
    Whatever the kernel does not take is queued on the stream, behind which
    later frames wait, so order holds; :meth:`Connection.deliver` bounds what a
    non-reading client can make us hold.
    """

    __slots__ = ("_handler", "_stream", "_socket", "_flusher", "_queued", "_queued_bytes",
                 "_stats")

    def __init__(self, handler: Any) -> None:
        self._handler = handler
        self._stats = handler.room_host.stats
        self._stream = handler.ws_connection.stream
        # No stream-level cap: Connection.deliver bounds what a client leaves
        # unread (Limits.max_buffered_bytes) before every frame, and a single frame may be
        # larger than that bound (a joiner's history of up to `history` entries).
        self._stream.max_write_buffer_size = None
        # TLS streams must encrypt through the stream: no shortcut for them.
        self._socket = None if isinstance(self._stream, SSLIOStream) else self._stream.socket
        self._flusher = _flusher()
        self._queued: list[bytes] = []
        self._queued_bytes = 0

    def send(self, message: Outgoing) -> None:
        frame = message.frame
        if frame is None:
            frame = message.frame = ws_frame(message)
        if not self._queued:
            self._flusher.add(self)
        self._queued.append(frame)
        self._queued_bytes += len(frame)

    def flush(self) -> None:
        """Write the queued frames, as one buffer, without waiting."""
        frames, self._queued = self._queued, []
        self._queued_bytes = 0
        ws = self._handler.ws_connection
        if not frames or ws is None or ws.is_closing():
            return  # closed or closing: nothing may follow the close frame
        self._stats.messages_out += len(frames)  # once per flush, not per frame
        data: bytes | memoryview = frames[0] if len(frames) == 1 else b"".join(frames)
        stream = self._stream
        if self._socket is not None and not stream.writing():
            try:
                sent = self._socket.send(data)
            except BlockingIOError:
                sent = 0
            except OSError:
                stream.close(exc_info=True)  # reset by the peer: the handler's on_close runs
                return
            if sent == len(data):
                return
            data = memoryview(data)[sent:]
        try:
            stream.write(data)
        except StreamClosedError:
            pass

    def close(self, code: int, reason: str) -> None:
        self._stats.closes[code] += 1
        if self._queued:
            self.flush()  # what was sent before the close goes before the close frame
        if self._handler.ws_connection is not None:
            self._handler.close(code, reason[:120])
        # The room sees a server-side close now. Tornado reports it only when
        # the client answers the close frame (or 5 s later), and a client that
        # stopped reading never answers: it must not linger in the room.
        self._handler.on_close()

    @property
    def buffered_amount(self) -> int:
        # Frames not flushed yet, plus what the stream holds: IOStream keeps no
        # public counter, and `_write_buffer` has been its queue since Tornado 5.
        buffer = getattr(self._stream, "_write_buffer", None)
        return self._queued_bytes + (len(buffer) if buffer is not None else 0)


class Refused(HTTPError):
    """A 403 (or ``status``) whose cause the client is told in ``Partywidget-Refusal``
    (protocol.refusals)."""

    def __init__(self, cause: RefusalCause, reason: str, *, status: int = 403,
                 log_message: str | None = None) -> None:
        super().__init__(status, log_message, reason=reason)
        self.cause = cause


def parse_room_path(path: str, prefix: str) -> tuple[str, str, str]:
    """Split ``{prefix}{party}/{room}[/{sub}]`` into decoded names.

    Segments are split *before* percent-decoding, so ``a%2Fb`` is one segment
    that decodes to ``a/b`` and is then refused as a name (never re-split).
    """
    if not path.startswith(prefix):
        raise InvalidName("expected a URL like .../parties/{party}/{room}")
    parts = path[len(prefix):].split("/", 2)
    if len(parts) < 2:
        raise InvalidName("expected a URL like .../parties/{party}/{room}")
    party, room = unquote(parts[0], errors="strict"), unquote(parts[1], errors="strict")
    return party, room, parts[2] if len(parts) > 2 else ""


class RoomHandlerMixin:
    """Bridges one Tornado request or socket to a :class:`Room`.

    Subclasses provide ``room_host`` (a :class:`RoomHost`), ``rooms_prefix``
    (the path up to and including ``parties/``), :meth:`room_user` and
    :meth:`refuse_unless_allowed` (authentication, origin, authorization).
    """

    room_host: RoomHost
    rooms_prefix: str
    _room: Room | None = None
    _conn: Connection | None = None
    _target: tuple[str, str, str] | None = None
    _admitted: Request | None = None
    _made_pk: str | None = None

    # supplied by the adapter ----------------------------------------------------

    def refuse_unless_allowed(self) -> None:
        """Raise ``HTTPError(403)`` unless authenticated, origin-checked and authorized."""
        raise NotImplementedError

    def room_user(self) -> dict[str, Any]:
        """The verified identity to attach to this request's connection/messages."""
        raise NotImplementedError

    # shared -------------------------------------------------------------------

    def with_client_marks(self, user: dict[str, Any]) -> dict[str, Any]:
        """A verified ``user`` plus what the client says of itself, which grants nothing:
        ``kernel`` for ``client=kernel`` and ``label`` for ``name=`` (a bot's label,
        cleaned by :func:`client_label`; shown after the verified name, never instead).
        """
        query = self.query_args()
        if query.get("client") == "kernel":
            user["kernel"] = True
        label = client_label(query.get("name"))
        if label:
            user["label"] = label
        return user

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        """The adapter's error page, plus the cause of a :class:`Refused` as a header.

        Set here, not before raising: Tornado's ``send_error`` clears the headers first.
        """
        exc = kwargs.get("exc_info", (None, None, None))[1]
        if isinstance(exc, Refused):
            self.set_header(REFUSAL_HEADER, exc.cause.value)  # type: ignore[attr-defined]
        super().write_error(status_code, **kwargs)  # type: ignore[misc]

    @property
    def max_message_size(self) -> int:  # Tornado's 10 MiB default must never apply
        return self.limits().max_frame_size

    def limits(self) -> Limits:
        """The limits of the party this request is for (the host's before it is known)."""
        if self._target is None:
            return self.room_host.limits
        return self.room_host.party_limits[self._target[0]]

    def get_compression_options(self) -> None:
        return None  # one frame for all recipients requires no per-socket compression

    def connection_pk(self) -> str | None:
        """The ``_pk`` this request presents, or the one the host made for a socket without."""
        return self.query_args().get("_pk") or self._made_pk

    def query_args(self) -> dict[str, str]:
        """First value of each query parameter, form-decoded as partysocket encodes."""
        args: dict[str, str] = {}
        for key, value in parse_qsl(self.request.query, keep_blank_values=True):
            args.setdefault(key, value)
        return args

    def target(self) -> tuple[str, str, str]:
        """(party, room, sub-path), validated: 400 for bad names, 404 for no party."""
        if self._target is None:
            try:
                party, room, sub = parse_room_path(self.request.path, self.rooms_prefix)
                self.room_host.check(party, room)
            except InvalidName as exc:
                raise HTTPError(400, reason="Invalid room or party name", log_message=str(exc))
            except UnicodeDecodeError:
                raise HTTPError(400, reason="Invalid room or party name")
            except UnknownParty as exc:
                raise Refused(RefusalCause.PARTY, "Unknown party", status=404,
                              log_message=str(exc))
            self._target = (party, room, sub)
        return self._target

    def is_upgrade(self) -> bool:
        return self.request.headers.get("Upgrade", "").lower() == "websocket"

    def room_request(self) -> Request:
        """This request as the room core sees it (``on_before_*``, ``on_request``, ``ctx``)."""
        _, _, sub = self.target()
        return Request(self.request.method or "GET", self.request.full_url(), self.room_user(),
                       path=sub, query=self.query_args(), headers=dict(self.request.headers),
                       body=self.request.body or b"")

    def send_response(self, response: Response) -> None:
        """Answer with a party's :class:`Response` (a refusal from ``on_before_*``, say)."""
        self.set_status(response.status)
        for key, value in response.headers.items():
            self.set_header(key, value)
        self.finish(response.body)

    async def get(self, *args: Any, **kwargs: Any) -> None:
        self.refuse_unless_allowed()
        party, room_id, sub = self.target()
        if not self.is_upgrade():
            await self.serve_http()
            return
        if sub:
            raise HTTPError(404, reason="Sockets connect to the room itself, not a sub-path")
        pk = self.query_args().get("_pk")
        if not pk:  # the host makes one (PartyKit semantics), and names the guest by it
            pk = self._made_pk = str(uuid.uuid4())
        try:
            check_connection_id(pk)
        except InvalidName as exc:
            raise HTTPError(400, reason="Invalid connection id", log_message=str(exc))
        admitted = await self.room_host.before_connect(party, room_id, self.room_request())
        if isinstance(admitted, Response):
            self.send_response(admitted)
            return
        # Namespaced by the authenticated user: a _pk never collides across users.
        conn_id = self.room_host.ids.connection_id(str(admitted.user.get("username", "")), pk)
        room = self.load_room(party, room_id, admitted)
        try:
            room.check_id(conn_id, admitted.user)
        except IdConflict as exc:
            self.room_host.release(room)
            raise HTTPError(409, reason="Connection id in use", log_message=str(exc))
        self._room = room
        self._conn_id = conn_id
        self._admitted = admitted
        self.set_header(ID_HEADER, conn_id)
        join_type = getattr(self.room_host.parties[party], "join_type", None)
        if join_type:
            self.set_header(JOIN_HEADER, join_type)
        await super().get(*args, **kwargs)  # type: ignore[misc]
        if self.get_status() != 101:
            self.room_host.release(room)

    async def open(self, *args: Any, **kwargs: Any) -> None:
        parent_open = getattr(super(), "open", None)
        if parent_open is not None:
            result = parent_open(*args, **kwargs)
            if result is not None:
                await result
        self.set_nodelay(True)  # type: ignore[attr-defined]
        room, admitted = self._room, self._admitted
        assert room is not None and admitted is not None
        conn = Connection(self._conn_id, admitted.user, TornadoTransport(self),
                          uri=admitted.url, limits=room.limits)
        self._conn = conn
        ctx = ConnectionContext(admitted)
        self._forget_the_handshake()
        await room.connect(conn, ctx)

    def _forget_the_handshake(self) -> None:
        """Drop what only the upgrade needed, now that its response is written.

        A socket may stay open for hours, and whatever its handler keeps is
        memory per connection (docs/performance.md, (c)): the 101 response's
        headers and any cookie it set (Tornado refuses headers on a socket
        after the upgrade), and the identity already copied into the
        connection.
        """
        for name in ("_headers", "_new_cookie", "_conn_id", "_admitted"):
            self.__dict__.pop(name, None)

    def on_message(self, message: str | bytes) -> Any:
        # Tornado awaits what this returns before it reads the next frame:
        # the room core decides how many frames may be in flight (Room.feed).
        conn, room = self._conn, self._room
        if conn is None or room is None:
            return None
        return room.feed(conn, message)

    def on_close(self) -> None:
        # Runs twice when the server closes: TornadoTransport.close calls it at
        # once (a client that stopped reading never answers the close frame),
        # and Tornado again when the socket ends. The room hears of it once.
        conn, room = self._conn, self._room
        if conn is not None and room is not None:
            self._conn = None
            room.drop(conn, getattr(self, "close_code", None), getattr(self, "close_reason", None)
                      or "")

    async def serve_http(self) -> None:
        party, room_id, _ = self.target()
        admitted = await self.room_host.before_request(party, room_id, self.room_request())
        if isinstance(admitted, Response):
            self.send_response(admitted)
            return
        self.send_response(await self.load_room(party, room_id, admitted).request(admitted))

    def load_room(self, party: str, room_id: str, admitted: Request) -> Room:
        """The room, loaded on behalf of the request's user: 429 past their room loads."""
        try:
            return self.room_host.room(party, room_id,
                                       loader=str(admitted.user.get("username", "")))
        except TooManyRooms as exc:
            # log_message is a %-format: a name with "%" in it must stay text.
            raise HTTPError(429, reason="Too many rooms opened; wait a minute",
                            log_message=str(exc).replace("%", "%%"))

    async def post(self, *args: Any, **kwargs: Any) -> None:
        self.refuse_unless_allowed()
        self.target()
        if len(self.request.body or b"") > self.limits().max_frame_size:
            raise HTTPError(413, reason="Request body too large")
        await self.serve_http()

    put = post
    delete = post
