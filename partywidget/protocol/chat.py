"""The ``main`` party (chat): its frames, and the client's fold of its stream.

Client to server (docs/protocol.md, "The main party"): :class:`Post`
(``{"content", "cid"?, "mime"?}``, also with ``"type": "message"``), :class:`Delete`,
:class:`Typing`, and
the moderators' :class:`~.frames.Lock`, :class:`~.frames.Clear`,
:class:`~.frames.Remove`. :func:`parse_command` reads any of them.

Edits and reactions (:class:`Edit`, :class:`React`) are log entries of their
own that name the message they change (``edited``/``reacted`` frames, built by
:func:`entry_frame`), so history, resume and the delivery contract hold for
them as for messages; readers fold them into the message they target.

Server to client: the join frames (``welcome``, then :func:`history_frame`),
``message`` (:func:`message_frame`), ``edited``/``reacted`` (:func:`entry_frame`),
``deleted`` (:class:`Deleted`), ``typing``
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
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from ..errors import ProtocolError
from .frames import (Clear, Envelope, Lock, Remove, User, log_join_frame, parse_object,
                     require_int)
from .jsonrules import MAX_JSON_DEPTH, encode_json

__all__ = [
    "COMMANDS", "JOIN_TYPE", "MAX_CID_LENGTH", "MIME_TYPES", "TYPING_INTERVAL", "ChatCommand",
    "ChatHistory", "Delete", "Deleted", "Edit", "fold_change", "History", "IsTyping", "MAX_EMOJI_LENGTH",
    "MAX_REACTIONS", "Post", "React", "Typing", "command_of", "edit_entry", "entry_frame",
    "history_frame", "message_frame", "mentions", "parse_command", "parse_emoji", "parse_mime",
    "react_entry", "stored_entry",
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


@dataclass(frozen=True, slots=True)
class Edit(Envelope):
    """``{"type": "edit", "id": <message id>, "content": <any JSON>}``: the author
    replaces the text of their own message (moderators delete, never rewrite)."""

    id: int
    content: Any
    type: ClassVar[str] = "edit"

    def to_json(self) -> dict[str, Any]:
        return {"type": "edit", "id": self.id, "content": self.content}

    @classmethod
    def parse(cls, data: Mapping[str, Any]) -> Edit:
        if "content" not in data:
            raise ProtocolError("bad_message", "expected a \"content\" field")
        return cls(require_int(data, "id", "message id"), data["content"])


#: Longest reaction, in code points (a flag or a family emoji with its joiners).
MAX_EMOJI_LENGTH = 16
#: Most distinct reactions one message holds; a new one past it is refused.
MAX_REACTIONS = 20
#: Categories an emoji's code points may have past its first symbol: modifiers,
#: combining marks (keycaps, variation selectors). Joiners and tags are checked apart.
_EMOJI_TAIL = frozenset({"So", "Sk", "Mn", "Me"})


def _emoji_char(char: str) -> bool:
    code = ord(char)
    return code == 0x200D or 0xE0020 <= code <= 0xE007F or (
        code >= 0x80 and unicodedata.category(char) in _EMOJI_TAIL)


def parse_emoji(value: Any) -> str:
    """A reaction: 1 to :data:`MAX_EMOJI_LENGTH` code points, a non-ASCII symbol
    first, then only symbols, modifiers, marks, joiners and tags.

    docs/security.md: no ASCII, so no markup, URL or text reaches a chip; no
    controls or direction overrides, so a chip cannot reorder its neighbours.
    """
    if (not isinstance(value, str) or not 0 < len(value) <= MAX_EMOJI_LENGTH
            or ord(value[0]) < 0x80 or unicodedata.category(value[0]) != "So"
            or not all(_emoji_char(c) for c in value)):
        raise ProtocolError("bad_message", f"expected \"emoji\" as 1 to {MAX_EMOJI_LENGTH} "
                                           f"emoji code points")
    return value


@dataclass(frozen=True, slots=True)
class React(Envelope):
    """``{"type": "react", "id": <message id>, "emoji": "<emoji>", "on"?: <bool>}``:
    add (``on``, the default) or take back the sender's reaction to a message."""

    id: int
    emoji: str
    on: bool = True
    type: ClassVar[str] = "react"

    def to_json(self) -> dict[str, Any]:
        return {"type": "react", "id": self.id, "emoji": self.emoji, "on": self.on}

    @classmethod
    def parse(cls, data: Mapping[str, Any]) -> React:
        on = data.get("on", True)
        if not isinstance(on, bool):
            raise ProtocolError("bad_message", "expected \"on\" as true or false")
        return cls(require_int(data, "id", "message id"), parse_emoji(data.get("emoji")), on)


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
    """Whether message ``content`` mentions ``user``: ``@username``, ``@display_name``,
    ``@name`` or, for a kernel bot, ``@label`` (its ``connect(name=...)``: people
    address ``@calc-bot``, not its owner), not inside a longer word, case-insensitive.

    The one rule of mentions (js/attention.ts mirrors it): readers compute
    it from the text and their own host-given identity; no frame carries it.
    """
    if not isinstance(content, str) or not user:
        return False
    names = [n for key in ("username", "display_name", "name", "label")
             if isinstance(n := user.get(key), str) and n]
    return any(re.search(r"(^|[^\w@])@" + re.escape(name) + r"(?![\w-])", content,
                         re.IGNORECASE) for name in names)


