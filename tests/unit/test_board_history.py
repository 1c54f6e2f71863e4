"""The board's per-user undo/redo stacks: order, redo dropped by a new change, bounds."""

from __future__ import annotations

from partywidget.parties.board_history import Change, History


def test_undo_returns_the_newest_change_and_a_new_change_drops_the_redo() -> None:
    history = History()
    history.done("ada", Change(None, 1))
    history.done("ada", Change(None, 2))
    assert history.to_undo("ada") == Change(None, 2)
    history.undone("ada", Change("x", None, 2))
    assert history.to_undo("bob") is None
    history.done("ada", Change(None, 3))
    assert history.to_redo("ada") is None


def test_renumber_points_remembered_changes_at_an_entry_brought_back() -> None:
    history = History()
    history.done("ada", Change(None, 1))
    history.renumber(1, 7)
    assert history.to_undo("ada") == Change(None, 7)


def test_depth_and_byte_budget_bound_the_memory_oldest_users_first() -> None:
    history = History(depth=3, budget=1000)
    for i in range(5):
        history.done("ada", Change(None, i))
    assert [history.to_undo("ada") for _ in range(4)][-1] is None  # only 3 kept
    history.done("old", Change("o" * 400, None))
    history.done("new", Change("n" * 400, None))
    history.done("new", Change("m" * 400, None))
    assert history.size <= 1000
    assert history.to_undo("old") is None and history.to_undo("new") is not None
