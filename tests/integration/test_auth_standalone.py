"""``partywidget serve``: tokens, origins, and refusing to expose a tokenless server.

Like ``partykit dev``: on loopback no token is needed and only loopback pages
may connect (plus ``--allow-origin``); with ``--token`` every request must
present it; bound to any other address without a token it will not start.
"""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
from collections.abc import Iterator

import pytest

from tests.conftest import ServerProcess, free_port

from .clients import fetch, refused_status, refused_url_status, room_ws_url
from .conftest import start_server

ALLOWED = "http://allowed.example"


@pytest.fixture(scope="module")
def token_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """``serve --token T --allow-origin http://allowed.example`` on loopback."""
    server = start_server("standalone", tmp_path_factory.mktemp("token-standalone"),
                          token=secrets.token_hex(16), extra_args=["--allow-origin", ALLOWED])
    try:
        yield server
    finally:
        server.stop()


@pytest.mark.parametrize("token", [None, "wrong"], ids=["missing", "wrong"])
async def test_with_a_token_configured_requests_without_it_are_refused(token_server, room,
                                                                       token):
    query = {"token": token} if token else {}
    url = token_server.room_url(room, ws=False) + (f"?token={token}" if token else "")
    socket_status = await refused_status(token_server, room, authenticated=False, query=query)
    get = await fetch("GET", url)
    post = await fetch("POST", url, body="sneaky", headers={"Content-Type": "text/plain"})
    stored = await fetch("GET", token_server.room_url(room, ws=False),
                         headers=token_server.auth_headers())

    assert (socket_status, get.status, post.status) == (403, 403, 403)
    assert stored.json()["messages"] == []


async def test_the_token_works_in_the_query_and_the_header(token_server, room, join):
    by_query = await join(token_server, room, authenticated=False,
                          query={"token": token_server.token})
    by_header = await join(token_server, room)
    await by_query.joined()
    await by_header.joined()
    bearer = await fetch("GET", token_server.room_url(room, ws=False),
                         headers={"Authorization": f"Bearer {token_server.token}"})

    assert bearer.status == 200


@pytest.mark.parametrize("origin", ["http://evil.example", "http://192.0.2.7:1999",
                                    "null"])
async def test_pages_off_loopback_are_refused(shared_standalone, token_server, room, origin):
    tokenless = await refused_status(shared_standalone, room, origin=origin)
    with_token = await refused_status(token_server, room, origin=origin)
    http = await fetch("GET", shared_standalone.room_url(room, ws=False),
                       headers={"Origin": origin})

    assert (tokenless, with_token, http.status) == (403, 403, 403)


@pytest.mark.parametrize("host", ["localhost", "127.0.0.1"])
async def test_a_page_on_another_loopback_port_may_connect(shared_standalone, room, join,
                                                           host):
    origin = f"http://{host}:{free_port()}"
    sock = await join(shared_standalone, room, origin=origin)
    await sock.joined()
    response = await fetch("GET", shared_standalone.room_url(room, ws=False),
                           headers={"Origin": origin})

    preflight = await fetch("OPTIONS", shared_standalone.room_url(room, ws=False),
                            headers={"Origin": origin, "Access-Control-Request-Method": "POST",
                                     "Access-Control-Request-Headers": "content-type"})

    assert response.status == 200
    # CORS lets that page read the answer and POST JSON (PartySocket.fetch in a browser).
    assert response.headers["Access-Control-Allow-Origin"] == origin
    assert preflight.status == 204
    assert preflight.headers["Access-Control-Allow-Origin"] == origin
    assert "POST" in preflight.headers["Access-Control-Allow-Methods"]


async def test_allow_origin_admits_that_origin_only(token_server, room, join):
    sock = await join(token_server, room, origin=ALLOWED)
    await sock.joined()

    assert await refused_status(token_server, room, origin=ALLOWED + ".evil.example") == 403


async def test_dev_mode_refuses_other_host_names_against_dns_rebinding(shared_standalone,
                                                                       token_server, room):
    url = shared_standalone.room_url(room, ws=False)
    rebound = await fetch("GET", url, headers={"Host": f"evil.example:{shared_standalone.port}"})
    rebound_url, _ = room_ws_url(shared_standalone, room)
    # The socket goes to 127.0.0.1 but asks for evil.example, as a rebound page's would.
    socket_status = await refused_url_status(rebound_url.replace("127.0.0.1", "evil.example"),
                                             host="127.0.0.1", port=shared_standalone.port)
    for name in ("localhost", "127.0.0.1", "[::1]"):
        local = await fetch("GET", url, headers={"Host": f"{name}:{shared_standalone.port}"})
        assert local.status == 200, name
    # With a token, the token is the defence and any name may be used (proxies, LANs).
    named = await fetch("GET", token_server.room_url(room, ws=False),
                        headers={**token_server.auth_headers(), "Host": "rooms.example"})

    assert (rebound.status, socket_status, named.status) == (403, 403, 200)


def test_binding_off_loopback_without_a_token_refuses_to_start(tmp_path):
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k != "PARTYWIDGET_TOKEN"}
    result = subprocess.run(
        [sys.executable, "-m", "partywidget", "serve", "--host", "0.0.0.0", "--port", str(port),
         "--storage", "memory:"], cwd=tmp_path, env=env, capture_output=True, text=True,
        timeout=60)

    assert result.returncode == 2
    assert "refusing to serve on 0.0.0.0 without a token" in result.stderr
    assert "Traceback" not in result.stderr
    # It never bound the port.
    with socket.socket() as probe:
        probe.bind(("0.0.0.0", port))
