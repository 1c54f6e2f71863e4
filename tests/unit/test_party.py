"""``Party``: every hook has a harmless default, so a subclass overrides only what it needs."""

from __future__ import annotations

import json

from partywidget.rooms import CloseCode, Party, Request


async def test_a_bare_party_admits_ignores_and_lets_go_without_complaint(make_host, join):
    room = (await make_host(Party)).room("p", "r")
    a = await join(room, "a")
    await a.send("hello")
    await room.party.on_alarm()
    await a.leave()
    assert a.joined and a.frames == [] and a.close_code is None
    assert room.connections == {}


async def test_a_bare_party_refuses_binary_frames_and_answers_http_with_404(make_host, join):
    room = (await make_host(Party)).room("p", "r")
    response = await room.request(Request("GET", "http://test/parties/p/r", {"username": "a"}))
    assert response.status == 404 and json.loads(response.body)["code"] == "not_found"
    a = await join(room, "a")
    await a.send(b"\x00")
    assert a.close_code == CloseCode.POLICY_VIOLATION


async def test_a_subclass_overrides_only_the_hooks_it_needs(make_host, join):
    class Echo(Party):
        async def on_message(self, message, sender):
            sender.send(message)

    room = (await make_host(Echo)).room("p", "r")
    a = await join(room, "a")
    await a.send("ping")
    assert a.frames == ["ping"] and room.party.room is room
