"""The stock npm ``partysocket`` 1.3.0 client under Node 20 (``WebSocket: WS`` from ``ws``).

``tests/node/chat.mjs`` connects two clients with nothing but partysocket's own
options (``host`` with the ``/partywidget`` path inside Jupyter, ``query:
{token}``), chats, and uses ``PartySocket.fetch``; here we check what it
recorded against the ``main`` contract. ``scripts/test.sh`` runs ``npm ci`` in
``tests/node`` first.
"""

from __future__ import annotations

import asyncio

import pytest

from tests.conftest import ServerProcess

from .clients import run_node
from .conftest import start_server


def of_type(frames: list[dict], kind: str) -> list[dict]:
    return [f for f in frames if f["type"] == kind]


async def chat_with_partysocket(server: ServerProcess, room: str) -> dict:
    """What ``chat.mjs`` recorded in ``room``, with ``server.host`` as partysocket's host."""
    args = [server.host, room] + ([server.token] if server.token else [])
    return await asyncio.to_thread(run_node, "chat.mjs", *args)


async def test_two_partysocket_clients_chat_per_the_contract(room_server, room):
    check_recorded_chat(await chat_with_partysocket(room_server, room), room)


@pytest.fixture(params=["jupyter base_url", "serve --prefix"])
def server_under_a_path(request, tmp_path):
    """Rooms below a path: Jupyter at ``/user/alice/`` (as a JupyterHub single-user
    server is) or ``partywidget serve --prefix`` (as a hub service is)."""
    if request.param == "jupyter base_url":
        server = start_server("jupyter", tmp_path / "base-url",
                              jupyter_config={"ServerApp": {"base_url": "/user/alice/"}})
    else:
        server = start_server("standalone", tmp_path / "prefix",
                              extra_args=["--prefix", "/services/rooms/"])
    try:
        yield server
    finally:
        server.stop()


async def test_partysocket_reaches_rooms_below_a_path(server_under_a_path, room):
    server = server_under_a_path
    assert server.host.endswith(("/user/alice/partywidget", "/services/rooms"))

    check_recorded_chat(await chat_with_partysocket(server, room), room)


def check_recorded_chat(run: dict, room: str) -> None:
    """The ``main`` contract, as two partysocket clients and PartySocket.fetch saw it."""
    alice, bob = run["alice"], run["bob"]
    a_frames, b_frames = alice["frames"], bob["frames"]

    # partysocket's `id` option is the `_pk`; the room calls the connection by
    # that `_pk` namespaced by the user (docs/security.md), the same for every
    # reconnect of one user's tab and never another user's.
    assert (alice["id"], bob["id"]) == ("alice-tab", "bob-tab")
    alice_id, bob_id = alice["roomId"], bob["roomId"]
    assert alice_id != bob_id and "alice-tab" not in (alice_id, bob_id)
    welcome, history = a_frames[0], a_frames[1]
    assert welcome["type"] == "welcome" and welcome["id"] == alice_id
    assert welcome["roomId"] == room and welcome["users"] == [
        {"id": alice_id, "user": welcome["user"]}]
    assert history == {"type": "history", "messages": [], "epoch": welcome["epoch"],
                       "recovered": False}
    assert b_frames[0]["type"] == "welcome" and b_frames[1]["type"] == "history"
    assert of_type(a_frames, "userJoined") == [
        {"type": "userJoined", "id": bob_id, "user": b_frames[0]["user"]}]

    hello = next(f for f in a_frames if f.get("cid") == "node-1")
    assert hello in b_frames  # the same frame to everyone, sender included
    assert hello["id"] == 1 and hello["from"] == alice_id
    assert hello["user"] == welcome["user"] and hello["content"] == "hello from node"
    assert isinstance(hello["timestamp"], int)
    reply = next(f for f in a_frames if f["type"] == "message" and f["from"] == bob_id)
    assert reply["content"] == {"reply": True} and "cid" not in reply
    assert of_type(a_frames, "error")[0]["code"] == "bad_json"
    assert of_type(a_frames, "userLeft") == [
        {"type": "userLeft", "id": bob_id, "user": b_frames[0]["user"]}]

    assert run["get"]["status"] == 200
    assert run["get"]["body"] == {"type": "history", "messages": [hello, reply],
                                  "epoch": welcome["epoch"], "recovered": False}
    assert run["post"]["status"] == 201
    posted = run["post"]["body"]
    assert posted["content"] == "via fetch" and posted["cid"] == "node-fetch"
    assert posted["id"] == reply["id"] + 1
    assert posted in a_frames
