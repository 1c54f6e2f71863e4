"""A fake RoomClient for unit tests of the widget classes (no server, no socket)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from partywidget.widgets.room_widget import RoomWidget

USER = {"username": "ada", "name": "ada", "display_name": "Ada Lovelace", "initials": "AL",
        "color": "#aa3355", "kernel": True}


class FakeClient:
    """Records what the widget sends; ``feed`` plays server frames to its callbacks."""

    def __init__(self) -> None:
        self.id = "k-1"
        self.user = dict(USER)
        self.epoch = "e1"
        self.users = [{"id": "k-1", "user": dict(USER)}]
        self.sent: list[Any] = []
        self.raw: list[Any] = []
        self.locked = False
        self.callbacks: list[Callable[[Any], Any]] = []
        self.status_callbacks: list[Callable[[str], Any]] = []
        self.messages: list[dict[str, Any]] = []
        self.closed = False
        #: Why the membership ended, as RoomClient.error.
        self.error: BaseException | None = None

    def on_event(self, fn: Callable[[Any], Any]) -> Callable[[Any], Any]:
        self.callbacks.append(fn)
        return fn

    def on_status(self, fn: Callable[[str], Any]) -> Callable[[str], Any]:
        self.status_callbacks.append(fn)
        return fn

    def off(self, fn: Callable[..., Any]) -> None:
        for callbacks in (self.callbacks, self.status_callbacks):
            while fn in callbacks:
                callbacks.remove(fn)

    def set_status(self, status: str) -> None:
        for fn in list(self.status_callbacks):
            fn(status)

    def feed(self, frame: dict[str, Any]) -> None:
        if frame.get("type") == "message":
            self.messages.append(frame)
        for fn in list(self.callbacks):
            fn(frame)

    def history(self) -> list[dict[str, Any]]:
        return list(self.messages)

    def send(self, content: Any, *, cid: str | None = None, reply_to: int | None = None) -> None:
        self.sent.append((content, cid) if reply_to is None else (content, cid, reply_to))

    def send_raw(self, message: Any) -> None:
        self.raw.append(json.loads(message) if isinstance(message, str) else message)

    def close(self) -> None:
        self.closed = True


@pytest.fixture
def fake_client(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeClient]:
    """Every widget created in the test joins through this one fake client."""
    client = FakeClient()

    def join(widget: RoomWidget) -> FakeClient:
        # As RoomWidget._join passes them to connect(on_event=, on_status=).
        client.on_event(widget._on_server_frame)
        client.on_status(widget._on_status)
        return client

    monkeypatch.setattr(RoomWidget, "_join", join)
    yield client


class FrontEnd:
    """What a widget sent to its views (custom messages), recorded at its comm."""

    def __init__(self, widget: RoomWidget, monkeypatch: pytest.MonkeyPatch) -> None:
        self.messages: list[Any] = []
        monkeypatch.setattr(widget.comm, "send", self._record)

    def _record(self, data: Any = None, buffers: Any = None, **_: Any) -> None:
        if data.get("method") == "custom":
            self.messages.append(data["content"])

    def frames(self) -> list[dict[str, Any]]:
        """The relayed server frames, decoded."""
        return [json.loads(m["data"]) for m in self.messages if m.get("kind") == "frame"]


@pytest.fixture
def front_end(monkeypatch: pytest.MonkeyPatch) -> Callable[[RoomWidget], FrontEnd]:
    return lambda widget: FrontEnd(widget, monkeypatch)
