"""Inside Jupyter, rooms are guarded by the server's own mechanisms.

Token (query or ``Authorization`` header) or the login cookie; the cookie only
from the server's own origin (WebSocketMixin's rules); POSTs with a cookie need
the XSRF token. Without credentials: 403 and nothing stored.
"""

from __future__ import annotations

import getpass

import http.cookiejar
import urllib.request
from dataclasses import dataclass

import pytest

from . import clients
from .clients import fetch, refused_status
from .conftest import start_server


@dataclass
class Login:
    """What a browser holds after opening ``/?token=...``: cookies and the XSRF token."""

    cookie: str
    xsrf: str


def browser_login(server) -> Login:
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    with opener.open(f"http://127.0.0.1:{server.port}/?token={server.token}", timeout=15):
        pass
    cookies = {c.name: c.value for c in jar}
    assert any(name.startswith("username-") for name in cookies), cookies
    return Login("; ".join(f"{k}={v}" for k, v in cookies.items()), cookies["_xsrf"])


@pytest.fixture(scope="module")
def login(shared_servers) -> Login:
    """A browser's login to the shared Jupyter server."""
    return browser_login(shared_servers.get("jupyter"))


@pytest.fixture(scope="module")
def people_jupyter(tmp_path_factory):
    """A Jupyter server that tells browsers apart (a site's own identity provider,
    tests/identities.py), where the browser login is another person than the
    token's holder; jupyter_server's own provider makes them one owner."""
    server = start_server("jupyter", tmp_path_factory.mktemp("people"), jupyter_config={
        "ServerApp": {"identity_provider_class": "tests.identities.PerBrowserUsers"}})
    try:
        yield server
    finally:
        server.stop()


def own_origin(server) -> str:
    return f"http://127.0.0.1:{server.port}"


async def stored_messages(server, room) -> list:
    history = await fetch("GET", server.room_url(room, ws=False), headers=server.auth_headers())
    return history.json()["messages"]


async def test_without_credentials_sockets_and_http_are_refused(shared_jupyter, room):
    server = shared_jupyter
    socket_status = await refused_status(server, room, authenticated=False)
    get = await fetch("GET", server.room_url(room, ws=False))
    post = await fetch("POST", server.room_url(room, ws=False), body="sneaky",
                       headers={"Content-Type": "text/plain"})

    assert (socket_status, get.status, post.status) == (403, 403, 403)
    assert await stored_messages(server, room) == []


async def test_a_wrong_token_is_refused(shared_jupyter, room):
    status = await refused_status(shared_jupyter, room, authenticated=False,
                                  query={"token": "not-the-token"})
    assert status == 403


async def test_the_token_works_in_the_query_as_partysocket_sends_it(shared_jupyter, room, join):
    sock = await join(shared_jupyter, room, authenticated=False,
                      query={"token": shared_jupyter.token})
    welcome, _ = await sock.joined()
    response = await fetch("GET", f"{shared_jupyter.room_url(room, ws=False)}?"
                                  f"token={shared_jupyter.token}")

    assert welcome["type"] == "welcome"
    assert response.status == 200


async def test_the_login_cookie_works_from_the_servers_own_origin(shared_jupyter, room, join,
                                                                  login):
    sock = await join(shared_jupyter, room, authenticated=False,
                      headers={"Cookie": login.cookie}, origin=own_origin(shared_jupyter))
    welcome, _ = await sock.joined()
    await sock.send({"content": "from the browser"})
    message = await sock.expect("message")

    # A personal server's browser is its owner, as the token's holder is (issue 18): not
    # the random "Anonymous ..." jupyter_server makes up per browser.
    assert message["user"] == welcome["user"]
    assert welcome["user"]["username"] == (await token_user(shared_jupyter, room))
    assert welcome["user"]["display_name"] == getpass.getuser()


async def token_user(server, room) -> str:
    sock = await clients.join(server, room)
    welcome, _ = await sock.joined()
    await sock.close()
    return welcome["user"]["username"]


async def test_the_login_cookie_from_a_foreign_origin_is_refused(shared_jupyter, room, login):
    status = await refused_status(shared_jupyter, room, authenticated=False,
                                  headers={"Cookie": login.cookie},
                                  origin="http://evil.example")
    assert status == 403


async def test_a_post_with_the_cookie_needs_the_xsrf_token(shared_jupyter, room, login):
    url = shared_jupyter.room_url(room, ws=False)
    headers = {"Cookie": login.cookie, "Content-Type": "text/plain"}
    forged = await fetch("POST", url, body="forged", headers=headers)
    genuine = await fetch("POST", url, body="genuine",
                          headers={**headers, "X-XSRFToken": login.xsrf})

    assert (forged.status, genuine.status) == (403, 201)
    assert [m["content"] for m in await stored_messages(shared_jupyter, room)] == ["genuine"]


async def test_another_users_connection_id_cannot_be_taken(people_jupyter, room, join):
    login = browser_login(people_jupyter)
    owner = await join(people_jupyter, room)
    await owner.joined()

    # Another identity (the browser login) presenting the owner's _pk, or the id
    # the room announced for it, gets a connection id of its own (namespaced by
    # user): the owner is neither refused nor replaced, now or when it reconnects.
    ids = set()
    for pk in (owner.pk, owner.id):
        other = await join(people_jupyter, room, pk=pk, authenticated=False,
                           headers={"Cookie": login.cookie}, origin=own_origin(people_jupyter))
        await other.joined()
        ids.add(other.id)
    await owner.send({"content": "still mine"})

    assert owner.id not in ids
    assert (await owner.skip_to("message"))["from"] == owner.id


async def test_the_token_is_never_echoed_into_the_room(shared_jupyter, room, join):
    # partysocket keeps the token in the socket URL; nothing the room sends may repeat it.
    sock = await join(shared_jupyter, room, authenticated=False,
                      query={"token": shared_jupyter.token})
    frames = await sock.joined()
    assert all(shared_jupyter.token not in str(frame) for frame in frames)


async def test_server_allow_origin_admits_that_page_with_the_cookie(tmp_path, room, join):
    # The extension follows ServerApp.allow_origin, as every Jupyter socket does.
    allowed = "http://allowed.example"
    server = start_server("jupyter", tmp_path / "allow-origin",
                          jupyter_config={"ServerApp": {"allow_origin": allowed}})
    try:
        login = browser_login(server)
        sock = await join(server, room, authenticated=False, headers={"Cookie": login.cookie},
                          origin=allowed)
        welcome, _ = await sock.joined()
        refused = await refused_status(server, room, authenticated=False,
                                       headers={"Cookie": login.cookie},
                                       origin="http://other.example")
    finally:
        server.stop()

    assert welcome["type"] == "welcome"
    assert refused == 403
