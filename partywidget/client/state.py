"""The client's view of its room, built from server frames alone (no I/O).

Kept apart from the socket code so the resume rules can be tested frame by
frame. The rules are the delivery contract's, seen from the client:

* message ids only grow, so a ``message`` whose id is not above the last one
  held is a duplicate (a resume overlapping live delivery) and is dropped;
* a ``history`` frame on rejoin with ``recovered: true`` holds exactly what was
  missed: it is appended; with ``recovered: false`` it replaces the history
  (the server could not resume: an unknown epoch, or entries trimmed);
* ``deleted`` and ``cleared`` keep the history live.
"""

from __future__ import annotations

import threading
from typing import Any

__all__ = ["RoomView"]


class RoomView:
    """Presence, identity and (for chat-like parties) history of one room.

    Frames are applied on the client thread; readers on any thread get copies.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.id: str | None = None
        self.user: dict[str, Any] | None = None
        self.epoch: str | None = None
        #: Read-only for non-moderators (chat and board ``lock``).
        self.locked = False
        self._users: list[dict[str, Any]] = []
        self._messages: list[dict[str, Any]] = []
        #: Epoch and last id of the messages held: what a resume asks for.
        self._history_epoch: str | None = None
        self._last_id: int | None = None

    # readers -------------------------------------------------------------------

    @property
    def users(self) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(u) for u in self._users]

    @property
    def messages(self) -> list[dict[str, Any]]:
        with self._lock:
            return list(self._messages)

    @property
    def message_count(self) -> int:
        return len(self._messages)

    def resume_query(self) -> dict[str, str]:
        """``since``/``epoch`` for a rejoin, empty before the first history."""
        with self._lock:
            if self._history_epoch is None or self._last_id is None:
                return {}
            return {"since": str(self._last_id), "epoch": self._history_epoch}

    # frames --------------------------------------------------------------------

    def apply(self, frame: Any) -> list[dict[str, Any]]:
        """Apply one decoded server frame; return the chat messages new to this client."""
        if not isinstance(frame, dict):
            return []
        kind = frame.get("type")
        with self._lock:
            if kind == "welcome":
                self.id = frame.get("id", self.id)
                self.user = frame.get("user", self.user)
                self.epoch = frame.get("epoch", self.epoch)
                self.locked = bool(frame.get("locked", False))
                self._users = [u for u in frame.get("users", []) if isinstance(u, dict)]
            elif kind == "userJoined":
                self._users = [u for u in self._users if u.get("id") != frame.get("id")]
                self._users.append({"id": frame.get("id"), "user": frame.get("user")})
            elif kind == "userLeft":
                self._users = [u for u in self._users if u.get("id") != frame.get("id")]
            elif kind == "history":
                return self._history(frame)
            elif kind == "message" and isinstance(frame.get("id"), int):
                return self._message(frame)
            elif kind == "deleted":
                self._messages = [m for m in self._messages if m.get("id") != frame.get("id")]
            elif kind == "cleared":
                self._messages = []
                self.epoch = self._history_epoch = frame.get("epoch", self.epoch)
            elif kind == "locked":
                self.locked = bool(frame.get("locked"))
            elif kind == "state":
                self.epoch = frame.get("epoch", self.epoch)
        return []

    def _history(self, frame: dict[str, Any]) -> list[dict[str, Any]]:
        incoming = [m for m in frame.get("messages", []) if isinstance(m, dict)
                    and isinstance(m.get("id"), int)]
        epoch = frame.get("epoch")
        first_join = self._history_epoch is None
        same_stream = epoch == self._history_epoch
        last = self._last_id
        self.epoch = self._history_epoch = epoch
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
        ids = [m["id"] for m in incoming]
        self._last_id = max([*ids, *([last] if last is not None else [])], default=None)
        return new

    def _message(self, frame: dict[str, Any]) -> list[dict[str, Any]]:
        if self._last_id is not None and frame["id"] <= self._last_id:
            return []  # already held: delivered live and again by a resume
        self._messages.append(frame)
        self._last_id = frame["id"]
        return [frame]
