"""The hands party's envelopes: round trips, refusals with their codes, the stored queue."""

from __future__ import annotations

import json
from typing import Any

import pytest

from partywidget.errors import ProtocolError
from partywidget.protocol import hands

COMMANDS = [hands.Raise(), hands.Lower(), hands.Lower("alice"), hands.Ask("why?"),
            hands.Upvote(3), hands.Upvote(3, False), hands.Answer(4), hands.Dismiss(5)]


@pytest.mark.parametrize("command", COMMANDS, ids=repr)
def test_a_hands_command_survives_the_wire(command: hands.HandsCommand) -> None:
    assert hands.parse_command(command.serialize()) == command


@pytest.mark.parametrize(("frame", "code"), [
    ({"type": "ask", "text": ""}, "bad_question"),
    ({"type": "ask", "text": "x" * 501}, "bad_question"),
    ({"type": "ask", "text": ["x"]}, "bad_question"),
    ({"type": "upvote", "id": True}, "bad_message"),
    ({"type": "answer"}, "bad_message"),
    ({"type": "lower", "username": {"moderator": True}}, "bad_message"),
    ({"type": "wave"}, "bad_message"),
])
def test_bad_hands_frames_are_refused_with_their_code(frame: Any, code: str) -> None:
    with pytest.raises(ProtocolError) as refused:
        hands.parse_command(json.dumps(frame))
    assert refused.value.code == code


def test_a_stored_queue_reads_back_the_same() -> None:
    queue = hands.Queue()
    queue.raise_hand({"username": "a", "name": "A"}, 1)
    asked = queue.ask({"username": "b"}, hands.Ask("q"), 2)
    queue.upvote({"username": "a"}, hands.Upvote(asked))
    stored = json.loads(json.dumps(queue.to_json()))
    again = hands.Queue.from_json(stored)
    assert again == queue and again.to_json() == queue.to_json()
    assert hands.Queue.from_json(None) == hands.Queue()
