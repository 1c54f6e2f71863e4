"""Frames every built-in party shares, as typed envelopes, and the presence fold.

A frame is a JSON object whose ``type`` names it (docs/protocol.md). Each
envelope class here is one frame: ``serialize()`` builds its text (the only
place that does), ``parse(data)`` reads it from a decoded JSON object and
refuses a bad shape with :class:`~partywidget.errors.ProtocolError` and the
documented code. Frames a party defines for itself live in that party's module
(:mod:`.chat`, :mod:`.board`).

* server to client: :class:`Welcome`, :class:`UserJoined`, :class:`UserLeft`,
  :class:`Locked`, :class:`Cleared`, :class:`ErrorFrame`, and the join frame
  of a log party (:func:`log_join_frame`);
* client to server, for moderators: :class:`Lock`, :class:`Clear`,
  :class:`Remove`.

:class:`Presence` is the client-side fold of the shared frames: who we are,
who is online, whether the room is locked.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from ..errors import ProtocolError
from .jsonrules import MAX_JSON_DEPTH, decode_json, encode_json

__all__ = [
    "Clear", "Cleared", "Envelope", "ErrorFrame", "Lock", "Locked", "Presence", "Remove",
    "User", "UserJoined", "UserLeft", "Welcome", "decode_frame", "error_frame",
    "log_join_frame", "parse_object", "read_frame", "require_int", "require_str", "with_offset",
]

#: A user as the host authenticated it: plain JSON (docs/protocol.md, "Users").
User = Mapping[str, Any]


class Envelope:
    """Base of every typed frame: ``type`` names it, ``to_json`` is its JSON object."""

    __slots__ = ()
    type: ClassVar[str]

    def to_json(self) -> dict[str, Any]:
        raise NotImplementedError

    def serialize(self) -> str:
        """The frame as compact JSON text, ready to send."""
        return encode_json(self.to_json())


# --- reading client frames -----------------------------------------------------------


def parse_object(message: str | bytes, *, max_depth: int = MAX_JSON_DEPTH) -> dict[str, Any]:
    """A client frame decoded strictly (:func:`decode_json`); it must be a JSON object."""
    data = decode_json(message, max_depth=max_depth)
    if not isinstance(data, dict):
        raise ProtocolError("bad_message", "expected a JSON object with a \"type\"")
    return data


def require_int(data: Mapping[str, Any], key: str, what: str) -> int:
    """``data[key]`` as an integer (never a bool), else ``bad_message`` naming ``what``."""
    value = data.get(key)
    if not isinstance(value, int) or isinstance(value, bool):
        raise ProtocolError("bad_message", f"expected \"{key}\": <{what}>")
    return value


def require_str(data: Mapping[str, Any], key: str, what: str) -> str:
    """``data[key]`` as a string, else ``bad_message`` naming ``what``."""
    value = data.get(key)
    if not isinstance(value, str):
        raise ProtocolError("bad_message", f"expected \"{key}\": <{what}>")
    return value


@dataclass(frozen=True, slots=True)
class Lock(Envelope):
    """``{"type": "lock", "locked": bool}``: make the room read-only (moderators)."""

    locked: bool = True
    type: ClassVar[str] = "lock"

    def to_json(self) -> dict[str, Any]:
        return {"type": "lock", "locked": self.locked}

    @classmethod
    def parse(cls, data: Mapping[str, Any]) -> Lock:
        return cls(bool(data.get("locked", True)))


@dataclass(frozen=True, slots=True)
class Clear(Envelope):
    """``{"type": "clear"}``: empty the room and start a new epoch (moderators)."""

    type: ClassVar[str] = "clear"

    def to_json(self) -> dict[str, Any]:
        return {"type": "clear"}

    @classmethod
    def parse(cls, data: Mapping[str, Any]) -> Clear:
        return cls()


@dataclass(frozen=True, slots=True)
class Remove(Envelope):
    """``{"type": "remove", "id": <connection id>}``: remove a participant (moderators)."""

    id: str
    type: ClassVar[str] = "remove"

    def to_json(self) -> dict[str, Any]:
        return {"type": "remove", "id": self.id}

    @classmethod
    def parse(cls, data: Mapping[str, Any]) -> Remove:
        return cls(require_str(data, "id", "connection id of someone in this room"))


# --- server frames -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ErrorFrame(Envelope):
    """``{"type": "error", "code", "message"}``: a refused frame, to its sender only."""

    code: str
    message: str
    type: ClassVar[str] = "error"

    def to_json(self) -> dict[str, Any]:
        return {"type": "error", "code": self.code, "message": self.message}

    @classmethod
    def parse(cls, data: Mapping[str, Any]) -> ErrorFrame:
        return cls(str(data.get("code", "")), str(data.get("message", "")))


def error_frame(code: str, message: str) -> str:
    """The text of ``{"type": "error", "code", "message"}``."""
    return ErrorFrame(code, message).serialize()


@dataclass(frozen=True, slots=True)
class Welcome(Envelope):
    """The first frame a joiner of a log party gets: who it is, who is there, the epoch."""

    room_id: str
    party: str
    id: str
    user: User
    epoch: str | None
    users: list[dict[str, Any]]
    locked: bool = False
    #: How many entries the room keeps: a client never needs to hold more.
    history: int | None = None
    type: ClassVar[str] = "welcome"

    def to_json(self) -> dict[str, Any]:
        frame = {"type": "welcome", "roomId": self.room_id, "party": self.party, "id": self.id,
                 "user": self.user, "epoch": self.epoch, "users": self.users,
                 "locked": self.locked}
        if self.history is not None:
            frame["history"] = self.history
        return frame

    @classmethod
    def parse(cls, data: Mapping[str, Any]) -> Welcome:
        users = [u for u in data.get("users") or () if isinstance(u, dict)]
        user = data.get("user")
        history = data.get("history")
        return cls(str(data.get("roomId", "")), str(data.get("party", "")),
                   str(data.get("id", "")), user if isinstance(user, dict) else {},
                   data.get("epoch"), users, bool(data.get("locked", False)),
                   history if isinstance(history, int) and history > 0 else None)


@dataclass(frozen=True, slots=True)
class UserJoined(Envelope):
    """``{"type": "userJoined", "id", "user"}``, to everyone but the joiner."""

    id: str
    user: User
    type: ClassVar[str] = "userJoined"

    def to_json(self) -> dict[str, Any]:
        return {"type": "userJoined", "id": self.id, "user": self.user}


@dataclass(frozen=True, slots=True)
class UserLeft(Envelope):
    """``{"type": "userLeft", "id", "user"}``, to everyone still there."""

    id: str
    user: User
    type: ClassVar[str] = "userLeft"

    def to_json(self) -> dict[str, Any]:
        return {"type": "userLeft", "id": self.id, "user": self.user}


@dataclass(frozen=True, slots=True)
class Locked(Envelope):
    """``{"type": "locked", "locked": bool}``: the room was locked or unlocked."""

    locked: bool
    type: ClassVar[str] = "locked"

    def to_json(self) -> dict[str, Any]:
        return {"type": "locked", "locked": self.locked}


@dataclass(frozen=True, slots=True)
class Cleared(Envelope):
    """``{"type": "cleared", "epoch"}``: the log was emptied; a new stream begins."""

    epoch: str
    type: ClassVar[str] = "cleared"

    def to_json(self) -> dict[str, Any]:
        return {"type": "cleared", "epoch": self.epoch}


def with_offset(offset: int, entry: str) -> str:
    """A stored entry (a JSON object without ``id``) as a wire object with its ``id``."""
    return '{"id":%d,%s' % (offset, entry[1:])


def log_join_frame(type: str, key: str, items: Iterable[str], epoch: str,
                   recovered: bool) -> str:
    """A log party's join frame, ``{"type", key: [...], "epoch", "recovered"}``.

    ``items`` are wire objects already encoded (stored text spliced with its
    offset): the frame is assembled without decoding or re-encoding them,
    which is what keeps a join with 1000 stored messages cheap.
    """
    return '{"type":%s,%s:[%s],"epoch":%s,"recovered":%s}' % (
        encode_json(type), encode_json(key), ",".join(items), encode_json(epoch),
        "true" if recovered else "false")


# --- client side ---------------------------------------------------------------------


#: Server frames are parsed without the host's strict rules (see :func:`decode_frame`).
_LENIENT = json.JSONDecoder()


def decode_frame(raw: str | bytes) -> Any:
    """A server frame as the client hands it on: decoded JSON, or the raw text/bytes.

    Lenient on purpose (a custom party may send plain text): only the room host
    validates strictly, because only it stores what it reads.
    """
    if isinstance(raw, str):
        try:
            return _LENIENT.decode(raw)
        except ValueError:
            return raw
    return raw


def read_frame(frame: Any) -> tuple[str | None, Mapping[str, Any]]:
    """``(type, frame)`` of a decoded server frame; ``(None, {})`` for anything else."""
    if isinstance(frame, dict):
        kind = frame.get("type")
        return (kind if isinstance(kind, str) else None), frame
    return None, {}


@dataclass
class Presence:
    """The client's fold of the shared frames: identity, who is online, the lock.

    Frames are applied on the client's thread; readers on any thread get copies.
    """

    id: str | None = None
    user: dict[str, Any] | None = None
    epoch: str | None = None
    #: Read-only for non-moderators (a moderator's ``lock``).
    locked: bool = False
    _users: list[dict[str, Any]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def users(self) -> list[dict[str, Any]]:
        """``[{"id", "user"}]``, ourselves included."""
        with self._lock:
            return [dict(u) for u in self._users]

    def apply(self, kind: str | None, frame: Mapping[str, Any]) -> None:
        """Apply one frame (``kind`` from :func:`read_frame`)."""
        with self._lock:
            if kind == "welcome":
                welcome = Welcome.parse(frame)
                self.id = welcome.id or self.id
                self.user = dict(welcome.user) if welcome.user else self.user
                self.epoch = welcome.epoch if "epoch" in frame else self.epoch
                self.locked = welcome.locked
                self._users = welcome.users
            elif kind == "userJoined":
                self._users = [u for u in self._users if u.get("id") != frame.get("id")]
                self._users.append({"id": frame.get("id"), "user": frame.get("user")})
            elif kind == "userLeft":
                self._users = [u for u in self._users if u.get("id") != frame.get("id")]
            elif kind == "locked":
                self.locked = bool(frame.get("locked"))
            elif kind in ("cleared", "history", "state") and "epoch" in frame:
                self.epoch = frame["epoch"]
