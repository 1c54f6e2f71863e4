"""``Snippets``: code or Markdown a teacher pushes to everyone (the ``snippets`` party)."""

from __future__ import annotations

from typing import Any

from ..protocol import snippets
from ..protocol.frames import Clear
from .activity import Activity, ActivityWidget
from .room_widget import STATIC

__all__ = ["Snippets", "SnippetsWidget"]


class SnippetsWidget(ActivityWidget):
    """The anywidget of pushed snippets (``js/snippets.ts``)."""

    _esm = STATIC / "snippets.js"
    _css = STATIC / "snippets.css"
    kind = snippets.JOIN_TYPE


class Snippets(Activity):
    """Snippets a teacher pushes to every student, newest last, each with a Copy button.

    >>> Snippets("class-101").push("df = pd.read_csv('data.csv')")   # doctest: +SKIP

    Pushing and clearing are for teachers (moderators); the room host refuses
    the others. Code and Markdown are shown as their source text.
    """

    widget_class = SnippetsWidget

    def __init__(self, room: str, *, party: str = "snippets", endpoint: str | None = None) -> None:
        super().__init__(room, party=party, endpoint=endpoint)

    @property
    def snippets(self) -> list[dict[str, Any]]:
        """``[{"id", "code", "language", "by", "at"}]``, oldest first."""
        return list((self.view or {}).get("items", []))

    def push(self, code: str, language: str = "python") -> None:
        """Show ``code`` to everyone in the room (checked here by the snippets' rules)."""
        self.send(snippets.Push.parse({"code": code, "language": language}))

    def clear(self) -> None:
        """Empty the history for everyone. Teachers only."""
        self.send(Clear())
