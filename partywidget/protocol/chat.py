"""The ``main`` party (chat): its frames, and the client's fold of its stream.

Client to server (docs/protocol.md, "The main party"): :class:`Post`
(``{"content", "cid"?, "mime"?}``, also with ``"type": "message"``), :class:`Delete`,
:class:`Typing`, and
the moderators' :class:`~.frames.Lock`, :class:`~.frames.Clear`,
:class:`~.frames.Remove`. :func:`parse_command` reads any of them.

Server to client: the join frames (``welcome``, then :func:`history_frame`),
``message`` (:func:`message_frame`), ``deleted`` (:class:`Deleted`), ``typing``
(:class:`IsTyping`, ephemeral), and the
shared frames of :mod:`.frames`. A message is stored as the text of
:func:`stored_entry` and becomes its wire frame by splicing in the offset, so
the hot path (persist, then broadcast) encodes each message once.

:class:`ChatHistory` is the client's fold of the stream, with the resume rules
of the delivery contract.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from ..errors import ProtocolError
from .frames import (Clear, Envelope, Lock, Remove, User, log_join_frame, parse_object,
                     require_int)
from .jsonrules import MAX_JSON_DEPTH, encode_json

__all__ = [
    "COMMANDS", "JOIN_TYPE", "MAX_CID_LENGTH", "MIME_TYPES", "TYPING_INTERVAL", "ChatCommand",
    "ChatHistory", "Delete", "Deleted", "History", "IsTyping", "Post", "Typing", "command_of", "history_frame", "message_frame",
    "mentions", "parse_command", "parse_mime", "stored_entry",
]

#: The frame that completes a join to the chat (after ``welcome``).
JOIN_TYPE = "history"
#: Longest client message id.
MAX_CID_LENGTH = 128
#: MIME types a message's ``mime`` bundle may hold (a kernel's rich output),
#: richest first as front ends prefer them. Images are base64 text.
MIME_TYPES = ("image/png", "image/jpeg", "image/gif", "image/svg+xml", "text/html",
              "text/markdown", "text/plain")


def parse_mime(value: Any) -> dict[str, str]:
    """A ``mime`` bundle, validated: an object of 1+ :data:`MIME_TYPES` to strings.

    Unknown types are refused rather than dropped, so a client learns at once
    that a type it sends is never shown. The size bound is the stored-message
    limit, checked on the whole stored entry.
    """
    if not isinstance(value, dict) or not value:
        raise ProtocolError("bad_message", "expected mime as an object of MIME type to text")
    for kind, data in value.items():
        if kind not in MIME_TYPES:
            raise ProtocolError("bad_message", f"unsupported MIME type {str(kind)[:60]!r}; "
                                               f"expected one of {', '.join(MIME_TYPES)}")
        if not isinstance(data, str):
            raise ProtocolError("bad_message", f"expected mime[{kind!r}] as a string")
    return dict(value)


@dataclass(frozen=True, slots=True)
class Post(Envelope):
    """``{"content": <any JSON>, "cid"?: "<id>", "mime"?: {<type>: <text>}, "reply_to"?: <id>}``.

    ``cid`` (client message id) makes a retried send idempotent: the room
    stores it once per user. ``mime`` is a kernel's rich output (a figure, a
    DataFrame), shown instead of ``content``, its plain text. ``reply_to`` is
    the id of the message this one answers (readers quote it if they hold it).
    """

    content: Any
    cid: str | None = None
    mime: Mapping[str, str] | None = None
    reply_to: int | None = None
    type: ClassVar[str] = "message"

    def to_json(self) -> dict[str, Any]:
        # Without "type": the PartyKit article's client sends {"content"} alone.
        data: dict[str, Any] = {"content": self.content}
        if self.cid is not None:
            data["cid"] = self.cid
        if self.mime is not None:
            data["mime"] = dict(self.mime)
        if self.reply_to is not None:
            data["reply_to"] = self.reply_to
        return data

    @classmethod
    def parse(cls, data: Mapping[str, Any]) -> Post:
        if "content" not in data:
            raise ProtocolError("bad_message", "expected a \"content\" field")
        cid = data.get("cid")
        if cid is not None and (not isinstance(cid, str) or not 0 < len(cid) <= MAX_CID_LENGTH):
            raise ProtocolError("bad_message", f"expected cid as a string of 1 to "
                                               f"{MAX_CID_LENGTH} characters")
        mime = data.get("mime")
        reply_to = None if data.get("reply_to") is None else require_int(data, "reply_to",
                                                                         "message id")
        return cls(data["content"], cid, None if mime is None else parse_mime(mime), reply_to)


@dataclass(frozen=True, slots=True)
class Delete(Envelope):
    """``{"type": "delete", "id": <message id>}``: the author or a moderator deletes it."""

    id: int
    type: ClassVar[str] = "delete"

    def to_json(self) -> dict[str, Any]:
        return {"type": "delete", "id": self.id}

    @classmethod
    def parse(cls, data: Mapping[str, Any]) -> Delete:
        return cls(require_int(data, "id", "message id"))


#: Seconds between two ``typing`` frames the room relays for one connection; the
#: ones in between are dropped (a typing indicator needs no more, and a flood of
#: them reaches no one).
TYPING_INTERVAL = 2.0


@dataclass(frozen=True, slots=True)
class Typing(Envelope):
    """``{"type": "typing"}``: the sender is typing; relayed to the others, never stored."""

    type: ClassVar[str] = "typing"

    def to_json(self) -> dict[str, Any]:
        return {"type": "typing"}

    @classmethod
    def parse(cls, data: Mapping[str, Any]) -> Typing:
        return cls()


@dataclass(frozen=True, slots=True)
class IsTyping(Envelope):
    """``{"type": "typing", "id": <connection id>, "user"}``, to everyone but the typist."""

    id: str
    user: User
    type: ClassVar[str] = "typing"

    def to_json(self) -> dict[str, Any]:
        return {"type": "typing", "id": self.id, "user": self.user}


def mentions(content: Any, user: Mapping[str, Any] | None) -> bool:
    """Whether message ``content`` mentions ``user``: ``@username``, ``@display_name``
    or ``@name``, not inside a longer word, case-insensitive.

    The one rule of mentions (js/attention.ts mirrors it): readers compute
    it from the text and their own host-given identity; no frame carries it.
    """
    if not isinstance(content, str) or not user:
        return False
    names = [n for key in ("username", "display_name", "name")
             if isinstance(n := user.get(key), str) and n]
    return any(re.search(r"(^|[^\w@])@" + re.escape(name) + r"(?![\w-])", content,
                         re.IGNORECASE) for name in names)


ChatCommand = Post | Delete | Typing | Clear | Lock | Remove

#: Client frames of the chat by ``type`` (a frame without ``type`` is a post).
COMMANDS: Mapping[str, Any] = {cls.type: cls
                               for cls in (Post, Delete, Typing, Clear, Lock, Remove)}


def parse_command(message: str | bytes, *, max_depth: int = MAX_JSON_DEPTH) -> ChatCommand:
    """A chat client frame, validated; :class:`ProtocolError` names what is wrong."""
    return command_of(parse_object(message, max_depth=max_depth))


def command_of(data: Mapping[str, Any]) -> ChatCommand:
    """The chat command of an already decoded object (an HTTP POST body, a frame)."""
    kind = data.get("type", Post.type)
    command = COMMANDS.get(kind) if isinstance(kind, str) else None
    if command is None:
        raise ProtocolError("bad_message", f"unknown message type {str(kind)[:40]!r}")
    return command.parse(data)


@dataclass(frozen=True, slots=True)
class Deleted(Envelope):
    """``{"type": "deleted", "id"}``: a message was deleted for everyone."""

    id: int
    type: ClassVar[str] = "deleted"

    def to_json(self) -> dict[str, Any]:
        return {"type": "deleted", "id": self.id}


def stored_entry(sender_id: str | None, user_json: str, content: Any, timestamp: int,
                 cid: str | None, mime: Mapping[str, str] | None = None,
                 reply_to: int | None = None) -> str:
    """The stored text of a message: ``{"from", "user", "content", "timestamp"[, "cid"]
    [, "mime"][, "reply_to"]}``.

    ``user_json`` is the sender's user already encoded (a connection encodes
    it once, not per message). Raises ``ValueError`` for content JSON cannot
    carry (``NaN`` from a kernel, say).
    """
    return '{"from":%s,"user":%s,"content":%s,"timestamp":%d%s%s%s}' % (
        "null" if sender_id is None else encode_json(sender_id), user_json,
        encode_json(content), timestamp, "" if cid is None else ',"cid":' + encode_json(cid),
        "" if mime is None else ',"mime":' + encode_json(dict(mime)),
        "" if reply_to is None else ',"reply_to":%d' % reply_to)


def message_frame(offset: int, entry: str) -> str:
    """The ``message`` frame of a stored entry: its text with ``type`` and ``id`` spliced in."""
    return '{"type":"message","id":%d,%s' % (offset, entry[1:])


@dataclass(frozen=True, slots=True)
class History(Envelope):
    """The ``history`` join frame from messages a client holds (the kernel relay's).

    The room host builds it from stored text instead (:func:`history_frame`).
    """

    messages: list[dict[str, Any]]
    epoch: str | None
    recovered: bool = False
    type: ClassVar[str] = JOIN_TYPE

    def to_json(self) -> dict[str, Any]:
        return {"type": JOIN_TYPE, "messages": self.messages, "epoch": self.epoch,
                "recovered": self.recovered}


def history_frame(epoch: str, entries: Iterable[tuple[int, str]], recovered: bool) -> str:
    """``{"type": "history", "messages": [...], "epoch", "recovered"}`` from stored entries."""
    return log_join_frame(JOIN_TYPE, "messages",
                          (message_frame(offset, entry) for offset, entry in entries),
                          epoch, recovered)


class ChatHistory:
    """The chat's stored messages as a client holds them, from server frames alone.

    The delivery contract seen from the client:

    * message ids only grow, so a ``message`` whose id is not above the last
      one held is a duplicate (a resume overlapping live delivery): dropped;
    * a ``history`` frame on rejoin with ``recovered: true`` holds exactly what
      was missed and is appended; with ``recovered: false`` it replaces the
      history (the server could not resume: an unknown epoch, entries trimmed);
    * ``deleted`` and ``cleared`` keep the history live.

    ``limit`` bounds what is held (the host's history length; a client never
    needs more than the host keeps). Frames are applied on the client's
    thread; readers on any thread get copies.
    """

    def __init__(self, limit: int | None = None) -> None:
        self.limit = limit
        self._lock = threading.Lock()
        self._messages: list[dict[str, Any]] = []
        #: Epoch and last id of the messages held: what a resume asks for.
        self._epoch: str | None = None
        self._last_id: int | None = None

    @property
    def messages(self) -> list[dict[str, Any]]:
        with self._lock:
            return list(self._messages)

    def __len__(self) -> int:
        return len(self._messages)

    def resume_query(self) -> dict[str, str]:
        """``since``/``epoch`` for a rejoin, empty before the first history."""
        with self._lock:
            if self._epoch is None or self._last_id is None:
                return {}
            return {"since": str(self._last_id), "epoch": self._epoch}

    def apply(self, kind: str | None, frame: Mapping[str, Any]) -> list[dict[str, Any]]:
        """Apply one server frame; return the messages new to this client."""
        with self._lock:
            if kind == "message" and _is_id(frame.get("id")):
                return self._message(dict(frame))
            if kind == JOIN_TYPE:
                return self._history(frame)
            if kind == "deleted":
                self._messages = [m for m in self._messages if m.get("id") != frame.get("id")]
            elif kind == "cleared":
                self._messages = []
                self._epoch = frame.get("epoch", self._epoch)
        return []

    def _history(self, frame: Mapping[str, Any]) -> list[dict[str, Any]]:
        incoming = [m for m in frame.get("messages") or () if isinstance(m, dict)
                    and _is_id(m.get("id"))]
        epoch = frame.get("epoch")
        first_join = self._epoch is None
        same_stream = epoch == self._epoch
        last = self._last_id
        self._epoch = epoch
        if frame.get("recovered") and not first_join:
            new = [m for m in incoming if last is None or m["id"] > last]
            self._messages.extend(new)
        else:
            # Not resumable: take the server's history as the truth. Messages
            # past our last id in the same stream are news; a new epoch is a
            # new stream (history lost or reset), whose ids say nothing to us.
            new = [] if first_join or not same_stream else [
                m for m in incoming if last is None or m["id"] > last]
            self._messages = incoming
            if not same_stream:
                last = None
        self._last_id = max([*(m["id"] for m in incoming), *([last] if last is not None else [])],
                            default=None)
        self._trim()
        return new

    def _message(self, frame: dict[str, Any]) -> list[dict[str, Any]]:
        if self._last_id is not None and frame["id"] <= self._last_id:
            return []  # already held: delivered live and again by a resume
        self._messages.append(frame)
        self._last_id = frame["id"]
        self._trim()
        return [frame]

    def _trim(self) -> None:
        if self.limit is not None and len(self._messages) > self.limit:
            del self._messages[:len(self._messages) - self.limit]


def _is_id(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
