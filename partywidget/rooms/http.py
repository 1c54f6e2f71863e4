"""Transport-free HTTP for ``Party.on_request`` (PartyKit's ``onRequest``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from ..errors import ProtocolError
from ..protocol.frames import User, error_frame
from ..protocol.jsonrules import decode_json, encode_json

__all__ = ["Request", "Response"]


@dataclass(frozen=True)
class Request:
    """An HTTP request to a room: ``/parties/{party}/{room}[/{path}]``.

    ``user`` is the authenticated identity, ``path`` the sub-path after the
    room (``""`` for the room itself), ``query`` the first value of each
    parameter. ``data`` is what the party's ``on_before_connect`` /
    ``on_before_request`` attached (:meth:`with_data`); the client cannot set it.
    A WebSocket's upgrade request is a ``Request`` too (``method`` ``GET``,
    empty body), seen by ``on_before_connect`` and then ``ctx.request``.
    """

    method: str
    url: str
    user: User
    path: str = ""
    query: Mapping[str, str] = field(default_factory=dict)
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes = b""
    data: Mapping[str, Any] = field(default_factory=dict)

    def with_data(self, **values: Any) -> Request:
        """A copy carrying ``values`` in :attr:`data` (PartyKit's modified request)."""
        return replace(self, data={**self.data, **values})

    def header(self, name: str, default: str | None = None) -> str | None:
        """A header's value; names are case-insensitive (RFC 9110 §5.1)."""
        name = name.lower()
        for key, value in self.headers.items():
            if key.lower() == name:
                return value
        return default

    @property
    def media_type(self) -> str:
        """``Content-Type`` without parameters, lower-cased; ``""`` when absent.

        Header names and media types are case-insensitive (RFC 9110 §5.1, §8.3.1),
        so ``Application/JSON; charset=UTF-8`` is ``application/json``.
        """
        value = self.header("content-type")
        return value.split(";", 1)[0].strip().lower() if value else ""

    def text(self) -> str:
        """The body as UTF-8 text; invalid UTF-8 is a 400, not a 500."""
        try:
            return self.body.decode("utf-8")
        except UnicodeDecodeError:
            raise ProtocolError("bad_encoding", "expected a UTF-8 request body") from None

    def json(self, max_depth: int = 32) -> Any:
        """The body parsed as strict JSON (see :func:`decode_json`)."""
        return decode_json(self.text(), max_depth=max_depth)


@dataclass(frozen=True)
class Response:
    """What ``on_request`` returns; build with :meth:`json` or :meth:`text`."""

    body: bytes = b""
    status: int = 200
    headers: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def json(cls, value: Any, status: int = 200) -> Response:
        return cls(encode_json(value).encode("utf-8"), status, JSON_HEADERS)

    @classmethod
    def text(cls, text: str, status: int = 200) -> Response:
        return cls(text.encode("utf-8"), status, {"Content-Type": "text/plain; charset=utf-8"})

    @classmethod
    def error(cls, code: str, message: str, status: int) -> Response:
        """The ``{"type": "error", "code", "message"}`` frame as an HTTP answer."""
        return cls(error_frame(code, message).encode("utf-8"), status, JSON_HEADERS)

    @classmethod
    def frame(cls, frame: str, status: int = 200) -> Response:
        """A wire frame already encoded (the chat's history, a stored message)."""
        return cls(frame.encode("utf-8"), status, JSON_HEADERS)


JSON_HEADERS: Mapping[str, str] = {"Content-Type": "application/json; charset=utf-8"}
