"""Per-user undo and redo of board changes, bounded, in memory.

Every change to the board is one :class:`Change`: the stored text ``before``
(gone from the board, last at offset ``was``) was replaced by the entry at
offset ``after``. Drawing is ``(None, new)``, erasing ``(text, None)``, moving
``(old text, new)``. Undoing a change applies it backwards, which is again a
change (redo applies that one backwards). An entry brought back gets a new
offset (offsets never repeat), so :meth:`History.renumber` points the
remembered changes at it. The stacks live in the room's memory only: after a
restart, ``undo`` falls back to erasing the user's newest entry
(docs/protocol.md, "Undo and redo").
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field, replace

__all__ = ["Change", "History"]


@dataclass(frozen=True, slots=True)
class Change:
    """``before`` (stored text, or None; last at ``was``) was replaced by the entry at ``after``."""

    before: str | None
    after: int | None
    was: int | None = None

    @property
    def cost(self) -> int:
        """Bytes this change holds on to (the budget of :class:`History`)."""
        return len(self.before or "") + 64


@dataclass(slots=True)
class _Stacks:
    undo: list[Change] = field(default_factory=list)
    redo: list[Change] = field(default_factory=list)


class History:
    """Undo and redo stacks by username, at most ``depth`` changes each, ``budget`` bytes in all.

    Limits (docs/security.md, "Board items"): a flood of big strokes cannot
    grow the room's memory past ``budget``; the oldest changes of the least
    recently active users go first.
    """

    def __init__(self, depth: int = 50, budget: int = 8 * 1024 * 1024) -> None:
        self.depth = depth
        self.budget = budget
        self.size = 0
        self._users: OrderedDict[str, _Stacks] = OrderedDict()

    def done(self, user: str, change: Change) -> None:
        """A new change by ``user``: it can be undone; what they undid can no longer be redone."""
        stacks = self._stacks(user)
        self._drop(stacks.redo, len(stacks.redo))
        self._push(stacks.undo, change)

    def to_undo(self, user: str) -> Change | None:
        """The newest change ``user`` can undo, taken off their stack."""
        return self._pop(user, "undo")

    def to_redo(self, user: str) -> Change | None:
        """The newest change ``user`` undid, taken off their stack."""
        return self._pop(user, "redo")

    def undone(self, user: str, change: Change) -> None:
        """``change`` (an undo, applied) can be redone."""
        self._push(self._stacks(user).redo, change)

    def redone(self, user: str, change: Change) -> None:
        """``change`` (a redo, applied) can be undone again; the rest stays redoable."""
        self._push(self._stacks(user).undo, change)

    def renumber(self, old: int, new: int) -> None:
        """The entry that was at ``old`` is back at ``new``: changes that made it follow it."""
        for stacks in self._users.values():
            for stack in (stacks.undo, stacks.redo):
                for i, change in enumerate(stack):
                    if change.after == old:
                        stack[i] = replace(change, after=new)

    def clear(self) -> None:
        """Forget everything (the board was cleared: nothing of before can come back)."""
        self._users.clear()
        self.size = 0

    def _stacks(self, user: str) -> _Stacks:
        stacks = self._users.pop(user, None) or _Stacks()
        self._users[user] = stacks  # most recently active last
        return stacks

    def _pop(self, user: str, which: str) -> Change | None:
        stacks = self._users.get(user)
        stack = getattr(stacks, which) if stacks else None
        if not stack:
            return None
        change = stack.pop()
        self.size -= change.cost
        return change

    def _push(self, stack: list[Change], change: Change) -> None:
        stack.append(change)
        self.size += change.cost
        if len(stack) > self.depth:
            self._drop(stack, 1)
        while self.size > self.budget and self._users:
            oldest = next(iter(self._users.values()))
            victim = oldest.undo or oldest.redo
            if victim:
                self._drop(victim, 1)
            else:
                self._users.popitem(last=False)

    def _drop(self, stack: list[Change], count: int) -> None:
        """Forget the ``count`` oldest changes of ``stack``."""
        self.size -= sum(change.cost for change in stack[:count])
        del stack[:count]
