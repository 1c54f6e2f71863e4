"""``Poll``: a classroom poll (the ``poll`` party) in a notebook cell."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..protocol import poll
from .activity import ActivityWidget, GatedActivity
from .room_widget import STATIC

__all__ = ["Poll", "PollWidget"]


class PollWidget(ActivityWidget):
    """The anywidget of a poll (``js/poll.ts``)."""

    _esm = STATIC / "poll.js"
    _css = STATIC / "poll.css"
    kind = poll.JOIN_TYPE


class Poll(GatedActivity):
    """A live poll: shown in the notebook when it is a cell's value, driven from the kernel.

    A teacher asks; students join the same room with ``Poll(room)``:

    >>> poll = Poll("class-101", "2+2?", ["3", "4", "5"])   # doctest: +SKIP
    >>> Poll("class-101").vote("4")                          # doctest: +SKIP
    >>> poll.results["counts"]                               # doctest: +SKIP
    {'3': 0, '4': 1, '5': 0}

    ``multiple`` allows several choices, ``anonymous`` keeps names from
    everyone (teachers included), ``hidden`` keeps the counts from students
    until :meth:`reveal`. Asking replaces the room's poll and its ballots;
    only teachers (moderators) may ask, close, reveal and reset: the room host
    refuses the others. ``endpoint`` is as for :class:`~partywidget.Chat`.
    """

    widget_class = PollWidget

    def __init__(self, room: str, question: str | None = None,
                 options: Sequence[str] | None = None, *, multiple: bool = False,
                 anonymous: bool = False, hidden: bool = False, party: str = "poll",
                 endpoint: str | None = None) -> None:
        ask = None
        if question is not None:
            # Checked by the poll's own rules here, so a bad poll raises at the call.
            ask = poll.Create.parse({"question": question, "options": list(options or ()),
                                     "multiple": multiple, "anonymous": anonymous,
                                     "hidden": hidden})
        super().__init__(room, party=party, endpoint=endpoint)
        if ask is not None:
            self.send(ask)

    @property
    def results(self) -> dict[str, Any] | None:
        """The poll as this kernel's user may see it, options by label; ``None`` before one is asked.

        ``counts`` (``{option: n}``) is ``None`` for students until revealed;
        ``voters`` (``{option: [names]}``) only for teachers, never in an
        anonymous poll; ``mine`` is this user's ballot.
        """
        view = self.view
        if view is None:
            return None
        labels = view["options"]

        def by_label(values: list[Any] | None) -> dict[str, Any] | None:
            return dict(zip(labels, values, strict=True)) if values is not None else None

        return {**view, "counts": by_label(view["counts"]), "voters": by_label(view["voters"]),
                "mine": [labels[c] for c in view["mine"]]}

    def vote(self, *options: str | int) -> None:
        """Vote for ``options`` (labels or indices), replacing this user's ballot.

        ``vote()`` with nothing withdraws it.
        """
        self.send(poll.Vote(tuple(sorted(poll.choices(self.view, options)))))
