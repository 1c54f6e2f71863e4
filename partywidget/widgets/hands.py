"""``Hands``: raised hands and a question queue (the ``hands`` party) in a notebook cell."""

from __future__ import annotations

from typing import Any

from ..protocol import hands
from .activity import Activity, ActivityWidget
from .room_widget import STATIC

__all__ = ["Hands", "HandsWidget"]

#: How ``questions`` can be ordered: by time asked, or by votes (then time).
ORDERS = ("time", "votes")


class HandsWidget(ActivityWidget):
    """The anywidget of raised hands and questions (``js/hands.ts``)."""

    _esm = STATIC / "hands.js"
    _css = STATIC / "hands.css"
    kind = hands.JOIN_TYPE


class Hands(Activity):
    """Raise a hand, ask and upvote questions; teachers answer, dismiss and lower hands.

    >>> hands = Hands("class-101")            # doctest: +SKIP
    >>> hands.raise_hand()                    # doctest: +SKIP
    >>> hands.ask("Why is range() exclusive?")  # doctest: +SKIP
    >>> hands.questions(order="votes")        # doctest: +SKIP

    Names of raised hands and of authors reach teachers (moderators) only;
    a student sees how many hands are up, their own place, and the questions.
    """

    widget_class = HandsWidget

    def __init__(self, room: str, *, party: str = "hands", endpoint: str | None = None) -> None:
        super().__init__(room, party=party, endpoint=endpoint)

    @property
    def state(self) -> dict[str, Any]:
        """``{"raised", "position", "hands", "questions"}`` as this user may see them."""
        return self.view or {"raised": 0, "position": None, "hands": None, "questions": []}

    @property
    def position(self) -> int | None:
        """This user's place among the raised hands (1 = first), ``None`` if not raised."""
        return self.state["position"]

    def questions(self, order: str = "time") -> list[dict[str, Any]]:
        """Open questions, by ``"time"`` asked or by ``"votes"`` (most first, then time)."""
        if order not in ORDERS:
            raise ValueError(f"expected order in {ORDERS}, got {order!r}")
        questions = list(self.state["questions"])
        if order == "votes":
            questions.sort(key=lambda q: (-q["votes"], q["at"], q["id"]))
        return questions

    def raise_hand(self) -> None:
        self.send(hands.Raise())

    def lower_hand(self, username: str | None = None) -> None:
        """Lower this user's hand, or (teachers) ``username``'s."""
        self.send(hands.Lower(username))

    def ask(self, text: str) -> None:
        """Put a question in the queue (checked here by the queue's rules)."""
        self.send(hands.Ask.parse({"text": text}))

    def upvote(self, question_id: int, up: bool = True) -> None:
        """Vote for question ``question_id`` (``up=False`` takes the vote back)."""
        self.send(hands.Upvote(int(question_id), bool(up)))

    def answered(self, question_id: int) -> None:
        """Mark a question answered: it leaves the queue. Teachers only."""
        self.send(hands.Answer(int(question_id)))

    def dismiss(self, question_id: int) -> None:
        """Take a question off the queue: teachers, or its author."""
        self.send(hands.Dismiss(int(question_id)))
