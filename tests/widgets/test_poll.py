"""Poll: the kernel API (ask, vote, close, reveal, reset, results) over a fake client."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import pytest

from partywidget import Poll, ProtocolError
from tests.conftest import REPO

VIEW = {"question": "2+2?", "options": ["3", "4", "5"], "multiple": True, "anonymous": False,
        "closed": False, "revealed": True, "total": 2, "counts": [0, 2, 1],
        "voters": [[], ["Ada", "Bob"], ["Bob"]], "mine": [1]}


def test_asking_sends_a_checked_create_and_teacher_verbs_send_their_frames(
        fake_client: Any) -> None:
    poll = Poll("class-101", "2+2?", ["3", "4"], multiple=True, hidden=True)
    poll.close()
    poll.close(False)
    poll.reveal()
    poll.reset()
    assert fake_client.raw == [
        {"type": "create", "question": "2+2?", "options": ["3", "4"], "multiple": True,
         "anonymous": False, "hidden": True},
        {"type": "close", "closed": True}, {"type": "close", "closed": False},
        {"type": "reveal", "revealed": True}, {"type": "reset"}]
    with pytest.raises(ProtocolError, match="distinct"):
        Poll("class-101", "again?", ["yes", "yes"])


def test_results_label_the_counts_voters_and_ballot(fake_client: Any) -> None:
    poll = Poll("class-101")
    assert poll.results is None
    fake_client.feed({"type": "poll", "poll": VIEW})
    results = poll.results
    assert results["counts"] == {"3": 0, "4": 2, "5": 1} and results["mine"] == ["4"]
    assert results["voters"] == {"3": [], "4": ["Ada", "Bob"], "5": ["Bob"]}
    fake_client.feed({"type": "poll", "poll": {**VIEW, "counts": None, "voters": None}})
    assert poll.results["counts"] is None and poll.results["voters"] is None


def test_vote_takes_labels_or_indices_and_refuses_unknown_options(fake_client: Any) -> None:
    poll = Poll("class-101")
    with pytest.raises(ProtocolError, match="no poll"):
        poll.vote("4")
    fake_client.feed({"type": "poll", "poll": VIEW})
    poll.vote("5", 0)
    poll.vote()
    assert fake_client.raw == [{"type": "vote", "choices": [0, 2]}, {"type": "vote", "choices": []}]
    with pytest.raises(ProtocolError, match="no option '42'"):
        poll.vote("42")


def test_the_poll_shows_its_widget_and_relays_a_rebuilt_poll_frame(
        fake_client: Any, front_end: Any) -> None:
    poll = Poll("class-101", endpoint="relay")
    fake_client.feed({"type": "poll", "poll": VIEW})
    data, _ = poll._repr_mimebundle_()
    assert data["application/vnd.jupyter.widget-view+json"]["model_id"] == poll.widget.model_id
    seen = front_end(poll.widget)
    poll.widget._handle_custom_msg({"kind": "hello"}, [])
    welcome, frame = seen.frames()
    assert welcome["type"] == "welcome" and welcome["party"] == "poll"
    assert frame == {"type": "poll", "poll": VIEW}


def test_a_kernel_using_poll_loads_no_room_host_code() -> None:
    # (IPython itself loads sqlite3 for its history: only our own server packages count.)
    code = ("import json, sys; from partywidget import Hands, Poll; "
            "print(json.dumps(sorted(m for m in sys.modules if m.startswith(("
            "'partywidget.rooms', 'partywidget.storage', 'partywidget.server', "
            "'partywidget.parties')))))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True, timeout=60, cwd=REPO)
    assert json.loads(result.stdout) == []
