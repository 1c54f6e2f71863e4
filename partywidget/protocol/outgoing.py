"""``Outgoing``: one message to send, encoded once, shared by every recipient.

Adapters turn it into their own frame bytes once and cache them on the object,
so a broadcast to N connections costs one encoding and one framing, not N (the
fan-out rule of docs/performance.md).
"""

from __future__ import annotations

from typing import Any

from .jsonrules import encode_json

__all__ = ["Outgoing"]


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
