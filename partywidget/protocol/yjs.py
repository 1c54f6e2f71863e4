"""The ``yjs`` party's wire format: y-websocket's binary frames, parsed and built, sans I/O.

Every frame is ``varUint(type) • payload`` (y-protocols' ``PROTOCOL.md``;
y-websocket ``src/y-websocket.js``; the same constants in y-partyserver):

* ``0`` sync, then ``varUint(step)`` and ``varUint8Array``: ``0``
  :class:`SyncStep1` (a state vector), ``1`` :class:`SyncStep2` (the update
  that answers it), ``2`` :class:`Update`;
* ``1`` :class:`Awareness`: ``varUint8Array`` of ``varUint(n) • n ×
  (varUint(clientID) • varUint(clock) • varString(JSON state))``;
* ``2`` :class:`PermissionDenied` (y-protocols ``auth.js``: ``varUint(0) •
  varString(reason)``), which the stock providers log and otherwise ignore;
* ``3`` :class:`QueryAwareness`, answered with every awareness state known.

Beside them, a client that asked for it (``?controls=1``) gets :class:`Access`
as a y-partyserver custom message (a ``__YPS:``-prefixed text frame, which
y-partyserver's provider emits as ``custom-message``): whether the room is
locked and whether this connection moderates. Nobody else gets text frames:
y-websocket reads every frame as binary and would throw on one.

Updates and state vectors stay opaque bytes here: the CRDT itself is pycrdt's
(the party and the kernel client apply them), never ours. :func:`parse_frame`
reads every message of a frame (y-websocket 4 may pack several); we send one
message per frame, which every provider reads.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import IntEnum
from typing import Any, ClassVar

from ..errors import ProtocolError
from .frames import Envelope
from .jsonrules import MAX_JSON_DEPTH, decode_json, encode_json

__all__ = [
    "CONTROLS_PARAM", "YPS_PREFIX", "Access", "EMPTY_UPDATE", "HEX_COLOR", "MAX_AWARENESS_CLIENTS", "MAX_AWARENESS_ENTRIES", "MAX_AWARENESS_STATE_BYTES", "Awareness", "AwarenessEntry", "MessageType",
    "PermissionDenied", "QueryAwareness", "SyncStep1", "SyncStep2", "SyncType", "Update",
    "YMessage", "awareness_user", "parse_frame", "stamp_user",
]

#: Largest JSON awareness state accepted for one client (a cursor and a name fit in
#: a few hundred bytes); larger entries are dropped (docs/security.md, "Yjs").
MAX_AWARENESS_STATE_BYTES = 8 * 1024
#: Entries one awareness message may carry: a client sends its own and echoes
#: the few it changed (y-websocket re-sends every change it applied).
MAX_AWARENESS_ENTRIES = 256
#: Awareness clientIDs one connection may own (one per document it shows).
MAX_AWARENESS_CLIENTS = 8
#: Text frames y-partyserver's provider reads (``custom-message``) and sends
#: (``provider.sendMessage``) carry this prefix.
YPS_PREFIX = "__YPS:"
#: The query parameter (``controls=1``) asking for :class:`Access` text frames.
CONTROLS_PARAM = "controls"
#: The empty update pycrdt and Yjs send for "nothing new" (zero structs, zero deletes).
EMPTY_UPDATE = b"\x00\x00"


class MessageType(IntEnum):
    """The first varUint of every frame."""

    SYNC = 0
    AWARENESS = 1
    AUTH = 2
    QUERY_AWARENESS = 3


class SyncType(IntEnum):
    """The varUint after ``SYNC``."""

    STEP1 = 0
    STEP2 = 1
    UPDATE = 2


# --- lib0 encoding (lib0/encoding.js, lib0/decoding.js) ----------------------------------


def write_var_uint(out: bytearray, value: int) -> None:
    """lib0's unsigned LEB128: 7 bits a byte, low bits first."""
    if value < 0:
        raise ValueError(f"expected an unsigned integer, got {value}")
    while value > 0x7F:
        out.append(0x80 | (value & 0x7F))
        value >>= 7
    out.append(value)


def write_var_bytes(out: bytearray, data: bytes) -> None:
    """``varUint(len) • data`` (lib0 ``writeVarUint8Array``)."""
    write_var_uint(out, len(data))
    out += data