ChatCommand = Post | Delete | Edit | React | Typing | Clear | Lock | Remove

#: Client frames of the chat by ``type`` (a frame without ``type`` is a post).
COMMANDS: Mapping[str, Any] = {cls.type: cls
                               for cls in (Post, Delete, Edit, React, Typing, Clear, Lock,
                                             Remove)}


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


#: Stored entries that are not messages begin with their frame type.
_TYPED_ENTRIES = tuple('{"type":"%s",' % kind for kind in ("edited", "reacted"))


def entry_frame(offset: int, entry: str) -> str:
    """The frame of any stored entry: ``edited``/``reacted`` ones carry their
    ``type`` and get ``id`` spliced in after it; the rest are messages."""
    for prefix in _TYPED_ENTRIES:
        if entry.startswith(prefix):
            return '%s"id":%d,%s' % (prefix, offset, entry[len(prefix):])
    return message_frame(offset, entry)


def edit_entry(target: int, sender_id: str | None, user_json: str, content: Any,
               timestamp: int) -> str:
    """The stored text of an edit: ``{"type": "edited", "target", "from", "user",
    "content", "timestamp"}``. Raises ``ValueError`` for content JSON cannot carry."""
    return '{"type":"edited","target":%d,"from":%s,"user":%s,"content":%s,"timestamp":%d}' % (
        target, "null" if sender_id is None else encode_json(sender_id), user_json,
        encode_json(content), timestamp)


def react_entry(target: int, user_json: str, emoji: str, on: bool, timestamp: int) -> str:
    """The stored text of a reaction: ``{"type": "reacted", "target", "user",
    "emoji", "on", "timestamp"}``."""
    return '{"type":"reacted","target":%d,"user":%s,"emoji":%s,"on":%s,"timestamp":%d}' % (
        target, user_json, encode_json(emoji), "true" if on else "false", timestamp)


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
                          (entry_frame(offset, entry) for offset, entry in entries),
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
            if kind in _LOGGED and _is_id(frame.get("id")):
                return self._entry(dict(frame))
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
            fresh = [m for m in incoming if last is None or m["id"] > last]
            new = self._fold(fresh)
        else:
            # Not resumable: take the server's history as the truth. Messages
            # past our last id in the same stream are news; a new epoch is a
            # new stream (history lost or reset), whose ids say nothing to us.
            self._messages = []
            folded = self._fold(incoming)
            new = [] if first_join or not same_stream else [
                m for m in folded if last is None or m["id"] > last]
            if not same_stream:
                last = None
        self._last_id = max([*(m["id"] for m in incoming), *([last] if last is not None else [])],
                            default=None)
        self._trim()
        return new

    def _entry(self, frame: dict[str, Any]) -> list[dict[str, Any]]:
        if self._last_id is not None and frame["id"] <= self._last_id:
            return []  # already held: delivered live and again by a resume
        new = self._fold([frame])
        self._last_id = frame["id"]
        self._trim()
        return new

    def _fold(self, entries: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
        """Append messages, apply edits and reactions to the messages they
        target (ignored when that message is gone); return the messages."""
        new = []
        for entry in entries:
            kind = entry.get("type", "message")
            if kind == "message":
                self._messages.append(entry)
                new.append(entry)
            elif kind in ("edited", "reacted"):
                self._change(entry)
        return new

    def _change(self, entry: Mapping[str, Any]) -> None:
        for index, message in enumerate(self._messages):
            if message.get("id") == entry.get("target"):
                # A new dict: readers hold copies of the list, not of messages.
                self._messages[index] = fold_change(message, entry)
                return

    def _trim(self) -> None:
        if self.limit is not None and len(self._messages) > self.limit:
            del self._messages[:len(self._messages) - self.limit]


#: Server frames that are log entries (carry an ``id`` that only grows).
_LOGGED = frozenset({"message", "edited", "reacted"})


def fold_change(message: Mapping[str, Any], entry: Mapping[str, Any]) -> dict[str, Any]:
    """``message`` with an ``edited`` or ``reacted`` entry applied: new ``content``
    and ``edited`` (the edit's timestamp), or ``reactions`` as ``{emoji: [username,
    ...]}`` (one per user per emoji; an emoji nobody holds is dropped)."""
    folded = dict(message)
    if entry.get("type") == "edited":
        folded["content"] = entry.get("content")
        folded["edited"] = entry.get("timestamp")
        return folded
    emoji, user = entry.get("emoji"), entry.get("user")
    name = user.get("username") if isinstance(user, Mapping) else None
    if not isinstance(emoji, str) or not isinstance(name, str):
        return folded
    reactions = {k: list(v) for k, v in (message.get("reactions") or {}).items()}
    names = reactions.setdefault(emoji, [])
    if entry.get("on") and name not in names:
        names.append(name)
    elif not entry.get("on") and name in names:
        names.remove(name)
    folded["reactions"] = {k: v for k, v in reactions.items() if v}
    return folded


def _is_id(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
