"""How parties are found: built-ins, then entry points, then configuration."""

from __future__ import annotations

import itertools
from importlib.metadata import EntryPoint

import pytest

import partywidget.parties as parties
from partywidget.errors import ConfigurationError, InvalidName
from partywidget.parties import (BoardParty, ChatParty, HandsParty, PollParty, QuizParty,
                                 SnippetsParty, YjsParty, load_party, resolve_parties)
from partywidget.rooms import Party

_names = itertools.count()


@pytest.fixture
def module(tmp_path, monkeypatch):
    """``module(source)`` writes an importable module and returns its (unique) name."""
    monkeypatch.syspath_prepend(str(tmp_path))

    def write(source: str) -> str:
        name = f"party_module_{next(_names)}"
        (tmp_path / f"{name}.py").write_text(source)
        return name

    return write


POLL = "from partywidget import Party\n\nclass Poll(Party):\n    pass\n"


def test_the_built_in_parties_are_the_chat_the_board_yjs_and_the_classroom_activities():
    assert resolve_parties(entry_points_enabled=False) == {
        "main": ChatParty, "board": BoardParty, "yjs": YjsParty, "poll": PollParty,
        "hands": HandsParty, "quiz": QuizParty, "snippets": SnippetsParty}


def test_a_party_is_loaded_from_module_colon_class(module):
    name = module(POLL)
    cls = load_party(f"{name}:Poll")
    assert issubclass(cls, Party) and cls.__name__ == "Poll"


def test_a_party_class_is_taken_as_it_is():
    assert load_party(ChatParty) is ChatParty


@pytest.mark.parametrize("spec", ["", "no_colon", ":Cls", "module:"])
def test_a_spec_without_module_and_class_is_refused(spec):
    with pytest.raises(ConfigurationError, match="package.module:ClassName"):
        load_party(spec)


def test_a_missing_module_or_class_is_a_configuration_error(module):
    name = module(POLL)
    with pytest.raises(ConfigurationError, match="cannot load party"):
        load_party("no_such_module_anywhere:Poll")
    with pytest.raises(ConfigurationError, match="cannot load party"):
        load_party(f"{name}:Nope")


def test_a_module_that_fails_to_import_is_a_configuration_error_naming_the_spec(module):
    name = module("raise RuntimeError('broken at import')\n")
    with pytest.raises(ConfigurationError, match=f"{name}:Poll.*broken at import"):
        load_party(f"{name}:Poll")


@pytest.mark.parametrize("attr", ["value", "Party.on_start", "not_a_party"])
def test_something_that_is_not_a_party_subclass_is_refused(module, attr):
    name = module("from partywidget import Party\nvalue = 3\nnot_a_party = dict\n")
    with pytest.raises(ConfigurationError, match="Party subclass"):
        load_party(f"{name}:{attr}")


def test_configuration_adds_parties_and_overrides_built_ins(module):
    name = module(POLL)
    found = resolve_parties({"poll": f"{name}:Poll", "main": BoardParty},
                            entry_points_enabled=False)
    assert found["poll"].__name__ == "Poll" and found["main"] is BoardParty
    assert found["board"] is BoardParty


def test_a_configured_party_name_must_be_a_valid_name():
    with pytest.raises(InvalidName):
        resolve_parties({"bad/name": ChatParty}, entry_points_enabled=False)


def test_entry_points_add_parties_and_configuration_wins_over_them(module, monkeypatch):
    name = module(POLL + "\nclass Quiz(Party):\n    pass\n")
    installed = [EntryPoint("poll", f"{name}:Poll", parties.ENTRY_POINT_GROUP),
                 EntryPoint("quiz", f"{name}:Quiz", parties.ENTRY_POINT_GROUP)]
    monkeypatch.setattr(parties, "entry_points",
                        lambda group: installed if group == parties.ENTRY_POINT_GROUP else [])
    found = resolve_parties({"quiz": ChatParty})
    assert found["poll"].__name__ == "Poll" and found["quiz"] is ChatParty
    assert resolve_parties(entry_points_enabled=False).keys() == {
        "main", "board", "yjs", "poll", "hands", "quiz", "snippets"}
