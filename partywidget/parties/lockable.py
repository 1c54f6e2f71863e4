"""``LockableParty``: a log party a moderator can make read-only for everyone else.

One lock rule for every built-in party (docs/protocol.md, "Lock"): while a
room is locked, every change a non-moderator asks for is refused with
``locked`` (posting, deleting their own messages, drawing, erasing, undoing);
what changes nothing stored (cursors, presence) still flows.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from ..errors import ProtocolError
from ..protocol.frames import Cleared, Lock, Locked, Welcome
from ..rooms import Connection
from ..storage import LogState
from .logged import LogParty

__all__ = ["LockableParty"]


class LockableParty(LogParty):
    """A log party with a moderator's read-only lock.

    :class:`~partywidget.protocol.frames.Lock` (moderators only) sets it; it
    is stored under the storage key ``"locked"`` (so it survives restarts),
    sent in every ``welcome`` and announced as ``{"type": "locked", "locked"}``.
    Subclasses call :meth:`check_writable` before each change a user asks for.
    """

    async def on_start(self) -> None:
        await super().on_start()
        self.locked = bool(await self.room.storage.get("locked"))

    def welcome(self, connection: Connection, state: LogState,
                users: list[dict[str, Any]]) -> Welcome:
        return replace(super().welcome(connection, state, users), locked=self.locked)

    def check_writable(self, user: Mapping[str, Any]) -> None:
        """Refuse a change while the room is locked, unless ``user`` moderates."""
        if self.locked and not user.get("moderator"):
            raise ProtocolError("locked", "this room is read-only for now")

    async def lock(self, command: Lock, user: Mapping[str, Any]) -> None:
        if not user.get("moderator"):
            raise ProtocolError("forbidden", "only moderators can lock this room")
        await self.room.storage.put("locked", command.locked)
        self.room.signal({"locked": command.locked})  # every process's instance
        self.publish(Locked(command.locked))

    def on_signal(self, data: Mapping[str, Any]) -> None:
        if "locked" in data:
            self.locked = bool(data["locked"])
        super().on_signal(data)

    async def clear(self, user: Mapping[str, Any]) -> None:
        """Empty the log and start a new epoch (moderators); everyone gets ``cleared``."""
        if not user.get("moderator"):
            raise ProtocolError("forbidden", "only moderators can clear this room")
        state = await self.log.reset()
        self.publish(Cleared(state.epoch))
