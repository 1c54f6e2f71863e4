"""The Notes relay: a page's Yjs provider edits the kernel's remote document through the kernel.

With ``PARTYWIDGET_URL`` and a JWT in ``PARTYWIDGET_TOKEN`` (a course site's
kernel), a real ``Notes`` widget (this process plays the kernel) tunnels its
page's sockets to a real ``partywidget serve`` with JWT identities. The page
here is a pycrdt document driven by :class:`~partywidget.client.ysync.DocSync`
(the y-websocket client half, as the page's provider), speaking the widget's
comm messages; a second client joins the room directly, as another kernel.
"""

from __future__ import annotations

import queue
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pycrdt
import pytest

import partywidget
from partywidget import Notes
from partywidget.client.discovery import HostAddress
from partywidget.client.tunnel import ABNORMAL, MAX_BUFFERED_BYTES, Tunnel
from partywidget.client.ysync import DocSync
from partywidget.protocol.close import CloseCode
from partywidget.protocol.defaults import MAX_FRAME_SIZE
from partywidget.protocol.frames import Lock
from partywidget.protocol.yjs import YPS_PREFIX
from partywidget.widgets.notes_relay import MAX_TUNNELS
from tests.conftest import ServerProcess

from .test_jwt_identities import hs256, hs256_host

WAIT = 10.0


@pytest.fixture(scope="module")
def jwt_host(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """``partywidget serve`` that names users by HS256 JWTs (as a course platform mints)."""
    server = hs256_host(tmp_path_factory.mktemp("notes-relay"))
    try:
        yield server
    finally:
        server.stop()


class Page:
    """The widget's page: its comm messages in, ``ws-*`` messages out, one Yjs client per socket."""

    def __init__(self, widget: Notes, monkeypatch: pytest.MonkeyPatch) -> None:
        self.widget = widget
        self.inbox: queue.Queue[tuple[dict[str, Any], list[bytes]]] = queue.Queue()
        monkeypatch.setattr(widget.comm, "send", self._received)

    def _received(self, data: Any = None, metadata: Any = None, buffers: Any = None) -> None:
        if isinstance(data, dict) and data.get("method") == "custom":
            self.inbox.put((data["content"], [bytes(b) for b in buffers or ()]))

    def send(self, content: dict[str, Any], buffers: list[bytes] | None = None) -> None:
        self.widget._handle_custom_msg(content, buffers or [])

    def next(self, sid: int, kind: str | None = None) -> tuple[dict[str, Any], list[bytes]]:
        """The next message for socket ``sid`` (of ``kind``), waiting a bounded time."""
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline:
            try:
                content, buffers = self.inbox.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                break
            if content.get("sid") == sid and kind in (None, content.get("kind")):
                return content, buffers
        raise AssertionError(f"no {kind or 'message'} for socket {sid} within {WAIT} s")

    def closed(self, sid: int) -> dict[str, Any]:
        return self.next(sid, "ws-close")[0]


class PageDoc:
    """A page's Yjs document synced through one tunnelled socket (the provider's part)."""

    def __init__(self, page: Page, sid: int) -> None:
        self.page, self.sid = page, sid
        self.doc = pycrdt.Doc()
        self.text = self.doc.get("notes", type=pycrdt.Text)
        self.texts: list[str] = []
        self.sync = DocSync(self.doc, lambda frame: page.send(
            {"kind": "ws-send", "sid": sid}, [frame]))
        page.send({"kind": "ws-open", "sid": sid})
        page.next(sid, "ws-open")
        self.sync.hello()

    def pump_until(self, done: Any) -> None:
        """Apply frames from the room until ``done()`` (bounded)."""
        deadline = time.monotonic() + WAIT
        while not done() and time.monotonic() < deadline:
            try:
                content, buffers = self.page.inbox.get(timeout=0.1)
            except queue.Empty:
                continue
            if content.get("sid") != self.sid or content.get("kind") != "ws-frame":
                continue
            if buffers:
                self.sync.receive(buffers[0])
            else:
                self.texts.append(content["text"])
        assert done()


def relayed_notes(monkeypatch: pytest.MonkeyPatch, host: ServerProcess, room: str,
                  token: str, **kwargs: Any) -> Notes:
    monkeypatch.setenv("PARTYWIDGET_URL", host.http_url)
    monkeypatch.setenv("PARTYWIDGET_TOKEN", token)
    return Notes(room, **kwargs)


@pytest.fixture
def teacher(jwt_host: ServerProcess, room: str,
            monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Notes, Page]]:
    """Notes in a kernel holding a moderator's JWT, and its (trusted) page."""
    widget = relayed_notes(monkeypatch, jwt_host, room,
                           hs256("mrs-t", name="Ms Turing", moderator=True))
    try:
        yield widget, Page(widget, monkeypatch)
    finally:
        widget.close()


