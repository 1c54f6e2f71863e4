"""The notebook widgets: :class:`Chat`, :class:`Board` and :class:`Notes` (anywidget).

Their front ends are TypeScript in ``js/``, bundled by ``npm run build`` into
``static/`` (which ``pip install`` builds through hatch-jupyter-builder).
"""

from __future__ import annotations

from .board import Board
from .chat import Chat
from .notes import Notes

__all__ = ["Board", "Chat", "Notes"]
