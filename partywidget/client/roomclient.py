"""``RoomClient``: a room membership with a sync and an async face.

Every call works from any thread and from inside an asyncio program: sends
only validate, encode and buffer (so they never wait and never deadlock, even
inside a callback), the few calls that wait (``connect``, ``close``) run on the
client loop (see :mod:`partywidget.client.loop`), and callbacks run on the
client thread as frames arrive, so they fire while a kernel is idle.
"""

from __future__ import annotations

import asyncio
import atexit
import inspect
import sys
import threading
import traceback
import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any, TypeVar

from ..errors import LimitExceeded, NotConnectedError
from ..protocol import board, chat
from ..protocol.defaults import MAX_FRAME_SIZE
from ..protocol.jsonrules import encode_json
from ..protocol.names import check_name
from .backoff import Backoff
from .discovery import find_room_host
from .membership import Membership
from .loop import client_loop, on_client_thread, run_async, run_sync
from .outbox import Pending
from .richoutput import is_plain, mime_bundle

__all__ = ["RoomClient", "aconnect", "connect", "open_clients"]

F = TypeVar("F", bound=Callable[..., Any])

#: Seconds a sync ``close()`` may take: draining the send buffer (5 s), then the
#: closing handshake; also the margin ``connect()`` allows past its own timeout.
CLOSE_TIMEOUT = 20.0
#: Frames buffered while offline before ``send`` refuses more.
SEND_BUFFER_LIMIT = 1000

_ENDED = object()  # tells `async for` iterators that the client closed
_clients_lock = threading.Lock()
_clients: list[RoomClient] = []


def open_clients() -> list[RoomClient]:
    """Clients of this process that are not closed (for ``%party``), oldest first."""
    with _clients_lock:
        return list(_clients)


