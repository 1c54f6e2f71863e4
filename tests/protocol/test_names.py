"""Party and room names: URL-safe and bounded, refused before anything exists."""

from __future__ import annotations

import pytest

from partywidget.errors import InvalidName, PartyWidgetError
from partywidget.protocol.board import check_page_name
from partywidget.protocol.names import MAX_NAME_LENGTH, check_name, client_label, shown_text


@pytest.mark.parametrize("name", ["main", "class-101", "a", "A_b.c~d-e", "_x", "~home", "-",
                                  "0", "x" * MAX_NAME_LENGTH, "a..b", "trailing."])
def test_valid_names_are_returned_unchanged(name):
    assert check_name("room", name) == name


@pytest.mark.parametrize("name", [
    "", ".", "..", ".hidden", "a/b", "/abs", "%2e", "%2e%2e%2f", "a%20b", "a\x00b", "\x00",
    "x" * (MAX_NAME_LENGTH + 1), "café", "\u202eabc", "a b", "a\n", "C:\\", "a?b", "a#b",
])
def test_unsafe_names_are_refused(name):
    with pytest.raises(InvalidName) as info:
        check_name("room", name)
    assert isinstance(info.value, PartyWidgetError) and isinstance(info.value, ValueError)
    assert "room name" in str(info.value)


@pytest.mark.parametrize("name", [None, 7, b"main"])
def test_non_strings_are_refused(name):
    with pytest.raises(InvalidName):
        check_name("party", name)


def test_the_refusal_message_quotes_a_bounded_part_of_the_name():
    with pytest.raises(InvalidName) as info:
        check_name("room", "/" * 10_000)
    assert len(str(info.value)) < 300
    assert "..." in str(info.value)


SPOOFS = [  # what a shown name must not carry: it could make one name read as another
    ("\u202eevil\u202c", "evil"),  # RIGHT-TO-LEFT OVERRIDE ... POP DIRECTIONAL FORMATTING
    ("te\u200bacher", "teacher"),  # ZERO WIDTH SPACE
    ("Ada\u2066 \u2069Lovelace", "Ada Lovelace"),  # isolates
    ("  Ada    L  ", "Ada L"),
]


@pytest.mark.parametrize("text, shown", SPOOFS)
def test_every_shown_name_is_cleaned_alike(text, shown):
    assert shown_text(text, 40) == shown
    assert client_label(text) == shown
    assert check_page_name(text) == shown


def test_a_shown_name_is_bounded_and_a_non_string_shows_nothing():
    assert shown_text("x" * 100, 40) == "x" * 40
    assert shown_text(None, 40) == "" and client_label("\u200b") is None