def test_the_page_edits_the_kernels_remote_document_through_the_kernel(
        teacher: tuple[Notes, Page], jwt_host: ServerProcess, room: str) -> None:
    notes, page = teacher
    assert notes._endpoint == "relay"  # PARTYWIDGET_URL: the page joins through the kernel
    other = partywidget.doc(room, url=jwt_host.http_url, token=hs256("bob", name="Bob"))
    try:
        remote = other.get("notes", type=pycrdt.Text)
        browser = PageDoc(page, 1)
        browser.pump_until(lambda: browser.sync.synced)

        # An edit typed in the page reaches another client of the remote host, and the
        # kernel's own copy (notes.text): one document, not the page's own server's.
        browser.text += "typed in the page"
        deadline = time.monotonic() + WAIT
        while str(remote) != "typed in the page" and time.monotonic() < deadline:
            time.sleep(0.05)
        assert str(remote) == "typed in the page"
        assert notes.text == "typed in the page"

        # ...and back: the other client's and the kernel's edits reach the page.
        remote += "\nfrom Bob"
        notes.append("\nfrom the kernel")
        browser.pump_until(lambda: "from Bob" in str(browser.text)
                           and "from the kernel" in str(browser.text))

        # Awareness: the page's cursor state carries the kernel's JWT identity,
        # stamped by the server over whatever the page claims.
        browser.sync.set_awareness({"user": {"name": "forged"}, "cursor": None})
        deadline = time.monotonic() + WAIT
        while not any(s.get("user", {}).get("username") == "mrs-t"
                      and "cursor" in s for s in other.awareness.values()) \
                and time.monotonic() < deadline:
            time.sleep(0.05)
        names = [s["user"]["name"] for s in other.awareness.values() if "cursor" in s]
        assert names == ["Ms Turing"]

        # The room's Access frame reached the page: a moderator, the toggle is shown.
        assert any(t.startswith(YPS_PREFIX) and '"moderator":true' in t for t in browser.texts)
    finally:
        other.close()


def test_a_refused_token_closes_the_pages_socket_with_the_reason(
        jwt_host: ServerProcess, room: str, monkeypatch: pytest.MonkeyPatch) -> None:
    widget = relayed_notes(monkeypatch, jwt_host, room, "not-a-jwt")
    try:
        page = Page(widget, monkeypatch)
        page.send({"kind": "ws-open", "sid": 7})
        closed = page.closed(7)
        # A final code: the view stops retrying and shows the kernel client's words.
        assert closed["code"] == CloseCode.POLICY_VIOLATION
        assert "refused the credentials (HTTP 403)" in closed["reason"]
        assert "PARTYWIDGET_URL" in closed["reason"]  # where the kernel's token came from
    finally:
        widget.close()