class RoomClient:
    """One membership of one room; created by :func:`connect` / :func:`aconnect`."""

    def __init__(self, room: str, party: str = "main", *, url: str | None = None,
                 token: str | None = None, name: str | None = None,
                 backoff: Backoff | None = None) -> None:
        check_name("room", room)
        check_name("party", party)
        self._conn = Membership(find_room_host(url, token), party, room, name=name,
                                    backoff=backoff or Backoff(),
                                    buffer_limit=SEND_BUFFER_LIMIT, dispatch=self._dispatch,
                                    status_changed=self._status_changed, ended=self._ended)
        self._event_callbacks: list[Callable[[Any], Any]] = []
        self._message_callbacks: list[Callable[[dict[str, Any]], Any]] = []
        self._status_callbacks: list[Callable[[str], Any]] = []
        self._error_callbacks: list[Callable[[dict[str, Any]], Any]] = []
        self._streams: list[Callable[[object], None]] = []

    # identity and state ------------------------------------------------------------

    @property
    def room(self) -> str:
        return self._conn.room

    @property
    def party(self) -> str:
        return self._conn.party

    @property
    def url(self) -> str:
        """Base URL of the room host (rooms at ``{url}/parties/{party}/{room}``)."""
        return self._conn.address.url

    @property
    def id(self) -> str | None:
        """The room's id for this connection (``welcome.id``): the ``_pk`` namespaced by our
        user, the same across reconnects; ``None`` before the first join."""
        return self._conn.presence.id

    @property
    def user(self) -> dict[str, Any] | None:
        """Who the room host says we are (from ``welcome``)."""
        return self._conn.presence.user

    @property
    def epoch(self) -> str | None:
        return self._conn.presence.epoch

    @property
    def status(self) -> str:
        """``"connecting"``, ``"open"``, ``"reconnecting"`` or ``"closed"``."""
        return self._conn.status

    @property
    def error(self) -> BaseException | None:
        """Why the client closed by itself (refused, removed, gave up), else None."""
        return self._conn.error

    @property
    def locked(self) -> bool:
        """Whether the room is read-only for non-moderators (``welcome``/``locked`` frames)."""
        return self._conn.presence.locked

    @property
    def users(self) -> list[dict[str, Any]]:
        """Who is in the room now: ``[{"id", "user"}]``, ourselves included."""
        return self._conn.presence.users

    @property
    def join_type(self) -> str | None:
        """The frame that completes a join to this party, as the room host said
        (``"history"`` for the chat protocol, ``"state"`` for the board's)."""
        return self._conn.join_type

    def history(self) -> list[dict[str, Any]]:
        """Stored chat messages, oldest first, kept live (deletes and clears applied).

        Empty for parties that do not speak the chat protocol.
        """
        return self._conn.history.messages

    def __repr__(self) -> str:
        who = (self.user or {}).get("username", "?")
        counts = _count(len(self._conn.presence.users), "user")
        # Each protocol counts what it holds: a board's "0 messages" misled (issue 18).
        if self._conn.join_type == chat.JOIN_TYPE:
            counts += ", " + _count(len(self._conn.history), "message")
        elif self._conn.join_type == board.JOIN_TYPE:
            counts += ", " + _count(len(self._conn.board), "stroke or item", "strokes and items")
        return f"<RoomClient {self.party}/{self.room} {self.status} as {who} ({counts})>"

    # sending -----------------------------------------------------------------------

    def send(self, content: Any, *, cid: str | None = None, reply_to: int | None = None) -> None:
        """Send a chat message ``{"content": content, "cid": cid}`` (any JSON value).

        Any other object with a rich form (a Matplotlib figure, a PIL image, a
        DataFrame, anything with ``_repr_png_``/``_repr_svg_``/``_repr_html_``/
        ``_repr_markdown_``) goes as its MIME bundle with its text as content
        (:mod:`.richoutput`; ``LimitExceeded`` if it is too big to store).
        ``cid`` (default: a fresh one) makes the send idempotent: after a
        reconnect the message goes out again unless the room already has it.
        ``reply_to`` is the id of the message this one answers (shown quoted).
        Returns at once; the server's echo (an ``on_message`` call) confirms it.
        """
        cid = cid or uuid.uuid4().hex
        bundle = None if is_plain(content) else mime_bundle(content)
        post = (chat.Post(content, cid, None, reply_to) if bundle is None
                else chat.Post(bundle["text/plain"], cid, bundle, reply_to))
        self._enqueue(Pending(self._encoded(post.to_json()), cid))

    def edit(self, id: int, content: Any) -> None:
        """Replace the content of our own message ``id`` (an ``edited`` frame confirms it)."""
        self._enqueue(Pending(self._encoded(chat.Edit(id, content).to_json())))

    def react(self, id: int, emoji: str, on: bool = True) -> None:
        """Add (or with ``on=False`` take back) our ``emoji`` reaction to message ``id``."""
        self._enqueue(Pending(self._encoded(chat.React(id, chat.parse_emoji(emoji),
                                                       on).to_json())))

    def send_raw(self, message: dict[str, Any] | list[Any] | str | bytes) -> None:
        """Send one frame as is (``str``/``bytes``) or JSON-encoded; sent at most once."""
        if isinstance(message, (str, bytes)):
            data: str | bytes = message
            size = len(message.encode("utf-8")) if isinstance(message, str) else len(message)
            self._check_size(size)
        else:
            data = self._encoded(message)
        self._enqueue(Pending(data))

    async def asend(self, content: Any, *, cid: str | None = None,
                    reply_to: int | None = None) -> None:
        """``send`` for async code (buffering never waits, so this never blocks a loop)."""
        self.send(content, cid=cid, reply_to=reply_to)

    async def asend_raw(self, message: dict[str, Any] | list[Any] | str | bytes) -> None:
        self.send_raw(message)

    def _encoded(self, value: Any) -> str:
        text = encode_json(value)  # ValueError for NaN/Infinity: browsers cannot parse them
        self._check_size(len(text.encode("utf-8")))
        return text

    def _check_size(self, size: int) -> None:
        if size > MAX_FRAME_SIZE:
            # The host would close the socket with 1009 and the message would be lost.
            raise LimitExceeded(f"expected a message of at most {MAX_FRAME_SIZE} bytes once "
                                f"encoded, got {size} bytes; nothing was sent")

    def _enqueue(self, item: Pending) -> None:
        self._conn.enqueue(item)

    # callbacks ---------------------------------------------------------------------

    def on_message(self, fn: F) -> F:
        """Decorator: call ``fn(msg)`` for each new chat message (ours included).

        Runs on the client thread as messages arrive (so while a kernel is
        idle); may be ``async def``. Messages missed while reconnecting are
        delivered too, once, in order.
        """
        self._message_callbacks.append(fn)
        return fn

    def on_mention(self, fn: F) -> F:
        """Decorator: call ``fn(msg)`` for each new message from another connection
        that mentions this client (``@username`` or ``@display name``, the rule of
        :func:`partywidget.protocol.chat.mentions`): a bot that answers only when
        addressed. Like :meth:`on_message` otherwise; :meth:`off` removes it.
        """
        def when_mentioned(message: dict[str, Any]) -> Any:
            if message.get("from") != self.id and chat.mentions(message.get("content"),
                                                                self.user):
                return fn(message)
            return None

        when_mentioned.__wrapped__ = fn  # type: ignore[attr-defined] # for off(fn)
        self._message_callbacks.append(when_mentioned)
        return fn

    def on_event(self, fn: F) -> F:
        """Decorator: call ``fn(frame)`` for every frame from the server.

        ``frame`` is the decoded JSON (a dict for the built-in parties:
        ``welcome``, ``history``, ``state``, ``message``, ``stroke``, ...), or
        the raw ``str``/``bytes`` of a frame that is not JSON.
        """
        self._event_callbacks.append(fn)
        return fn

    def on_error(self, fn: F) -> F:
        """Decorator: call ``fn(frame)`` for each ``error`` frame, a message the room
        refused (``{"type": "error", "code", "message"}``).

        Without one the client prints each refusal to stderr, so none goes
        unseen; with one, the code that expects refusals reports them itself
        (a friendly line, not red stderr). :meth:`off` removes it.
        """
        self._error_callbacks.append(fn)
        self._conn.refusals_handled = True
        return fn

    def on_status(self, fn: F) -> F:
        """Decorator: call ``fn(status)`` on every change of :attr:`status`.

        ``status`` is ``"connecting"``, ``"open"``, ``"reconnecting"`` or
        ``"closed"``; ``"open"`` comes once the join frames arrived (after
        the ``on_event`` calls for them). Runs on the client thread.
        """
        self._status_callbacks.append(fn)
        return fn

    def off(self, fn: Callable[..., Any]) -> None:
        """Remove ``fn`` from the callbacks (no error if it is not one)."""
        for callbacks in (self._event_callbacks, self._message_callbacks,
                          self._status_callbacks, self._error_callbacks):
            callbacks[:] = [c for c in callbacks
                            if c is not fn and getattr(c, "__wrapped__", None) is not fn]
        self._conn.refusals_handled = bool(self._error_callbacks)

    def _dispatch(self, frame: Any, new_messages: list[dict[str, Any]]) -> None:
        """Client thread: run callbacks. A failing callback is reported, never fatal."""
        for fn in list(self._event_callbacks):
            self._call(fn, frame)
        if isinstance(frame, dict) and frame.get("type") == "error":
            for fn in list(self._error_callbacks):
                self._call(fn, frame)
        for message in new_messages:
            for fn in list(self._message_callbacks):
                self._call(fn, message)
            for stream in list(self._streams):
                stream(message)

    def _status_changed(self, status: str) -> None:
        for fn in list(self._status_callbacks):
            self._call(fn, status)

    def _call(self, fn: Callable[[Any], Any], arg: Any) -> None:
        try:
            result = fn(arg)
            if inspect.isawaitable(result):
                asyncio.ensure_future(result).add_done_callback(
                    lambda task: self._report_task(fn, task))
        except Exception as exc:
            self._report(fn, exc)

    def _report_task(self, fn: Callable[..., Any], task: asyncio.Future[Any]) -> None:
        if not task.cancelled() and task.exception() is not None:
            self._report(fn, task.exception())

    def _report(self, fn: Callable[..., Any], exc: BaseException) -> None:
        # In a kernel, stderr of this thread shows in the notebook (the current
        # cell's output); the connection carries on either way.
        name = getattr(fn, "__qualname__", repr(fn))
        print(f"partywidget: callback {name} failed on room {self.party}/{self.room} "
              "(the connection stays open):", file=sys.stderr)
        traceback.print_exception(exc, file=sys.stderr)

    async def __aiter__(self) -> AsyncIterator[dict[str, Any]]:
        """``async for msg in room``: new chat messages until the client closes."""
        if self.status == "closed":
            raise NotConnectedError(self._conn.closed_message())
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[object] = asyncio.Queue()

        def stream(item: object) -> None:
            try:
                loop.call_soon_threadsafe(queue.put_nowait, item)
            except RuntimeError:  # the iterating loop is gone
                if stream in self._streams:
                    self._streams.remove(stream)

        self._streams.append(stream)
        try:
            while (item := await queue.get()) is not _ENDED:
                yield item  # type: ignore[misc]
        finally:
            if stream in self._streams:
                self._streams.remove(stream)

    # opening and closing -------------------------------------------------------------

    async def _open(self, timeout: float) -> RoomClient:
        await self._conn.open(timeout)
        with _clients_lock:
            _clients.append(self)
        return self

    def _ended(self) -> None:
        """Client thread, when the membership ends (idempotent): forget it, end ``async for``."""
        with _clients_lock:
            if self in _clients:
                _clients.remove(self)
        for stream in list(self._streams):
            stream(_ENDED)

    def close(self) -> None:
        """Leave the room. Safe to call twice; later sends raise NotConnectedError."""
        if on_client_thread():  # inside a callback: cannot wait for ourselves, so schedule
            client_loop().create_task(self._conn.close())
            return
        run_sync(self._conn.close(), CLOSE_TIMEOUT, "RoomClient.close()")

    async def aclose(self) -> None:
        await run_async(self._conn.close())

    def __enter__(self) -> RoomClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    async def __aenter__(self) -> RoomClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()


