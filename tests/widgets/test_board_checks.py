"""The kernel's Board API fails or warns at the call (issue 18, item 5): CSS colour
names become hex, unknown ones raise ValueError, clamped values warn."""

from __future__ import annotations

import warnings
from typing import Any

import pytest

from partywidget import Board
from partywidget.widgets.board_checks import BoardValueClamped


def test_css_colour_names_are_sent_as_hex(fake_client: Any) -> None:
    board = Board("class-101")
    board.draw([(10, 20), (30, 40)], color="red")
    board.shape("rect", 10, 10, 50, 50, color="Navy", fill="lightyellow")
    board.text("hi", 10, 10, color="teal")
    stroke, rect, text = fake_client.raw
    assert stroke["color"] == "#ff0000"
    assert (rect["color"], rect["fill"]) == ("#000080", "#ffffe0")
    assert text["color"] == "#008080"


def test_an_unknown_colour_name_raises_at_the_call(fake_client: Any) -> None:
    board = Board("class-101")
    with pytest.raises(ValueError, match="CSS colour name such as 'red', got 'reddish'"):
        board.draw([(10, 20)], color="reddish")
    with pytest.raises(ValueError, match="fill"):
        board.shape("rect", 10, 10, 50, 50, fill="nope")
    assert fake_client.raw == []


def test_clamped_points_and_widths_warn_and_are_sent_clamped(fake_client: Any) -> None:
    board = Board("class-101")
    with pytest.warns(BoardValueClamped) as caught:
        board.draw([(-10, 20), (30, 40), (2000, 900)], width=100)
    messages = [str(w.message) for w in caught]
    assert any("width=100" in m and "64" in m for m in messages)
    assert any(m.startswith("2 points outside") for m in messages)
    assert caught[0].filename == __file__  # pointed at the caller's line
    assert fake_client.raw[0]["points"] == [[0, 20], [30, 40], [1000, 625]]
    with pytest.warns(BoardValueClamped, match="size=500"):
        board.text("big", 10, 10, size=500)


def test_values_in_range_do_not_warn(fake_client: Any) -> None:
    board = Board("class-101")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        board.draw([(10.04, 20), (30, 40)], width=3)
        board.shape("arrow", 100, 100, -50, 20, color="#123")


def test_a_stroke_from_the_kernel_may_carry_pressure(fake_client: Any) -> None:
    board = Board("class-101")
    board.draw([(10, 20), (30, 40)], pressure=[0.25, 1])
    assert fake_client.raw[0]["pressure"] == [0.2, 1]  # rounded to 0.1, as the room keeps it
    with pytest.warns(BoardValueClamped, match="pressure outside 0..1"):
        board.draw([(10, 20), (30, 40)], pressure=[-1, 3])
    with pytest.raises(ValueError, match="one number from 0 to 1 per point"):
        board.draw([(10, 20), (30, 40)], pressure=[0.5])
