"""The client against a real Jupyter server: its token, its refusals."""

from __future__ import annotations

import getpass
import time
from typing import Any

import pytest

import partywidget
from partywidget.errors import AuthError, InvalidName, UnknownParty


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