def write_var_string(out: bytearray, text: str) -> None:
    """``varUint(UTF-8 length) • UTF-8`` (lib0 ``writeVarString``)."""
    write_var_bytes(out, text.encode("utf-8"))


class Reader:
    """Reads lib0-encoded values from ``data``; any overrun is ``bad_message``."""

    __slots__ = ("data", "pos")

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    @property
    def done(self) -> bool:
        return self.pos >= len(self.data)

    def var_uint(self) -> int:
        value = shift = 0
        data = self.data
        while True:
            if self.pos >= len(data):
                raise ProtocolError("bad_message", "expected a varUint, got the end of the frame")
            byte = data[self.pos]
            self.pos += 1
            value |= (byte & 0x7F) << shift
            if byte < 0x80:
                return value
            shift += 7
            if shift > 63:  # Yjs numbers fit in 53 bits: anything longer is garbage
                raise ProtocolError("bad_message", "expected a varUint of at most 64 bits")

    def var_bytes(self) -> bytes:
        size = self.var_uint()
        end = self.pos + size
        if end > len(self.data):
            raise ProtocolError("bad_message", f"expected {size} bytes, got "
                                               f"{len(self.data) - self.pos}")
        chunk = self.data[self.pos:end]
        self.pos = end
        return bytes(chunk)

    def var_string(self) -> str:
        try:
            return self.var_bytes().decode("utf-8")
        except UnicodeDecodeError:
            raise ProtocolError("bad_message", "expected a UTF-8 string") from None


# --- messages ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SyncStep1:
    """``[0, 0, stateVector]``: "here is what I have; send me what I miss"."""

    state_vector: bytes

    def serialize(self) -> bytes:
        return _sync(SyncType.STEP1, self.state_vector)


@dataclass(frozen=True, slots=True)
class SyncStep2:
    """``[0, 1, update]``: the answer to a :class:`SyncStep1`."""

    update: bytes

    def serialize(self) -> bytes:
        return _sync(SyncType.STEP2, self.update)


@dataclass(frozen=True, slots=True)
class Update:
    """``[0, 2, update]``: a change to the document, relayed to everyone else."""

    update: bytes

    def serialize(self) -> bytes:
        return _sync(SyncType.UPDATE, self.update)


def _sync(step: SyncType, payload: bytes) -> bytes:
    out = bytearray((MessageType.SYNC, step))
    write_var_bytes(out, payload)
    return bytes(out)


@dataclass(frozen=True, slots=True)
class AwarenessEntry:
    """One client's awareness: its Yjs ``clientID``, a clock, and JSON text (``"null"``: gone)."""

    client_id: int
    clock: int
    state: str

    @property
    def gone(self) -> bool:
        return self.state == "null"


@dataclass(frozen=True, slots=True)
class Awareness:
    """``[1, varUint8Array(update)]``: awareness states of one or more clients."""

    entries: tuple[AwarenessEntry, ...]

    def serialize(self) -> bytes:
        update = bytearray()
        write_var_uint(update, len(self.entries))
        for entry in self.entries:
            write_var_uint(update, entry.client_id)
            write_var_uint(update, entry.clock)
            write_var_string(update, entry.state)
        out = bytearray((MessageType.AWARENESS,))
        write_var_bytes(out, bytes(update))
        return bytes(out)

    @classmethod
    def read(cls, payload: bytes) -> Awareness:
        reader = Reader(payload)
        count = reader.var_uint()
        if count > MAX_AWARENESS_ENTRIES:
            raise ProtocolError("too_large", f"expected at most {MAX_AWARENESS_ENTRIES} "
                                             f"awareness entries, got {count}")
        return cls(tuple(AwarenessEntry(reader.var_uint(), reader.var_uint(),
                                        reader.var_string()) for _ in range(count)))


@dataclass(frozen=True, slots=True)
class QueryAwareness:
    """``[3]``: "send me every awareness state you know"."""

    def serialize(self) -> bytes:
        return bytes((MessageType.QUERY_AWARENESS,))


@dataclass(frozen=True, slots=True)
class PermissionDenied:
    """``[2, 0, varString(reason)]``: y-protocols' auth message; providers log the reason.

    The ``yjs`` party's only way to tell a stock provider no: a JSON error text
    frame would break y-websocket, which reads every frame as binary.
    """

    reason: str

    def serialize(self) -> bytes:
        out = bytearray((MessageType.AUTH, 0))
        write_var_string(out, self.reason)
        return bytes(out)