def _count(n: int, one: str, many: str | None = None) -> str:
    """``1 message``, ``2 messages``: ``n`` and the word, plural unless one."""
    return f"{n} {one if n == 1 else many or one + 's'}"


def connect(room: str, party: str = "main", *, url: str | None = None,
            token: str | None = None, name: str | None = None, timeout: float = 10.0,
            backoff: Backoff | None = None, on_event: Callable[[Any], Any] | None = None,
            on_status: Callable[[str], Any] | None = None) -> RoomClient:
    """Join ``room`` of ``party``; returns once the room's join frames have arrived.

    ``url``/``token`` default to the discovered room host (see
    :mod:`partywidget.client.discovery`); ``name`` is a display name for hosts
    that let clients choose one; ``timeout`` bounds the whole first join
    (retries included); ``backoff`` tunes reconnects. ``on_event`` and
    ``on_status`` are attached as :meth:`RoomClient.on_event` and
    :meth:`RoomClient.on_status` callbacks *before* the socket opens, so they
    also see the join itself (``welcome``, then ``history`` or ``state``),
    which has arrived by the time ``connect`` returns. Raises
    :class:`NotConnectedError` (no host found, unreachable within ``timeout``)
    or :class:`AuthError` (credentials refused; never retried).
    """
    client = _new_client(room, party, url, token, name, backoff, on_event, on_status)
    return run_sync(client._open(timeout), timeout + CLOSE_TIMEOUT, "partywidget.connect()")


