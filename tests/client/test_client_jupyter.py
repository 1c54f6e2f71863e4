"""The client against a real Jupyter server: its token, its refusals."""

from __future__ import annotations

import getpass
import secrets
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import partywidget
from partywidget.errors import AuthError, InvalidName, UnknownParty
from tests.conftest import ServerProcess


def test_refusals_are_clear_and_never_retried(jupyter_server: Any) -> None:
    url = jupyter_server.http_url
    started = time.monotonic()
    with pytest.raises(AuthError, match=r"refused the credentials \(HTTP 403\) from url= "
                                        r"argument: pass the right token="):
        partywidget.connect("x", url=url, token="wrong-token", timeout=30)
    with pytest.raises(AuthError):
        partywidget.connect("x", url=url, timeout=30)  # no token at all
    with pytest.raises(UnknownParty, match="no party 'nope' at .*HTTP 404"):
        partywidget.connect("x", "nope", url=url, token=jupyter_server.token, timeout=30)
    assert time.monotonic() - started < 10  # no backoff loop behind any of them
    with pytest.raises(InvalidName, match="expected a room name"):
        partywidget.connect("../etc", url=url, token=jupyter_server.token)


def test_the_token_holder_is_the_servers_owner_marked_as_a_kernel(jupyter_server: Any) -> None:
    with partywidget.connect("owner", url=jupyter_server.http_url,
                             token=jupyter_server.token) as room:
        assert room.user is not None
        assert room.user["username"] == getpass.getuser() and room.user["kernel"] is True
        assert room.users == [{"id": room.id, "user": room.user}]


@pytest.fixture
def strict_server(tmp_path: Path) -> Iterator[ServerProcess]:
    """A Jupyter server whose rate limit is far under the client's pace (40/s, burst 80)."""
    workdir = tmp_path / "strict"
    workdir.mkdir()
    server = ServerProcess("jupyter", workdir, storage="memory:", token=secrets.token_hex(16),
                           config={"PartyWidget": {"messages_per_second": 10,
                                                   "message_burst": 5}})
    server.start()
    try:
        yield server
    finally:
        server.stop()


def test_rate_limited_messages_go_out_again_and_arrive_once(strict_server: ServerProcess,
                                                            wait_until: Any) -> None:
    errors: list[str] = []
    with partywidget.connect("strict", url=strict_server.http_url, token=strict_server.token,
                             on_event=lambda frame: errors.append(frame.get("code"))
                             if frame.get("type") == "error" else None) as room:
        for n in range(40):
            room.send(n)
        wait_until(lambda: len(room.history()) >= 40 and not len(room._conn.outbox),
                   timeout=30, what="all 40 messages")
        assert set(errors) == {"rate_limited"}  # the host did refuse some, for now
        ids = [m["id"] for m in room.history()]
        assert sorted(m["content"] for m in room.history()) == list(range(40))
        assert ids == list(range(ids[0], ids[0] + 40))
        assert room._conn.pacer.rate < 40  # and the client slowed down