@dataclass(frozen=True, slots=True)
class Access(Envelope):
    """``__YPS:{"type": "access", "locked", "moderator"}``: who may edit the document now.

    Sent on connect and after every lock change to connections that asked
    (:data:`CONTROLS_PARAM`), so an editor can turn read-only and say why
    before its first keystroke is dropped, and show moderators the toggle.
    """

    locked: bool
    moderator: bool
    type: ClassVar[str] = "access"

    @property
    def read_only(self) -> bool:
        return self.locked and not self.moderator

    def to_json(self) -> dict[str, Any]:
        return {"type": "access", "locked": self.locked, "moderator": self.moderator}

    def serialize(self) -> str:
        return YPS_PREFIX + encode_json(self.to_json())


YMessage = SyncStep1 | SyncStep2 | Update | Awareness | QueryAwareness | PermissionDenied


def parse_frame(data: bytes) -> list[YMessage]:
    """Every message of one binary frame, in order; ``bad_message`` for anything else."""
    reader = Reader(data)
    messages: list[YMessage] = []
    while not reader.done:
        kind = reader.var_uint()
        if kind == MessageType.SYNC:
            step = reader.var_uint()
            payload = reader.var_bytes()
            if step == SyncType.STEP1:
                messages.append(SyncStep1(payload))
            elif step == SyncType.STEP2:
                messages.append(SyncStep2(payload))
            elif step == SyncType.UPDATE:
                messages.append(Update(payload))
            else:
                raise ProtocolError("bad_message", f"unknown sync message type {step}")
        elif kind == MessageType.AWARENESS:
            messages.append(Awareness.read(reader.var_bytes()))
        elif kind == MessageType.QUERY_AWARENESS:
            messages.append(QueryAwareness())
        elif kind == MessageType.AUTH:
            reader.var_uint()
            messages.append(PermissionDenied(reader.var_string()))
        else:
            raise ProtocolError("bad_message", f"unknown Yjs message type {kind}")
    if not messages:
        raise ProtocolError("bad_message", "expected a Yjs message, got an empty frame")
    return messages


# --- identity in awareness -----------------------------------------------------------------


#: The only colour form stamped into awareness.
HEX_COLOR = re.compile(r"#[0-9a-fA-F]{6}")


def awareness_user(user: Mapping[str, Any]) -> dict[str, Any]:
    """The ``user`` field the server writes into every awareness state a connection sends.

    ``name`` and ``color``/``colorLight`` are what y-codemirror and y-prosemirror
    draw cursors with; ``username`` is the stable identity. A user without a
    colour gets one derived from the username, the same for every client.
    """
    username = str(user.get("username") or "")
    color = user.get("color")
    # Editor bindings paste colour into style attributes (y-codemirror.next:
    # `background-color: ${color}`): only "#rrggbb" passes (docs/security.md).
    if not isinstance(color, str) or not HEX_COLOR.fullmatch(color):
        color = "#" + hashlib.sha256(username.encode("utf-8")).hexdigest()[:6]
    name = user.get("display_name") or user.get("name") or username
    return {"name": str(name), "username": username, "color": color,
            "colorLight": color + "33"}


def stamp_user(state: str, user: Mapping[str, Any], *,
               max_bytes: int = MAX_AWARENESS_STATE_BYTES,
               max_depth: int = MAX_JSON_DEPTH) -> str | None:
    """``state`` (awareness JSON) with ``user`` overwritten; None when it must be dropped.

    y-protocols' PROTOCOL.md: clients can claim any identity in awareness, so
    the server sets it. ``null`` (the client left) passes unchanged; anything
    that is not a JSON object, is too large or too deep is dropped.
    """
    if state == "null":
        return state
    if len(state) > max_bytes:  # characters <= UTF-8 bytes: a cheap first bound
        return None
    try:
        value = decode_json(state, max_depth=max_depth)
    except ProtocolError:
        return None
    if not isinstance(value, dict):
        return None
    value["user"] = awareness_user(user)
    text = encode_json(value)
    return text if len(text.encode("utf-8")) <= max_bytes + 512 else None
