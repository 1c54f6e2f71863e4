"""The notebook widgets: :class:`Chat`, :class:`Board`, :class:`Notes`, :class:`Poll`,
:class:`Hands`, :class:`Quiz`, :class:`Snippets` (anywidget).

Their front ends are TypeScript in ``js/``, bundled by ``npm run build`` into
``static/`` (which ``pip install`` builds through hatch-jupyter-builder).
"""

from __future__ import annotations

from .board import Board
from .chat import Chat
from .hands import Hands
from .notes import Notes
from .poll import Poll
from .quiz import Quiz
from .snippets import Snippets

__all__ = ["Board", "Chat", "Hands", "Notes", "Poll", "Quiz", "Snippets"]
