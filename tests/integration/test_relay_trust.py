"""The kernel relay trusts the page no more than it must (issue 17, item 9).

A widget in relay mode carries the page's frames with the kernel's identity.
Under Voila the page is a visitor, not the kernel's user: it can neither move
the kernel to another host or room by writing synced traits, nor moderate
with the kernel's rights. Here a real widget (this process plays the kernel)
relays for a page it cannot trust, into a real ``partywidget serve`` room.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from partywidget.widgets import Chat

ELSEWHERE = "http://127.0.0.1:9/"


class Page:
    """What the widget sends to its page (custom messages and state echoes)."""

    def __init__(self, widget: Chat, monkeypatch: pytest.MonkeyPatch) -> None:
        self.sent: list[dict[str, Any]] = []
        monkeypatch.setattr(widget.comm, "send",
                            lambda data=None, buffers=None, **_: self.sent.append(data))
        self.widget = widget

    def write_traits(self, state: dict[str, Any]) -> None:
        self.widget._handle_msg({"content": {"data": {"method": "update", "state": state}}})

    def send_frame(self, frame: dict[str, Any]) -> None:
        self.widget._handle_custom_msg({"kind": "frame", "data": json.dumps(frame)}, [])

    def errors(self) -> list[dict[str, Any]]:
        frames = [json.loads(m["content"]["data"]) for m in self.sent
                  if m.get("method") == "custom" and m["content"].get("kind") == "frame"]
        return [f for f in frames if f.get("type") == "error"]


@pytest.fixture
def dashboard(shared_standalone, room, monkeypatch) -> Iterator[tuple[Chat, Page]]:
    """A relayed Chat in a kernel that Voila started (it says so in SERVER_SOFTWARE)."""
    monkeypatch.setenv("PARTYWIDGET_URL", shared_standalone.http_url)
    monkeypatch.setenv("SERVER_SOFTWARE", "voila/0.5.8")
    chat = Chat(room, endpoint="relay")
    try:
        yield chat, Page(chat, monkeypatch)
    finally:
        chat.close()


async def test_the_page_cannot_move_the_kernel_to_another_host_or_room(dashboard, room):
    chat, page = dashboard
    page.write_traits({"_endpoint": ELSEWHERE, "room": "elsewhere", "party": "board"})
    assert (chat._endpoint, chat.room, chat.party) == ("relay", room, "main")
    # The page is told the kernel's values back.
    echoed = [m["state"] for m in page.sent if m.get("method") == "update"]
    assert {"_endpoint": "relay", "party": "main", "room": room}.items() <= echoed[-1].items()


async def test_a_visitor_cannot_moderate_with_the_kernels_rights(dashboard, shared_standalone,
                                                                 room, join):
    chat, page = dashboard
    watcher = await join(shared_standalone, room)
    await watcher.joined()
    page.send_frame({"type": "lock", "locked": True})
    page.send_frame({"type": "clear"})
    page.send_frame({"content": "a visitor's message"})  # chatting is what the relay is for
    seen = []
    while not seen or seen[-1]["type"] != "message":
        seen.append(await watcher.recv())
    # Relayed in order: had the kernel forwarded them, locked and cleared came first.
    assert [f["type"] for f in seen if f["type"] in ("locked", "cleared")] == []
    assert seen[-1]["content"] == "a visitor's message"
    assert [e["code"] for e in page.errors()] == ["forbidden", "forbidden"]
