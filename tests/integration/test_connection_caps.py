"""Caps on connections per room and per user, and a bounded welcome (issue 17, item 7).

One token holder once opened 1,000 sockets to one room: presence grew
quadratically and each welcome listed everyone. A Jupyter server configured
with small caps shows each bound: a user's join past ``max_connections_per_user``
and anyone's past ``max_connections_per_room`` are closed with 1013, and a
``welcome`` lists at most ``max_welcome_users`` users with ``userCount``.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from partywidget.rooms import CloseCode

from .conftest import start_server
from .test_auth_jupyter import browser_login, own_origin

CAPS = {"max_connections_per_room": 3, "max_connections_per_user": 2, "max_welcome_users": 2}


@pytest.fixture(scope="module")
def capped(tmp_path_factory: pytest.TempPathFactory) -> Iterator:
    # The browser login is a second person only under a site identity provider
    # (jupyter_server's own makes every login the server's owner).
    server = start_server("jupyter", tmp_path_factory.mktemp("capped"), jupyter_config={
        "PartyWidget": CAPS,
        "ServerApp": {"identity_provider_class": "tests.identities.PerBrowserUsers"}})
    try:
        yield server
    finally:
        server.stop()


async def test_joins_past_the_user_and_room_caps_are_closed_with_1013(capped, room, join):
    owner = [await join(capped, room) for _ in range(2)]
    for sock in owner:
        await sock.joined()
    one_too_many = await join(capped, room)
    assert await one_too_many.close_code() == CloseCode.TRY_AGAIN_LATER
    # The same _pk replaces its connection: a reconnect is never refused by the cap.
    again = await join(capped, room, pk=owner[0].pk)
    await again.joined()

    login = browser_login(capped)
    as_browser = {"authenticated": False, "headers": {"Cookie": login.cookie},
                  "origin": own_origin(capped)}
    third = await join(capped, room, **as_browser)
    welcome, _ = await third.joined()
    assert welcome["users"][-1]["id"] == third.id
    assert len(welcome["users"]) == 2 and welcome["userCount"] == 3
    room_full = await join(capped, room, **as_browser)
    assert await room_full.close_code() == CloseCode.TRY_AGAIN_LATER
