"""HTTP to a room (PartyKit's ``onRequest``): the chat answers GET with history, POST adds.

Against both hosts; ``PartySocket.fetch`` leaves a bare trailing ``?`` on the
URL, so that form must work as well as the plain one.
"""

from __future__ import annotations

import json

import pytest

from .clients import fetch


async def post_message(server, room, body, content_type):
    return await fetch("POST", server.room_url(room, ws=False), body=body,
                       headers={**server.auth_headers(), "Content-Type": content_type})


@pytest.mark.parametrize("suffix", ["", "?"], ids=["plain", "bare-question-mark"])
async def test_get_returns_the_history_as_json(room_server, room, join, suffix):
    sock = await join(room_server, room)
    welcome, _ = await sock.joined()
    await sock.send({"content": "hello", "cid": "a"})
    sent = await sock.expect("message")

    response = await fetch("GET", room_server.room_url(room, ws=False) + suffix,
                           headers=room_server.auth_headers())

    assert response.status == 200
    assert response.headers["Content-Type"].startswith("application/json")
    assert response.json() == {"type": "history", "messages": [sent],
                               "epoch": welcome["epoch"], "recovered": False}


async def test_get_resumes_with_since_and_epoch(room_server, room, join):
    sock = await join(room_server, room)
    welcome, _ = await sock.joined()
    for n in range(3):
        await sock.send({"content": n})
    ids = [(await sock.expect("message"))["id"] for _ in range(3)]

    url = f"{room_server.room_url(room, ws=False)}?since={ids[0]}&epoch={welcome['epoch']}"
    resumed = (await fetch("GET", url, headers=room_server.auth_headers())).json()
    stale = (await fetch("GET", f"{room_server.room_url(room, ws=False)}?since={ids[0]}&epoch=x",
                         headers=room_server.auth_headers())).json()

    assert [m["id"] for m in resumed["messages"]] == ids[1:] and resumed["recovered"] is True
    assert [m["id"] for m in stale["messages"]] == ids and stale["recovered"] is False


async def test_post_text_adds_a_message_everyone_sees(room_server, room, join):
    sock = await join(room_server, room)
    welcome, _ = await sock.joined()

    response = await post_message(room_server, room, "from curl", "text/plain")
    live = await sock.expect("message")

    assert response.status == 201
    assert response.json() == live
    assert live["content"] == "from curl" and live["from"] is None
    # Over HTTP as over the socket, the host names the author: the token's
    # owner inside Jupyter, a guest in tokenless `partywidget serve`.
    expected = welcome["user"]["username"] if room_server.kind == "jupyter" else "guest-anon"
    assert live["user"]["username"] == expected


async def test_post_json_adds_a_message_with_its_cid(room_server, room):
    body = json.dumps({"content": {"poll": [1, 2]}, "cid": "http-1"})
    first = await post_message(room_server, room, body, "application/json")
    again = await post_message(room_server, room, body, "application/json")
    history = (await fetch("GET", room_server.room_url(room, ws=False),
                           headers=room_server.auth_headers())).json()

    assert first.status == 201 and first.json()["content"] == {"poll": [1, 2]}
    assert first.json()["cid"] == "http-1"
    assert again.json() == first.json()
    assert history["messages"] == [first.json()]


@pytest.mark.parametrize("body", ['{"content": NaN}', "[1]", "{", '{"text": 1}'])
async def test_post_of_bad_json_is_a_400_and_stores_nothing(room_server, room, body):
    response = await post_message(room_server, room, body, "application/json")
    history = (await fetch("GET", room_server.room_url(room, ws=False),
                           headers=room_server.auth_headers())).json()

    assert response.status == 400
    assert response.json()["type"] == "error"
    assert history["messages"] == []


async def test_a_sub_path_the_party_does_not_serve_is_a_404(room_server, room):
    response = await fetch("GET", room_server.room_url(room, ws=False) + "/nothing-here",
                           headers=room_server.auth_headers())

    assert response.status == 404
    assert response.json()["code"] == "not_found"
