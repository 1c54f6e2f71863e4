"""The Party API at parity with partyserver, over real sockets against both adapters:
``on_before_connect``/``on_before_request``, ``on_close`` with code and reason,
per-party limits, room-to-room calls, and the join frame the host announces.
"""

from __future__ import annotations

import asyncio
import json

from websockets.exceptions import InvalidStatus

from partywidget.client import aconnect

from .clients import fetch, join as open_socket


async def test_on_before_connect_refuses_with_its_response_before_any_room_exists(
        room_server, room, join):
    try:
        await open_socket(room_server, room, party="guarded")
    except InvalidStatus as refusal:
        status, body = refusal.response.status_code, json.loads(refusal.response.body)
    else:
        raise AssertionError("expected the socket to be refused")
    assert status == 403
    assert body == {"type": "error", "code": "wrong_password",
                    "message": f"room {room} needs the password"}
    admitted = await join(room_server, room, party="guarded", query={"password": "sesame"})
    frame = await admitted.expect("admitted")
    assert frame["data"]["room"] == room and frame["data"]["admitted_as"]


async def test_on_before_request_answers_or_hands_a_modified_request_on(room_server, room):
    url = room_server.room_url(room, "guarded", ws=False)
    refused = await fetch("GET", url, headers=room_server.auth_headers())
    admitted = await fetch("GET", url + "?password=sesame", headers=room_server.auth_headers())
    assert (refused.status, refused.body) == (401, b"no password, no room")
    assert admitted.status == 200 and admitted.json()["data"] == {"checked": True}


async def test_on_close_gets_the_clients_code_and_reason_and_the_servers(
        room_server, room, join):
    leaving = await join(room_server, room, party="goodbyes")
    await leaving.ws.close(4321, "see you")
    asked = await join(room_server, room, party="goodbyes")
    await asked.send("alice")
    assert await asked.close_code() == 4400
    url = room_server.room_url(room, "goodbyes", ws=False)
    for _ in range(50):
        closes = (await fetch("GET", url, headers=room_server.auth_headers())).json()["closes"]
        if len(closes) == 2:
            break
        await asyncio.sleep(0.05)
    assert sorted(map(tuple, closes)) == sorted([(leaving.id, 4321, "see you"),
                                                 (asked.id, 4400, "asked by alice")])


async def frames_until_quiet(sock, quiet: float = 1.0) -> list[str]:
    """Every frame ``sock`` receives until none came for ``quiet`` seconds."""
    frames = []
    try:
        while True:
            frames.append(await asyncio.wait_for(sock.ws.recv(), quiet))
    except TimeoutError:
        return frames


async def test_a_party_with_raised_limits_is_not_rate_limited_where_the_default_is(
        room_server, room, join):
    relayed = {}
    for party in ("plain", "cursors"):
        sender = await join(room_server, f"{room}-{party}", party=party)
        watcher = await join(room_server, f"{room}-{party}", party=party)
        # The handshake can return before the room has admitted the watcher: a
        # frame of its own, relayed to the sender, proves it is in.
        await watcher.send(json.dumps({"hello": True}))
        assert json.loads(await asyncio.wait_for(sender.ws.recv(), 10)) == {"hello": True}
        for i in range(250):  # 2.5 times the default burst, under the 200 refusals that close
            await sender.send(json.dumps({"x": i}))
        relayed[party] = len(await frames_until_quiet(watcher))
        refusals = [json.loads(f)["code"] for f in await frames_until_quiet(sender, 0.2)]
        assert set(refusals) <= {"rate_limited"}
        assert relayed[party] + len(refusals) == 250
    assert relayed["cursors"] == 250
    assert relayed["plain"] < 250


async def test_a_lobby_counts_the_connections_of_another_partys_rooms(room_server, room, join):
    lobby = await join(room_server, "main", party="lobby")
    await lobby.expect("counts")
    first = await join(room_server, f"{room}-a", party="counted")
    assert (await lobby.skip_to("counts"))["counts"][f"{room}-a"] == 1
    second = await join(room_server, f"{room}-a", party="counted")
    assert (await lobby.skip_to("counts"))["counts"][f"{room}-a"] == 2
    await join(room_server, f"{room}-b", party="counted")
    counts = (await lobby.skip_to("counts"))["counts"]
    assert counts[f"{room}-a"] == 2 and counts[f"{room}-b"] == 1
    await first.close()
    await second.close()
    while (await lobby.skip_to("counts"))["counts"][f"{room}-a"] != 0:
        pass
    # A client cannot pose as a room: the lobby refuses its reports.
    forged = await fetch("POST", room_server.room_url("main", "lobby", ws=False),
                         body=json.dumps({"room": f"{room}-a", "count": 99}),
                         headers={**room_server.auth_headers(),
                                  "Content-Type": "application/json"})
    assert forged.status == 403


async def test_the_kernel_client_joins_a_renamed_board_party_only_with_its_state(
        room_server, room):
    # "whiteboard" is the board party under another name: the host says which
    # frame completes a join, so connect() returns with the state received.
    seen: list[str] = []
    client = await aconnect(
        room, "whiteboard", url=room_server.http_url, token=room_server.token or None,
        on_event=lambda frame: seen.append(frame.get("type")))
    try:
        assert client.join_type == "state"
        assert seen[:2] == ["welcome", "state"]
    finally:
        await client.aclose()
