"""The poll's envelopes: round trips, refusals with their codes, and the client fold."""

from __future__ import annotations

import json
from typing import Any

import pytest

from partywidget.errors import ProtocolError
from partywidget.protocol import poll
from partywidget.protocol.activity import LatestView

COMMANDS = [poll.Create("2+2?", ("3", "4")), poll.Create("q", ("a", "b"), True, True, True),
            poll.Vote((0, 2)), poll.Vote(()), poll.Close(True), poll.Close(False),
            poll.Reveal(True), poll.Reveal(False), poll.Reset()]


@pytest.mark.parametrize("command", COMMANDS, ids=repr)
def test_a_poll_command_survives_the_wire(command: poll.PollCommand) -> None:
    assert poll.parse_command(command.serialize()) == command


@pytest.mark.parametrize(("frame", "code"), [
    ({"type": "create", "question": "q", "options": ["a"]}, "bad_poll"),
    ({"type": "create", "question": "q", "options": ["a"] * 21}, "bad_poll"),
    ({"type": "create", "question": "", "options": ["a", "b"]}, "bad_poll"),
    ({"type": "create", "question": "q" * 1001, "options": ["a", "b"]}, "bad_poll"),
    ({"type": "create", "question": "q", "options": ["a", " a "]}, "bad_poll"),
    ({"type": "vote", "choices": 1}, "bad_vote"),
    ({"type": "vote", "choices": [1.5]}, "bad_vote"),
    ({"type": "vote", "choices": [1, 1]}, "bad_vote"),
    ({"type": "vote", "choices": list(range(21))}, "bad_vote"),
    ({"type": "tally"}, "bad_message"),
    ([], "bad_message"),
])
def test_bad_poll_frames_are_refused_with_their_code(frame: Any, code: str) -> None:
    with pytest.raises(ProtocolError) as refused:
        poll.parse_command(json.dumps(frame))
    assert refused.value.code == code


def test_the_fold_keeps_the_newest_poll_and_choices_maps_labels_to_indices() -> None:
    results = LatestView("poll")
    with pytest.raises(ProtocolError, match="no poll"):
        poll.choices(results.view, ["a"])
    view = poll.Ballots.new(poll.Create("q", ("a", "b", "c"))).view({"username": "u"})
    results.apply("poll", view.to_json())
    assert results.view["options"] == ["a", "b", "c"]
    assert poll.choices(results.view, ["c", 0]) == (2, 0)
    with pytest.raises(ProtocolError, match="no option 'd'"):
        poll.choices(results.view, ["d"])
    results.apply("welcome", {"poll": None})  # other frames change nothing
    assert results.view is not None
    results.apply("poll", {"type": "poll", "poll": None})
    assert results.view is None
