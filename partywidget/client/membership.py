"""A room membership on the client loop: connect, read, write, reconnect, resume.

Lifecycle (``status``)::

    connecting --join--> open --socket lost--> reconnecting --join--> open ...
        any state --close() / refusal / attempts exhausted--> closed

Writes are paced under the room host's rate limit (:mod:`.pacing`), so a
send buffer flushed after a reconnect is not refused as a flood.

*Joined* means the party's join frames have arrived. The room host names the
frame that completes a join in the upgrade response (``Partywidget-Join``:
``history`` for the chat, ``state`` for the board, whatever name the party is
registered under); without it the client is joined once the handshake
succeeds. Only then is the send buffer flushed, so frames re-sent after a
reconnect follow the resumed history that may already acknowledge them.

What ends a membership for good instead of a retry (no silent endless loop):
HTTP 401/403 on the handshake (:class:`AuthError`), 400/404 (a bad name or no
such party or host path), the close codes the room host marks as final
(4001 replaced, 4003 removed, 1008 policy), and running out of attempts.
A 409 (our ``_pk`` is taken, on a host that does not namespace ids by user)
is retried with a new ``_pk``.
"""

from __future__ import annotations

import asyncio
import json
import sys
import uuid
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from websockets.asyncio.client import ClientConnection
from websockets.asyncio.client import connect as ws_connect
from websockets.exceptions import ConnectionClosed, InvalidStatus, WebSocketException

from ..errors import (AuthError, InvalidName, NotAllowed, NotConnectedError, PartyWidgetError,
                      Removed, UnknownParty)
from ..protocol import board, chat
from ..protocol.close import FINAL_CLOSE_CODES, CloseCode
from ..protocol.frames import Presence, Welcome, decode_frame, read_frame
from ..protocol.refusals import REFUSAL_HEADER, RefusalCause
from .backoff import Backoff
from .discovery import HostAddress
from .outbox import RETRIED_ERRORS, Outbox, Pending
from .pacing import Pacer

__all__ = ["ID_HEADER", "JOIN_HEADER", "MAX_INCOMING_BYTES", "Membership", "refusal"]

#: Largest frame accepted from the host. Not 1 MiB: a join's ``history`` frame
#: carries the whole retained log, up to 1000 entries of 128 KiB by default
#: (``Limits.max_value_bytes``), and refusing it would fail every rejoin.
MAX_INCOMING_BYTES = 256 * 1024 * 1024
#: Upgrade response header naming the frame that completes a join (docs/protocol.md).
JOIN_HEADER = "Partywidget-Join"
#: Upgrade response header carrying the room's id for this connection.
ID_HEADER = "Partywidget-Id"

#: Receives each decoded frame and the chat messages it made new.
Dispatch = Callable[[Any, list[dict[str, Any]]], None]
#: Receives each new ``status``.
StatusChanged = Callable[[str], None]


