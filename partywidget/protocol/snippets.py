"""The ``snippets`` party: code or Markdown a teacher pushes to everyone, and its history.

A moderator (a teacher) :class:`Push`\\ es a snippet; everyone gets the room's
history of snippets, newest last, in the ``snippets`` frame (the same for
every recipient). The history keeps the newest snippets that fit in one
storage value; a moderator's :class:`~.frames.Clear` empties it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from ..errors import ProtocolError
from .activity import ActivityView, parse_with
from .frames import Clear, Envelope
from .jsonrules import MAX_JSON_DEPTH

__all__ = ["COMMANDS", "JOIN_TYPE", "MAX_CODE_LENGTH", "Push", "SnippetsCommand",
           "parse_command", "snippets_frame"]

JOIN_TYPE = "snippets"
MAX_CODE_LENGTH = 20_000
_LANGUAGE = re.compile(r"[a-z0-9+#.-]{1,20}")


@dataclass(frozen=True, slots=True)
class Push(Envelope):
    """``{"type": "push", "code", "language"}``: show ``code`` to everyone (moderators)."""

    code: str
    language: str = "python"
    type: ClassVar[str] = "push"

    def to_json(self) -> dict[str, Any]:
        return {"type": "push", "code": self.code, "language": self.language}

    @classmethod
    def parse(cls, data: Mapping[str, Any]) -> Push:
        code = data.get("code")
        if not isinstance(code, str) or not code.strip() or len(code) > MAX_CODE_LENGTH:
            raise ProtocolError("bad_snippet",
                                f"expected \"code\" as 1 to {MAX_CODE_LENGTH} characters")
        language = data.get("language", "python")
        if not isinstance(language, str) or not _LANGUAGE.fullmatch(language):
            raise ProtocolError("bad_snippet", "expected \"language\" as 1 to 20 characters "
                                               "[a-z0-9+#.-] (python, markdown, ...)")
        return cls(code, language)


SnippetsCommand = Push | Clear

COMMANDS: Mapping[str, Any] = {cls.type: cls for cls in (Push, Clear)}


def parse_command(message: str | bytes, *, max_depth: int = MAX_JSON_DEPTH) -> SnippetsCommand:
    """A snippets client frame, validated; :class:`ProtocolError` names what is wrong."""
    return parse_with(COMMANDS, message, max_depth=max_depth)  # type: ignore[no-any-return]


def snippets_frame(snippets: list[dict[str, Any]]) -> ActivityView:
    """``{"type": "snippets", "snippets": {"items": [{"id", "code", "language", "by", "at"}]}}``."""
    return ActivityView(JOIN_TYPE, {"items": snippets})
