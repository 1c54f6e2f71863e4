"""Fixtures of the hub suite: one real JupyterHub (tests/hub/realhub.py) and room sockets."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any

import pytest

from tests.hub.realhub import Hub
from tests.integration import clients
from tests.integration.clients import RoomSocket


@pytest.fixture(scope="package")
def hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hub]:
    """One real JupyterHub for the suite: users alice and bob (students, group
    class-101) with running servers, tess (group teachers) and mallory (no group)."""
    hub = Hub(tmp_path_factory.mktemp("hub"))
    try:
        hub.start()
        hub.add_group("teachers")
        hub.add_group("class-101")
        hub.add_user("alice", groups=("class-101",))
        hub.add_user("bob", groups=("class-101",))
        hub.add_user("tess", groups=("teachers",))
        hub.add_user("mallory")
        hub.envs = hub.spawn("alice", "bob")
        yield hub
    finally:
        hub.stop()


@pytest.fixture
async def join() -> AsyncIterator[Callable[..., Awaitable[RoomSocket]]]:
    """``await join(hub.caller(token), room, party, query=...)``: a socket closed after the test."""
    opened: list[RoomSocket] = []

    async def join_room(*args: Any, **kwargs: Any) -> RoomSocket:
        sock = await clients.join(*args, **kwargs)
        opened.append(sock)
        return sock

    yield join_room
    for sock in opened:
        await sock.close()