class Membership:
    """The socket side of a :class:`~partywidget.client.roomclient.RoomClient`.

    Everything here runs on the client loop, except :meth:`enqueue` (any thread).
    """

    def __init__(self, address: HostAddress, party: str, room: str, *, name: str | None,
                 backoff: Backoff, buffer_limit: int, dispatch: Dispatch,
                 status_changed: StatusChanged, ended: Callable[[], None]) -> None:
        self.address = address
        self.party = party
        self.room = room
        self.name = name
        self.backoff = backoff
        self.dispatch = dispatch
        self.status_changed = status_changed
        #: Called on the client loop once the membership is over, however it ended.
        self.ended = ended
        #: Our ``_pk``: reused on every reconnect, as partysocket does, until the host
        #: refuses it (409); the room's id for us is ``presence.id`` (from ``welcome``).
        self.pk = str(uuid.uuid4())
        self._status = "connecting"
        #: Why the membership ended, when it ended on its own.
        self.error: BaseException | None = None
        self.last_problem = "no attempt yet"
        #: Identity, presence and lock, from the frames every built-in party sends.
        self.presence = Presence()
        #: The chat's messages, folded when the host says the party speaks the
        #: chat protocol (it completes joins with ``history``).
        self.history = chat.ChatHistory()
        #: The board protocol's fold (strokes and items), so ``%party`` counts a board.
        self.board = board.BoardStrokes()
        #: Whether the client's ``on_error`` callbacks report refusals (else stderr does).
        self.refusals_handled = False
        self.outbox = Outbox(buffer_limit)
        self.pacer = Pacer()
        #: The frame that completes a join, as the host announced it (None: at once).
        self.join_type: str | None = None
        self._ws: ClientConnection | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wake: asyncio.Event | None = None
        self._drained: asyncio.Event | None = None
        self._stop: asyncio.Event | None = None
        self._joined: asyncio.Future[None] | None = None
        self._task: asyncio.Task[None] | None = None

    @property
    def status(self) -> str:
        return self._status

    @status.setter
    def status(self, status: str) -> None:
        """Set on the client loop only; callbacks hear of each change once."""
        if status != self._status:
            self._status = status
            self.status_changed(status)

    @property
    def where(self) -> str:
        return f"{self.party}/{self.room} at {self.address.url}"

    # lifecycle -------------------------------------------------------------------

    async def open(self, timeout: float) -> None:
        """Start the membership; return once joined, else raise and stay closed."""
        self._loop = loop = asyncio.get_running_loop()
        self._wake, self._stop, self._drained = asyncio.Event(), asyncio.Event(), asyncio.Event()
        self._joined = loop.create_future()
        self._task = loop.create_task(self._run())
        try:
            await asyncio.wait_for(asyncio.shield(self._joined), timeout)
        except TimeoutError:
            await self.close()
            raise NotConnectedError(
                f"could not join room {self.where} within {timeout:g} s (last problem: "
                f"{self.last_problem}); check that the room host is running and reachable, "
                "or pass a larger timeout=") from None
        except BaseException:
            await self.close()
            raise

    async def close(self, drain_timeout: float = 5.0) -> None:
        """Close normally (1000) and stop reconnecting.

        An open client first waits up to ``drain_timeout`` for its buffered
        frames to be written and its chat frames echoed, so ``send(); close()``
        in a script delivers the message.
        """
        if self.status == "open" and self._drained is not None and len(self.outbox):
            self._drained.clear()
            self._note_progress()
            try:
                await asyncio.wait_for(self._drained.wait(), drain_timeout)
            except TimeoutError:
                pass  # closing anyway; what is left is reported lost by the count below
        if self._stop is not None:
            self._stop.set()
        if len(self.outbox) and self.status != "closed":
            print(f"partywidget: room {self.party}/{self.room} closed with {len(self.outbox)} "
                  "message(s) not confirmed by the room host", file=sys.stderr)
        self.status = "closed"
        ws, task = self._ws, self._task
        if ws is not None:
            await ws.close()  # the reader sees the close and the run loop ends
        elif task is not None:
            task.cancel()  # connecting or waiting to retry: nothing to say goodbye to
        if task is not None:
            await asyncio.wait([task], timeout=5)
        if self._joined is not None and not self._joined.done():
            self._joined.set_exception(NotConnectedError(f"room {self.where} was closed"))
            self._joined.exception()  # retrieved: nobody else may be waiting
        self.ended()

    def enqueue(self, item: Pending) -> None:
        """Buffer a frame (any thread); the writer sends it once joined."""
        if self.status == "closed":
            raise NotConnectedError(self.closed_message())
        self.outbox.put(item, self.status)
        if self._loop is not None and self._wake is not None:
            self._loop.call_soon_threadsafe(self._wake.set)

    def closed_message(self) -> str:
        reason = f" ({self.error})" if self.error is not None else ""
        return (f"room {self.where} is closed{reason}; connect again with "
                f"partywidget.connect({self.room!r}, party={self.party!r})")

    # the reconnect loop ---------------------------------------------------------

    def url(self) -> str:
        query = {"_pk": self.pk, "client": "kernel"}
        if self.name:
            query["name"] = self.name
        query.update(self.history.resume_query())  # delivery contract: resume by id + epoch
        return f"{self.address.room_url(self.party, self.room)}?{urlencode(query)}"

    async def _run(self) -> None:
        assert self._stop is not None
        failures = 0
        loop = asyncio.get_running_loop()
        while not self._stop.is_set():
            delay = self.backoff.delay(failures)
            if delay is None:
                self._end(NotConnectedError(
                    f"gave up on room {self.where} after {failures} attempts in a row (last "
                    f"problem: {self.last_problem})"))
                return
            if delay and await self._stopped_within(delay):
                return
            failures += 1
            try:
                ws = await ws_connect(
                    self.url(), additional_headers=self.address.headers(),
                    proxy=None,  # a kernel talks to its host directly; env proxies never apply
                    max_size=MAX_INCOMING_BYTES, compression=None, open_timeout=10,
                    ping_interval=20, ping_timeout=20, close_timeout=5)
            except InvalidStatus as exc:
                status = exc.response.status_code
                final = self._refusal(exc.response)
                if final is not None:
                    self._end(final)
                    return
                if status == 409:
                    # Our _pk is taken (a host that does not namespace ids by user):
                    # retrying it would repeat the refusal, a new one will not.
                    self.pk = str(uuid.uuid4())
                self.last_problem = f"HTTP {status} on the handshake"
                continue
            except (OSError, TimeoutError, WebSocketException) as exc:
                self.last_problem = f"{type(exc).__name__}: {exc}"
                continue
            if self._stop.is_set():  # close() came while the handshake was finishing
                await ws.close()
                return
            assert ws.response is not None
            self.join_type = ws.response.headers.get(JOIN_HEADER) or None
            # The room's id for us, also for parties that send no welcome.
            self.presence.id = ws.response.headers.get(ID_HEADER) or self.presence.id
            opened = loop.time()
            self.pacer.new_socket()
            code = await self._serve(ws)
            if loop.time() - opened >= self.backoff.min_uptime:
                failures = 0  # partysocket's minUptime: a connection that lasted starts over
            if code in FINAL_CLOSE_CODES:
                error = Removed if code == CloseCode.REMOVED else NotConnectedError
                self._end(error(
                    f"room {self.where} closed the connection with code {code}: "
                    f"{FINAL_CLOSE_CODES[code]}"))
                return
            if not self._stop.is_set():
                self.status = "reconnecting"

    async def _stopped_within(self, seconds: float) -> bool:
        assert self._stop is not None
        try:
            await asyncio.wait_for(self._stop.wait(), seconds)
        except TimeoutError:
            return False
        return True

    def _refusal(self, response: Any) -> PartyWidgetError | None:
        """The final error for a refused handshake, or None when a retry may help."""
        return refusal(self.address, self.party, self.room, response)

    def _end(self, error: PartyWidgetError) -> None:
        """The membership is over for good: tell the waiting connect(), or report."""
        self.error = error
        self.status = "closed"
        assert self._stop is not None
        self._stop.set()
        if self._joined is not None and not self._joined.done():
            self._joined.set_exception(error)
        else:
            print(f"partywidget: {error}", file=sys.stderr)
        self.ended()

    # one socket -------------------------------------------------------------------

    async def _serve(self, ws: ClientConnection) -> int | None:
        """Read frames until the socket closes; returns the close code."""
        self._ws = ws
        writer: asyncio.Task[None] | None = None
        if self.join_type is None:
            writer = self._joined_now(ws)
        self.last_problem = "the connection closed normally"
        try:
            async for raw in ws:
                kind = self._receive(raw)
                if writer is None and kind == self.join_type:
                    writer = self._joined_now(ws)
        except ConnectionClosed as exc:
            self.last_problem = f"the connection closed: {exc}"
        finally:
            self._ws = None
            if writer is not None:
                writer.cancel()
                await asyncio.gather(writer, return_exceptions=True)
            self.outbox.socket_lost()
        received = ws.protocol.close_rcvd
        return received.code if received is not None else None

    def _joined_now(self, ws: ClientConnection) -> asyncio.Task[None]:
        if not (self._stop and self._stop.is_set()):
            self.status = "open"
        if self._joined is not None and not self._joined.done():
            self._joined.set_result(None)
        return asyncio.get_running_loop().create_task(self._write(ws))

    async def _write(self, ws: ClientConnection) -> None:
        assert self._wake is not None
        while True:
            item = self.outbox.take()
            if item is None:
                self._wake.clear()
                item = self.outbox.take()  # a put may have landed before the clear
                if item is None:
                    await self._wake.wait()
                    continue
            try:
                await self.pacer.wait()
            except asyncio.CancelledError:  # the socket died while we waited: never written
                self.outbox.put_back(item)
                raise
            try:
                await ws.send(item.data)
            except ConnectionClosed:
                self.outbox.put_back(item)
                return
            self._note_progress()

    def _note_progress(self) -> None:
        if self._drained is not None and not len(self.outbox):
            self._drained.set()

    def _receive(self, raw: str | bytes) -> str | None:
        """Decode one frame, fold it, settle the outbox, hand it to callbacks; its type."""
        frame = decode_frame(raw)
        kind, data = read_frame(frame)
        self.presence.apply(kind, data)
        new: list[dict[str, Any]] = []
        if self.join_type == chat.JOIN_TYPE:
            if kind == "welcome":
                self.history.limit = Welcome.parse(data).history
            new = self.history.apply(kind, data)
        elif self.join_type == board.JOIN_TYPE:
            self.board.apply(kind, data)
        me = self.presence.id
        if kind == "message" and data.get("from") == me and "cid" in data:
            self.outbox.acknowledge(data["cid"])
        elif kind == chat.JOIN_TYPE:
            for message in data.get("messages") or ():
                if isinstance(message, dict) and message.get("from") == me and (
                        "cid" in message):
                    self.outbox.acknowledge(message["cid"])
        elif kind == "error":
            code = str(data.get("code"))
            self.outbox.refuse(code)
            if code in RETRIED_ERRORS:
                self.pacer.slow_down()  # and the frame goes out again, paced
            elif not self.refusals_handled:
                print(f"partywidget: room {self.party}/{self.room} refused a message: "
                      f"[{code}] {data.get('message')}", file=sys.stderr)
        if kind is not None:
            if self.outbox.retrying and self._wake is not None:
                self._wake.set()
            self._note_progress()
        self.dispatch(frame, new)
        return kind


