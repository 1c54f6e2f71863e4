"""What the classroom activities (poll, hands) share on the wire.

Each activity keeps one state per room and sends every connection its own
view of it as one frame (``{"type": <join type>, <join type>: {...} | null}``),
after the join and after every change. :class:`LatestView` is the
client's fold of such a stream; :func:`text` and :func:`display_name` are the
rules for the strings people type and the names teachers see.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from ..errors import ProtocolError
from .frames import Envelope, User, parse_object
from .jsonrules import MAX_JSON_DEPTH

__all__ = ["ActivityView", "LatestView", "display_name", "parse_with", "text"]


def text(value: Any, what: str, limit: int, code: str) -> str:
    """A non-blank string of at most ``limit`` characters, trimmed, else ``code``.

    Rendered as text by every view, never as HTML (docs/security.md).
    """
    if not isinstance(value, str) or not value.strip() or len(value) > limit:
        raise ProtocolError(code, f"expected {what} as 1 to {limit} characters")
    return value.strip()


def parse_with(commands: Mapping[str, Any], message: str | bytes, *,
               max_depth: int = MAX_JSON_DEPTH) -> Any:
    """A client frame read by the envelope its ``type`` names in ``commands``, validated.

    :class:`ProtocolError` names what is wrong (``bad_message`` for an unknown type).
    """
    data = parse_object(message, max_depth=max_depth)
    kind = data.get("type")
    command = commands.get(kind) if isinstance(kind, str) else None
    if command is None:
        raise ProtocolError("bad_message", f"unknown message type {str(kind)[:40]!r}")
    return command.parse(data)


def display_name(user: User) -> str:
    """How a participant is named to teachers: the host's display name, else the username."""
    return str(user.get("display_name") or user.get("name") or user.get("username") or "?")


@dataclass(frozen=True, slots=True)
class ActivityView(Envelope):
    """``{"type": kind, kind: {...} | null}``: an activity as one recipient may see it."""

    kind: str
    view: dict[str, Any] | None
    #: Empty: the frame's type is ``kind``, set per instance.
    type: ClassVar[str] = ""

    def to_json(self) -> dict[str, Any]:
        return {"type": self.kind, self.kind: self.view}


class LatestView:
    """The newest view of one activity a client received, readable from any thread."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._lock = threading.Lock()
        self._view: dict[str, Any] | None = None

    @property
    def view(self) -> dict[str, Any] | None:
        with self._lock:
            return dict(self._view) if self._view is not None else None

    def apply(self, kind: str | None, frame: Mapping[str, Any]) -> None:
        """Apply one server frame (``kind`` is its ``type``)."""
        if kind == self.kind:
            view = frame.get(kind)
            with self._lock:
                self._view = dict(view) if isinstance(view, dict) else None
