"""Names are checked before anything exists; ``_pk`` names a connection, not a user.

Against both hosts: bad party/room names -> 400, an unknown party -> 404 (for
sockets and HTTP alike); a second connection with the same ``_pk`` of the same
user takes over and the old one is closed with 4001 (REPLACED).
"""

from __future__ import annotations

import pytest

from .clients import fetch, refused_url_status, room_ws_url

BAD_PATHS = {
    "dot-dot room": "main/..",
    "encoded dot-dot room": "main/%2e%2e",
    "encoded slash in room": "main/a%2Fb",
    "empty room": "main/",
    "200-character room": "main/" + "a" * 200,
    "encoded dot-dot party": "%2e%2e/room",
    "empty party": "/room",
    "space in room": "main/a%20b",
    "not UTF-8": "main/%ff",
}


def url_for(server, path: str, *, ws: bool) -> str:
    return f"{server.ws_url if ws else server.http_url}/parties/{path}"


async def socket_status(server, url: str) -> int:
    return await refused_url_status(url, additional_headers=server.auth_headers())


@pytest.mark.parametrize("path", BAD_PATHS.values(), ids=BAD_PATHS.keys())
async def test_a_bad_name_is_a_400(room_server, path):
    get = await fetch("GET", url_for(room_server, path, ws=False),
                      headers=room_server.auth_headers())
    post = await fetch("POST", url_for(room_server, path, ws=False), body="x",
                       headers={**room_server.auth_headers(), "Content-Type": "text/plain"})

    assert (get.status, post.status) == (400, 400)
    assert await socket_status(room_server, url_for(room_server, path, ws=True)) == 400


async def test_an_unknown_party_is_a_404(room_server, room):
    path = f"no-such-party/{room}"
    get = await fetch("GET", url_for(room_server, path, ws=False),
                      headers=room_server.auth_headers())

    assert get.status == 404
    assert await socket_status(room_server, url_for(room_server, path, ws=True)) == 404


async def test_a_connection_id_longer_than_128_characters_is_a_400(room_server, room):
    url, _ = room_ws_url(room_server, room, pk="p" * 129)
    assert await socket_status(room_server, url) == 400


async def test_the_same_users_same_id_takes_over_and_the_old_socket_gets_4001(
        room_server, room, join):
    watcher = await join(room_server, room)
    await watcher.joined()
    old = await join(room_server, room, pk="my-tab")
    await old.joined()
    await watcher.expect("userJoined")

    new = await join(room_server, room, pk="my-tab")
    welcome, _ = await new.joined()

    assert await old.close_code() == 4001
    assert new.id == old.id  # the same user's same _pk: the same connection id
    assert [u["id"] for u in welcome["users"]].count(new.id) == 1
    await new.send({"content": "I am the live one"})
    assert (await new.expect("message"))["from"] == new.id