#: Longest part of a host's reason quoted in an error (it comes from the network).
MAX_REASON = 200


def refusal(address: HostAddress, party: str, room: str,
            response: Any) -> PartyWidgetError | None:
    """The final error for a refused handshake to ``party/room``, or None when a retry may help.

    The host's own reason (status line, or a party's JSON ``message``) ends
    every message; its ``Partywidget-Refusal`` header tells bad credentials
    from "not in this room" (issue 19: a student with a fine token must not
    be told to change it). A host without the header: 401/403 mean credentials.
    Shared by memberships and the Notes relay's tunnels (:mod:`.tunnel`).
    """
    status = response.status_code
    said = _host_reason(response)
    where = f"room host {address.url}"
    room_where = f"{party}/{room} at {address.url}"
    cause = response.headers.get(REFUSAL_HEADER, "")
    if status == 403 and said.startswith("removed:"):
        return Removed(f"{where} refused to let you back into room {room_where} (HTTP 403): "
                       f"{said[len('removed:'):].strip()}")
    if status == 403 and cause in (RefusalCause.ROOM.value, RefusalCause.ORIGIN.value):
        return NotAllowed(f"{where} does not let you into room {room_where} (HTTP 403): "
                          f"{said}; your credentials are fine, ask the hub's admin or "
                          "teacher for access")
    if status in (401, 403):
        return AuthError(
            f"{where} refused the credentials (HTTP {status}) from {address.source}: "
            f"pass the right token= or set PARTYWIDGET_TOKEN (the host said: {said})")
    if status == 400:
        return InvalidName(f"{where} refused the room or party name "
                           f"{party!r}/{room!r} (HTTP 400): {said}")
    if status == 404 and (cause == RefusalCause.PARTY.value or _party_error(response)):
        return UnknownParty(f"no party {party!r} at {address.url} (HTTP 404): "
                            f"{said}; check the party name")
    if status == 404:
        return UnknownParty(_no_rooms_here(address.url, said))
    return None


