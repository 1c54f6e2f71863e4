"""The kernel side of ``Notes``: its text is the room's ``Y.Text``, read and written through pycrdt.

A second client (a plain ``partywidget.doc``, as another kernel or the page's
provider would be) checks what the widget writes and feeds it remote edits.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pycrdt
import pytest

import partywidget
from partywidget import Notes
from tests.conftest import ServerProcess


def wait_for_text(text: pycrdt.Text, expected: str, timeout: float = 10.0) -> None:
    """Wait (bounded) until ``text`` reads ``expected``."""
    deadline = time.monotonic() + timeout
    while str(text) != expected and time.monotonic() < deadline:
        time.sleep(0.05)
    assert str(text) == expected


@pytest.fixture
def notes(shared_standalone: ServerProcess, room: str,
          monkeypatch: pytest.MonkeyPatch) -> Iterator[Notes]:
    monkeypatch.setenv("PARTYWIDGET_URL", shared_standalone.http_url)
    monkeypatch.setenv("PARTYWIDGET_TOKEN", shared_standalone.token or "")
    widget = Notes(room, field="lesson")
    try:
        yield widget
    finally:
        widget.close()


def test_text_append_and_on_change_follow_the_rooms_document(notes: Notes) -> None:
    other = partywidget.doc(notes.room)
    try:
        remote = other.get("lesson", type=pycrdt.Text)
        seen: list[str] = []
        arrived = threading.Event()

        @notes.on_change
        def changed(text: str) -> None:
            seen.append(text)
            if "remote" in text:
                arrived.set()

        notes.text = "# Lesson\n"
        notes.append("- kernel\n")
        assert notes.text == "# Lesson\n- kernel\n"
        assert seen[-1] == "# Lesson\n- kernel\n"  # our own edits call back at once

        # Another client's edit reaches the widget's text and its callback.
        wait_for_text(remote, "# Lesson\n- kernel\n")
        remote += "- remote\n"
        assert arrived.wait(10)
        assert notes.text == "# Lesson\n- kernel\n- remote\n"

        # Setting the text replaces it for everyone, in one transaction.
        notes.text = "fresh"
        wait_for_text(remote, "fresh")
    finally:
        other.close()
