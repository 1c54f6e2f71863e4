"""Value objects for the wire: close codes, outgoing frames, JSON in and out.

Everything a room sends goes through :class:`Outgoing`, which holds the payload
encoded exactly once. Adapters turn it into their own frame bytes once and cache
them on the object, so a broadcast to N connections costs one encoding and one
framing, not N (the fan-out rule of docs/performance.md).
"""

from __future__ import annotations

import json
import re
from enum import IntEnum
from typing import Any

from ..errors import ProtocolError

__all__ = ["CloseCode", "Outgoing", "decode_json", "encode_json"]


class CloseCode(IntEnum):
    """Close codes a room host uses; documented in ``docs/protocol.md``.

    Codes below 4000 are RFC 6455's. Clients should not reconnect after
    :attr:`REPLACED`, :attr:`REMOVED` or :attr:`POLICY_VIOLATION`; every other
    code is worth a reconnect with backoff (and, for the chat party, a resume
    with ``since``/``epoch``).
    """

    NORMAL = 1000
    #: The server is shutting down or the room is being unloaded; reconnect.
    GOING_AWAY = 1001
    #: The client broke a rule it cannot fix by retrying (e.g. binary to a text party).
    POLICY_VIOLATION = 1008
    #: A frame was larger than ``Limits.max_frame_size``.
    MESSAGE_TOO_BIG = 1009
    #: A party hook raised; details are in the server log, never on the wire.
    INTERNAL_ERROR = 1011
    #: Another connection with the same ``_pk`` of the same user took over.
    REPLACED = 4001
    #: A moderator removed this participant from the room.
    REMOVED = 4003
    #: The client stopped reading: its outgoing queue passed ``Limits.max_buffered_bytes``.
    SLOW_CONSUMER = 4008
    #: The client kept sending far above ``Limits.messages_per_second``.
    FLOODING = 4029


class Outgoing:
    """One message to send, encoded once, shared by every recipient.

    ``data`` is the UTF-8 payload; ``is_text`` tells text from binary frames.
    ``frame`` is free for the adapter to cache its framed bytes in.
    """

    __slots__ = ("data", "is_text", "frame")

    def __init__(self, data: bytes, is_text: bool) -> None:
        self.data = data
        self.is_text = is_text
        self.frame: bytes | None = None

    @classmethod
    def of(cls, message: Any) -> Outgoing:
        """Wrap ``str``/``bytes`` as they are, or encode any other value as JSON once."""
        if isinstance(message, Outgoing):
            return message
        if isinstance(message, str):
            return cls(message.encode("utf-8"), True)
        if isinstance(message, (bytes, bytearray, memoryview)):
            return cls(bytes(message), False)
        return cls(encode_json(message).encode("utf-8"), True)

    @property
    def text(self) -> str:
        """The payload as text (decodes; for tests and logs, not the hot path)."""
        return self.data.decode("utf-8")

    def __len__(self) -> int:
        return len(self.data)

    def __repr__(self) -> str:
        kind = "text" if self.is_text else "binary"
        return f"<Outgoing {kind} {len(self.data)} bytes>"


#: One encoder for every message: ``json.dumps`` with options builds a new one per call.
_ENCODER = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def encode_json(value: Any) -> str:
    """Compact JSON; refuses NaN/Infinity so browsers never receive invalid JSON."""
    return _ENCODER.encode(value)


#: A ``\uXXXX`` escape of a UTF-16 surrogate (D800-DFFF). Legal JSON; alone, no character.
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89abcdefABCDEF]")


def _refuse_constant(name: str) -> Any:
    raise ProtocolError("bad_json", f"expected standard JSON, got the constant {name}")


def _finite_float(text: str) -> float:
    """A JSON number with a fraction or exponent; ``1e999`` overflows to inf: refused."""
    value = float(text)
    if value - value != 0.0:  # inf (NaN cannot come from a JSON number)
        raise ProtocolError("bad_json", "expected numbers within the range of a double, got "
                                        "one that overflows to infinity")
    return value


#: One decoder for every message: ``json.loads`` with options builds a new one per call.
#: Only numbers with a fraction or an exponent reach ``parse_float`` (integers stay
#: exact ``int``s, always encodable), so the overflow check costs nothing on most messages.
_DECODER = json.JSONDecoder(parse_constant=_refuse_constant, parse_float=_finite_float)


def decode_json(text: str | bytes, *, max_depth: int = 32) -> Any:
    """Parse client JSON strictly.

    Refuses ``NaN``/``Infinity`` and numbers that overflow to infinity such as
    ``1e999`` (reliability case 6), nesting deeper than
    ``max_depth`` (case 5: Python's parser raises ``RecursionError`` on deep
    input; we turn both into :class:`ProtocolError` instead of a crash) and
    lone surrogate escapes such as ``"\\ud800"``, which decode to strings
    that cannot be encoded as UTF-8 again: stored, one would break every
    frame that carries it.
    """
    try:
        if not isinstance(text, str):
            text = bytes(text).decode("utf-8")  # JSON on the wire is UTF-8 (RFC 8259)
        value = _DECODER.decode(text)
    except ProtocolError:
        raise
    except RecursionError:
        raise ProtocolError("too_deep", f"expected JSON nested at most {max_depth} deep") from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise ProtocolError("bad_json", f"expected JSON: {exc}") from None
    # Nesting never exceeds the count of opening brackets: most messages skip the walk.
    if text.count("[") + text.count("{") > max_depth and _depth_exceeds(value, max_depth):
        raise ProtocolError("too_deep", f"expected JSON nested at most {max_depth} deep")
    # Only text with a surrogate escape can hold a string no frame can carry:
    # the common case costs one search.
    if _SURROGATE_ESCAPE.search(text):
        _check_encodable(value)
    return value


def _check_encodable(value: Any) -> None:
    """Refuse a lone surrogate (``"\\ud800"``), at the C encoder's speed.

    It cannot be encoded as UTF-8: stored, it would break every frame that
    carries it (reliability case 6).
    """
    try:
        json.dumps(value, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        raise ProtocolError("bad_json", "expected JSON strings of Unicode characters, got a "
                                        "lone surrogate escape (\\ud800 to \\udfff)") from None


def _depth_exceeds(value: Any, budget: int) -> bool:
    """True when containers nest deeper than ``budget``; scalars cost nothing."""
    if isinstance(value, dict):
        if budget <= 0:
            return True
        return any(
            isinstance(v, (dict, list)) and _depth_exceeds(v, budget - 1) for v in value.values()
        )
    if isinstance(value, list):
        if budget <= 0:
            return True
        return any(isinstance(v, (dict, list)) and _depth_exceeds(v, budget - 1) for v in value)
    return False