def _party_error(response: Any) -> dict[str, Any] | None:
    """A party's JSON error in a refusal's body (``{"type": "error", ...}``), if any."""
    try:
        body = json.loads(response.body or b"")
    except ValueError:
        return None
    return body if isinstance(body, dict) and body.get("type") == "error" else None


def _no_rooms_here(url: str, said: str) -> str:
    """A 404 that no room host made: the URL serves no rooms. Say where they live
    (issue 18, item 6: a Jupyter server's root instead of ``.../partywidget``)."""
    base = url.rstrip("/")
    where = ("is the partywidget server extension enabled there? (`jupyter server extension "
             "list` shows it)" if base.endswith("/partywidget") else
             f"in a Jupyter server rooms live under {base}/partywidget: pass "
             f"url={base + '/partywidget'!r} (partywidget serve serves them at its root)")
    return f"nothing at {url} serves partywidget rooms (HTTP 404: {said}); {where}"


def _host_reason(response: Any) -> str:
    """What the host said about a refusal: a party's JSON error as ``code: message``,
    else the status line's reason phrase; bounded and printable."""
    said = response.reason_phrase or ""
    body = _party_error(response)
    if body is not None:
        said = f"{body.get('code')}: {body.get('message')}"
    said = "".join(ch if ch.isprintable() else " " for ch in str(said))[:MAX_REASON]
    return said or "no reason given"
