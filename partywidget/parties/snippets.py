"""The ``snippets`` party: teachers push code or Markdown to every student, with a history.

Built on the public Party API alone (:class:`ActivityParty`): the history is
one storage value, trimmed to the newest snippets that fit in it, and every
connection gets the same ``snippets`` frame. Frames are documented in
docs/protocol.md; their envelopes are in :mod:`partywidget.protocol.snippets`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..protocol import snippets
from ..protocol.activity import ActivityView, display_name
from ..protocol.frames import Clear
from ..protocol.jsonrules import encode_json
from ..rooms import Connection
from .activity import ActivityParty, require_moderator
from .logged import now_ms

__all__ = ["SnippetsParty"]


class SnippetsParty(ActivityParty):
    """Push (moderators) and clear (moderators); everyone sees the history."""

    join_type = snippets.JOIN_TYPE

    def load(self, stored: Any) -> None:
        self.items: list[dict[str, Any]] = list((stored or {}).get("items", []))
        self.last_id: int = int((stored or {}).get("last_id", 0))

    def dump(self) -> Any:
        return {"items": list(self.items), "last_id": self.last_id}

    def view(self, user: Mapping[str, Any]) -> ActivityView:
        return snippets.snippets_frame(self.items)

    async def on_message(self, message: str | bytes, sender: Connection) -> None:
        command = snippets.parse_command(message, max_depth=self.room.limits.max_json_depth)
        if isinstance(command, snippets.Push):
            require_moderator(sender.user, "push snippets")
            self.last_id += 1
            self.items.append({"id": self.last_id, "code": command.code,
                               "language": command.language,
                               "by": display_name(sender.user), "at": now_ms()})
            self.trim()
        elif isinstance(command, Clear):
            require_moderator(sender.user, "clear snippets")
            self.items = []
        await self.changed()

    def trim(self) -> None:
        """Drop the oldest snippets until the history fits in one storage value."""
        limit = self.room.limits.max_value_bytes
        while len(self.items) > 1 and len(encode_json(self.dump()).encode("utf-8")) > limit:
            del self.items[0]
