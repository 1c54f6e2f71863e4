"""A connection as a room sees it: an id, a verified user, and a way to send.

The room core never touches a socket. An adapter hands each accepted socket to
the core wrapped in a :class:`Transport`: "put these bytes on the wire without
waiting" and "close". Back-pressure is the adapter's to measure
(``buffered_amount``) and the connection's to enforce (close with 4008).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Protocol

from ..protocol.close import CloseCode
from ..protocol.frames import User
from ..protocol.jsonrules import encode_json
from ..protocol.outgoing import Outgoing
from ..protocol.ratelimit import TokenBucket
from .http import Request
from .limits import Limits
from .pipeline import Pipeline

if TYPE_CHECKING:
    from .room import Room

__all__ = ["Connection", "ConnectionContext", "Transport", "User"]

log = logging.getLogger("partywidget")


class Transport(Protocol):
    """What a room needs from a socket. Implemented by each adapter."""

    def send(self, message: Outgoing) -> None:
        """Queue ``message`` for the wire without blocking; never raises for a closed socket."""

    def close(self, code: int, reason: str) -> None:
        """Start a close handshake (or drop the socket if it is already gone)."""

    @property
    def buffered_amount(self) -> int:
        """Bytes queued for this socket and not yet written to the kernel."""


class ConnectionContext:
    """What the client's request said, for ``on_connect(conn, ctx)``.

    ``request`` is the upgrade request as the party's ``on_before_connect``
    returned it; ``query`` holds the first value of each query parameter
    (form-decoded, as partysocket encodes them), ``headers`` the request
    headers, ``data`` what ``on_before_connect`` attached. Only ``data`` comes
    from the server; identity is ``conn.user``, set by the host.
    """

    __slots__ = ("request",)

    def __init__(self, request: Request) -> None:
        self.request = request

    @property
    def url(self) -> str:
        return self.request.url

    @property
    def query(self) -> Mapping[str, str]:
        return self.request.query

    @property
    def headers(self) -> Mapping[str, str]:
        return self.request.headers

    @property
    def data(self) -> Mapping[str, Any]:
        return self.request.data

    def __repr__(self) -> str:
        return f"<ConnectionContext {self.url!r}>"


class Connection:
    """One client in one room.

    ``id`` is the client-chosen ``_pk`` (PartyKit semantics), ``user`` the
    identity the host authenticated, ``state`` free per-connection state for the
    party, ``tags`` set once by ``Party.get_connection_tags``.
    """

    __slots__ = ("id", "user", "state", "tags", "uri", "close_code", "close_reason", "_transport",
                 "_limits", "_bucket", "_byte_bucket", "_refused", "_room", "open", "_user_json",
                 "pipeline", "__weakref__")

    def __init__(
        self,
        id: str,
        user: User,
        transport: Transport,
        *,
        uri: str = "",
        limits: Limits | None = None,
    ) -> None:
        self.id = id
        self.user = dict(user)
        self.state: Any = None
        self.tags: tuple[str, ...] = (id,)
        self.uri = uri
        #: How the socket closed, once it has: the code and reason ``on_close`` gets.
        self.close_code: int | None = None
        self.close_reason = ""
        self._transport = transport
        self._limits = limits or Limits()
        self._bucket = TokenBucket(self._limits.messages_per_second, self._limits.message_burst)
        # A frame may never cost more than the bucket holds, or it could never pass.
        self._byte_bucket = TokenBucket(
            self._limits.bytes_per_second,
            max(self._limits.byte_burst, self._limits.max_frame_size))
        self._refused = 0
        self._room: Room | None = None
        self.open = True
        self._user_json: tuple[dict[str, Any], str] | None = None
        #: Frames being handled at once, for pipelined parties (:meth:`Room.feed`).
        self.pipeline: Pipeline | None = None

    @property
    def room(self) -> Room | None:
        """The room this connection joined, once it has."""
        return self._room

    def send(self, message: Any) -> None:
        """Send to this client: ``str``/``bytes`` as they are, anything else as JSON."""
        self.deliver(Outgoing.of(message))

    def deliver(self, message: Outgoing) -> None:
        """Hand an already encoded message to the transport, enforcing the queue bound."""
        if not self.open:
            return
        if self._transport.buffered_amount > self._limits.max_buffered_bytes:
            # The client stopped reading: bounded memory wins over delivery (the
            # delivery contract's live delivery is at most once); the client can
            # resume by offset after it reconnects.
            # The bound is on what it left unread, not on one frame: a joiner's
            # history may be larger, so memory stays under the bound plus a frame.
            log.info("closing connection %s: outgoing queue over %d bytes",
                     self.id, self._limits.max_buffered_bytes)
            self.close(CloseCode.SLOW_CONSUMER, "slow consumer")
            return
        self._transport.send(message)

    def close(self, code: int = CloseCode.NORMAL, reason: str = "") -> None:
        """Close the socket; the room sees the close through the adapter."""
        if self.open:
            self.open = False
            self.close_code, self.close_reason = int(code), reason
            self._transport.close(int(code), reason)

    def admit(self, size: int = 0) -> bool:
        """Spend rate-limit tokens for one incoming message of ``size`` bytes.

        ``size`` is what the frame weighed on the wire: UTF-8 bytes for text
        (``Limits.bytes_per_second`` is documented in bytes). False means
        refuse it: over the message rate or over the byte rate.
        """
        if self._bucket.allow() and (not size or self._byte_bucket.allow(size)):
            self._refused = 0
            return True
        self._refused += 1
        if self._refused >= self._limits.max_refused_in_a_row:
            self.close(CloseCode.FLOODING, "too many messages")
        return False

    def set_tags(self, tags: Any) -> None:
        """Set the tags (the id is always the first), checked against the limits."""
        if isinstance(tags, str):  # one tag is not a sequence of one-character tags
            raise ValueError(f"expected a sequence of tags, got the string {tags[:40]!r}")
        extra = [t for t in (tags or ()) if t != self.id]
        for tag in extra:
            if not isinstance(tag, str) or not tag or len(tag) > self._limits.max_tag_length:
                raise ValueError(
                    f"expected tags of 1 to {self._limits.max_tag_length} characters, got {tag!r}")
        if len(extra) + 1 > self._limits.max_tags:
            raise ValueError(f"expected at most {self._limits.max_tags} tags, got {len(extra) + 1}")
        self.tags = (self.id, *extra)

    def user_json(self) -> str:
        """``user`` as JSON, encoded once while it stays equal.

        Parties embed the sender's user in every message they store; its
        values are scalars, so a shallow copy tells whether it changed.
        """
        cached = self._user_json
        if cached is None or cached[0] != self.user:
            cached = self._user_json = (dict(self.user), encode_json(self.user))
        return cached[1]

    def info(self) -> dict[str, Any]:
        """The public description of this connection used in presence lists."""
        return {"id": self.id, "user": self.user}

    def __repr__(self) -> str:
        who = self.user.get("username", "?")
        return f"<Connection {self.id} user={who!r}{'' if self.open else ' closed'}>"
