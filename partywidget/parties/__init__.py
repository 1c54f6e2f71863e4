"""Built-in parties and how parties are found.

``main`` is the chat (:class:`ChatParty`), ``board`` the whiteboard
(:class:`BoardParty`), ``yjs`` a shared Yjs document (:class:`YjsParty`), ``poll`` a
classroom poll (:class:`PollParty`), ``hands`` raised hands and questions (:class:`HandsParty`),
``quiz`` a quiz (:class:`QuizParty`), ``snippets`` code pushed to everyone
(:class:`SnippetsParty`). More come from, in increasing precedence: the
``partywidget.parties`` entry-point group, then configuration
(``c.PartyWidget.parties`` or ``partywidget serve --party NAME=module:Class``).
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from importlib.metadata import entry_points

from ..errors import ConfigurationError
from ..rooms import Party, check_name
from .board import BoardParty
from .chat import ChatParty
from .hands import HandsParty
from .lockable import LockableParty
from .logged import LogParty
from .poll import PollParty
from .quiz import QuizParty
from .snippets import SnippetsParty
from .yjs import YjsParty

__all__ = ["BUILTIN_PARTIES", "BoardParty", "ChatParty", "HandsParty", "LockableParty",
           "LogParty", "PollParty", "QuizParty", "SnippetsParty", "YjsParty", "load_party",
           "resolve_parties"]

BUILTIN_PARTIES: dict[str, type[Party]] = {"main": ChatParty, "board": BoardParty,
                                           "yjs": YjsParty, "poll": PollParty,
                                           "hands": HandsParty, "quiz": QuizParty,
                                           "snippets": SnippetsParty}

ENTRY_POINT_GROUP = "partywidget.parties"


def load_party(spec: str | type[Party]) -> type[Party]:
    """Import ``"package.module:ClassName"`` and check it is a :class:`Party` subclass."""
    if isinstance(spec, type):
        cls = spec
    else:
        module_name, _, attr = str(spec).partition(":")
        if not module_name or not attr:
            raise ConfigurationError(f"expected a party as 'package.module:ClassName', got {spec!r}")
        try:
            obj = importlib.import_module(module_name)
            for part in attr.split("."):
                obj = getattr(obj, part)
        except Exception as exc:  # any import-time error of a user's module, named here
            raise ConfigurationError(f"cannot load party {spec!r}: {exc}") from exc
        cls = obj  # type: ignore[assignment]
    if not (isinstance(cls, type) and issubclass(cls, Party)):
        raise ConfigurationError(f"expected {spec!r} to be a partywidget.Party subclass")
    return cls


def resolve_parties(configured: Mapping[str, str | type[Party]] | None = None, *,
                    entry_points_enabled: bool = True) -> dict[str, type[Party]]:
    """Built-ins, then entry points, then ``configured`` (later ones win)."""
    parties = dict(BUILTIN_PARTIES)
    if entry_points_enabled:
        for ep in entry_points(group=ENTRY_POINT_GROUP):
            parties[check_name("party", ep.name)] = load_party(ep.value)
    for name, spec in (configured or {}).items():
        parties[check_name("party", name)] = load_party(spec)
    return parties
