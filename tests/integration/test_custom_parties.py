"""Custom parties registered as users do: ``c.PartyWidget.parties`` in the Jupyter
extension, ``partywidget serve --party NAME=module:Class`` standalone, and the
``partywidget.parties`` entry-point group in both (see ``conftest.py``), reached
at ``/parties/<name>/<room>`` over WebSocket and HTTP.
"""

from __future__ import annotations

from .clients import fetch


async def test_a_configured_party_serves_sockets_and_http(room_server, room, join):
    alice = await join(room_server, room, party="poll")
    bob = await join(room_server, room, party="poll")

    await alice.send({"vote": "tea"})
    await bob.send({"vote": "tea"})
    await bob.send({"vote": "coffee"})
    seen_by_alice = [await alice.expect("votes") for _ in range(3)]
    response = await fetch("GET", room_server.room_url(room, "poll", ws=False),
                           headers=room_server.auth_headers())

    assert seen_by_alice[-1]["votes"] == {"votes:tea": 2, "votes:coffee": 1}
    assert response.status == 200
    assert response.json()["votes"] == {"votes:tea": 2, "votes:coffee": 1}


async def test_custom_party_rooms_do_not_share_state_with_main(room_server, room, join):
    poll = await join(room_server, room, party="poll")
    await poll.send({"vote": "yes"})
    await poll.expect("votes")

    chat = await join(room_server, room)
    _, history = await chat.joined()

    assert history["messages"] == []


async def test_a_hook_that_raises_closes_that_connection_with_1011(room_server, room, join):
    failing = await join(room_server, room, party="faulty")
    bystander = await join(room_server, room, party="faulty")

    await failing.send("boom")
    code = await failing.close_code()
    await bystander.send("still here")
    echo = await bystander.expect("echo")

    assert code == 1011
    assert echo == {"type": "echo", "text": "still here", "from": bystander.id}
    # The room lives on for newcomers too.
    newcomer = await join(room_server, room, party="faulty")
    await newcomer.send("hello")
    assert (await newcomer.expect("echo"))["from"] == newcomer.id


async def test_an_entry_point_party_is_found_without_configuration(room_server, room, join):
    quiz = await join(room_server, room, party="quiz")
    await quiz.send({"vote": "b"})

    assert (await quiz.expect("votes"))["votes"] == {"votes:b": 1}