async def aconnect(room: str, party: str = "main", *, url: str | None = None,
                   token: str | None = None, name: str | None = None, timeout: float = 10.0,
                   backoff: Backoff | None = None,
                   on_event: Callable[[Any], Any] | None = None,
                   on_status: Callable[[str], Any] | None = None) -> RoomClient:
    """:func:`connect` for async code: ``room = await aconnect("class-101")``."""
    client = _new_client(room, party, url, token, name, backoff, on_event, on_status)
    return await run_async(client._open(timeout))


def _new_client(room: str, party: str, url: str | None, token: str | None, name: str | None,
                backoff: Backoff | None, on_event: Callable[[Any], Any] | None,
                on_status: Callable[[str], Any] | None) -> RoomClient:
    client = RoomClient(room, party, url=url, token=token, name=name, backoff=backoff)
    if on_event is not None:
        client.on_event(on_event)
    if on_status is not None:
        client.on_status(on_status)
    return client


@atexit.register
def _close_all_at_exit() -> None:
    """Say goodbye (close 1000) so others see ``userLeft`` now, not at a ping timeout."""
    for client in open_clients():
        try:
            run_sync(client._conn.close(drain_timeout=1.0), 2.0, "closing at exit")
        except Exception:  # exiting anyway; a host that does not answer is not our problem
            pass
