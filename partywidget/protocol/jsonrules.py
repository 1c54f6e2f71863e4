"""The JSON rules of the wire: compact and standard out, strict in.

Every JSON frame a room host or client builds goes through :func:`encode_json`
and every JSON frame a client sends through :func:`decode_json`, whose rules
(documented in docs/protocol.md, "Error frames") keep what is stored encodable
forever: no ``NaN``/``Infinity``, no number that overflows a double, nesting
bounded, no lone surrogate.
"""

from __future__ import annotations

import json
import re
from typing import Any

from ..errors import ProtocolError

__all__ = ["MAX_JSON_DEPTH", "decode_json", "encode_json"]

#: Deepest nesting accepted from clients by default (``Limits.max_json_depth``).
MAX_JSON_DEPTH = 32

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


def decode_json(text: str | bytes, *, max_depth: int = MAX_JSON_DEPTH) -> Any:
    """Parse client JSON strictly.

    Refuses ``NaN``/``Infinity`` and numbers that overflow to infinity such as
    ``1e999`` (RFC 8259 §6 leaves them out of JSON, and browsers' ``JSON.parse``
    refuses them, so a stored one would break every later join), nesting
    deeper than ``max_depth`` (Python's parser raises ``RecursionError`` on
    deep input; both become :class:`ProtocolError` instead of a crash) and
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

    It cannot be encoded as UTF-8 (RFC 3629 §3 forbids surrogate code points):
    stored, it would break every frame that carries it.
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