def test_what_a_page_may_make_the_kernel_do_is_bounded(
        jwt_host: ServerProcess, room: str, monkeypatch: pytest.MonkeyPatch) -> None:
    # Under Voila the page is a visitor: no moderation with the kernel's JWT.
    monkeypatch.setenv("SERVER_SOFTWARE", "voila/0.5.8")
    widget = relayed_notes(monkeypatch, jwt_host, room,
                           hs256("mrs-t", name="Ms Turing", moderator=True))
    watcher = partywidget.doc(room, url=jwt_host.http_url, token=hs256("bob"))
    try:
        page = Page(widget, monkeypatch)
        browser = PageDoc(page, 1)
        browser.pump_until(lambda: browser.sync.synced and bool(browser.texts))
        # The room says the kernel moderates; the page is told it does not.
        assert '"moderator":false' in browser.texts[0]
        page.send({"kind": "ws-send", "sid": 1, "text": YPS_PREFIX + Lock(True).serialize()})
        browser.text += "after the lock attempt"  # sent after it, on the same socket
        watched = watcher.get("notes", type=pycrdt.Text)
        deadline = time.monotonic() + WAIT
        while str(watched) != "after the lock attempt" and time.monotonic() < deadline:
            time.sleep(0.05)
        assert str(watched) == "after the lock attempt"
        # Had the lock gone out, the room's Access frame saying so would come before
        # the echo of the watcher's next edit (one socket, in order).
        watched += "!"
        browser.pump_until(lambda: str(browser.text).endswith("!"))
        assert not any('"locked":true' in text for text in browser.texts)

        # An oversize frame is never sent: the page's socket closes with 1009.
        page.send({"kind": "ws-send", "sid": 1}, [b"\0" * (MAX_FRAME_SIZE + 1)])
        assert page.closed(1)["code"] == CloseCode.MESSAGE_TOO_BIG

        # At most MAX_TUNNELS sockets at once (pages that went away never say so):
        # the oldest makes room for the newest. Frames for unknown sockets go nowhere.
        for sid in range(10, 11 + MAX_TUNNELS):
            page.send({"kind": "ws-open", "sid": sid})
        assert page.closed(10)["code"] == CloseCode.TRY_AGAIN_LATER
        assert sorted(widget._relay._tunnels) == list(range(11, 11 + MAX_TUNNELS))
        # A socket id opened again replaces its socket; the old one's close is
        # not told to the page (it would close the new one) and keeps the new.
        replaced = widget._relay._tunnels[11]
        told = replaced.on_close
        gone = threading.Event()
        replaced.on_close = lambda code, reason: (told(code, reason), gone.set())
        page.send({"kind": "ws-open", "sid": 11})
        assert gone.wait(WAIT) and widget._relay._tunnels[11] is not replaced
        page.send({"kind": "ws-send", "sid": 11}, [b"\0" * (MAX_FRAME_SIZE + 1)])
        assert page.closed(11)["code"] == CloseCode.MESSAGE_TOO_BIG  # the newer socket's close
        assert 11 not in widget._relay._tunnels
        page.send({"kind": "ws-send", "sid": 12345}, [b"\0"])
        page.send({"kind": "ws-send", "sid": "11"}, [b"\0"])
    finally:
        watcher.close()
        widget.close()


@pytest.fixture
def silent_host() -> Iterator[HostAddress]:
    """A TCP port on 127.0.0.1 that takes connections and never answers a handshake."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    try:
        yield HostAddress(f"http://127.0.0.1:{listener.getsockname()[1]}", "t", "a test")
    finally:
        listener.close()


def test_a_page_cannot_pile_frames_up_in_the_kernel(silent_host: HostAddress) -> None:
    # While the room's socket is not open (here: never), the page's frames wait in
    # the kernel, up to MAX_BUFFERED_BYTES; past that the tunnel ends with 1013.
    closed: queue.Queue[tuple[int, str]] = queue.Queue()
    tunnel = Tunnel(silent_host, "yjs", "r", on_open=lambda: None, on_frame=lambda _raw: None,
                    on_close=lambda code, reason: closed.put((code, reason)))
    tunnel.start()
    frame = b"\0" * MAX_FRAME_SIZE
    for _ in range(MAX_BUFFERED_BYTES // MAX_FRAME_SIZE):
        tunnel.send(frame)
    tunnel.send(b"\0")
    code, reason = closed.get(timeout=WAIT)
    assert code == CloseCode.TRY_AGAIN_LATER and "not keeping up" in reason
    assert tunnel._buffered == 0 and not tunnel._queue  # what waited is let go
    with pytest.raises(queue.Empty):
        closed.get(timeout=0.2)  # told once


def test_an_unreachable_host_is_a_close_the_page_retries(room: str) -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    closed: queue.Queue[tuple[int, str]] = queue.Queue()
    tunnel = Tunnel(HostAddress(f"http://127.0.0.1:{port}", None, "a test"), "yjs", room,
                    on_open=lambda: None, on_frame=lambda _raw: None,
                    on_close=lambda code, reason: closed.put((code, reason)))
    tunnel.start()
    code, reason = closed.get(timeout=WAIT)
    assert code == ABNORMAL and "could not reach the room host" in reason
