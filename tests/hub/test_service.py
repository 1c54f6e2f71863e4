"""The hub-wide room service behind a real JupyterHub, reached as kernels reach it.

Every socket goes through the hub's proxy to ``/services/partywidget/`` with a
hub token in the ``Authorization`` header: alice's and bob's are the tokens of
their running single-user servers (what their kernels inherit), tess's and
mallory's are tokens they could make on the hub's token page.
"""

from __future__ import annotations

import secrets
from collections.abc import Awaitable
from typing import Any

import pytest

from websockets.exceptions import InvalidStatus

import partywidget
from partywidget import AuthError, NotAllowed
from partywidget.protocol.refusals import REFUSAL_HEADER
from partywidget.rooms import CloseCode
from tests.integration.clients import fetch

pytestmark = pytest.mark.timeout(120)


async def refusal(opening: Awaitable[Any]) -> int:
    """The HTTP status that refused a socket upgrade; fails if the socket opened."""
    with pytest.raises(InvalidStatus) as refused:
        await opening
    return refused.value.response.status_code


@pytest.fixture
def room() -> str:
    """A fresh room inside the ``class-101*`` rooms, which the docs restrict to group class-101."""
    return f"class-101-{secrets.token_hex(4)}"


async def test_two_students_kernels_share_a_room_with_their_hub_identity(hub, join, room):
    alice = await join(hub.caller(hub.server_token("alice")), room,
                       query={"client": "kernel", "name": "bob"})
    welcome, _ = await alice.joined()
    # A bot's name is a label beside the hub identity, never the identity (docs/security.md).
    assert welcome["user"] == {
        "username": "alice", "name": "alice", "display_name": "alice", "initials": "A",
        "color": None, "verified": True, "groups": ["class-101"], "admin": False,
        "moderator": False, "kernel": True, "label": "bob"}
    bob = await join(hub.caller(hub.server_token("bob")), room)
    await bob.joined()

    await alice.send({"content": "hello from alice's kernel", "cid": "a1"})
    got = await bob.skip_to("message")
    assert got["content"] == "hello from alice's kernel"
    assert got["user"]["username"] == "alice"
    await bob.send({"content": "hi alice"})
    assert (await alice.skip_to("message", content="hi alice"))["user"]["username"] == "bob"


async def test_requests_without_hub_credentials_are_refused(hub, join, room):
    anonymous = hub.caller(None)
    assert await refusal(join(anonymous, room)) == 403
    # ?token= is for browsers only (Sec-Fetch-Mode: websocket); scripts must use the header.
    assert await refusal(join(anonymous, room, query={"token": hub.server_token("alice")})) == 403
    result = await fetch("GET", anonymous.room_url(room, ws=False))
    assert result.status == 403
    result = await fetch("POST", anonymous.room_url(room, ws=False), body="hi",
                         headers={"Content-Type": "text/plain"})
    assert result.status == 403


async def test_a_token_without_access_to_the_service_is_refused(hub, join, room):
    token = hub.api("POST", "/users/alice/tokens", {"scopes": ["read:users:name!user=alice"],
                                                    "expires_in": 600})["token"]
    assert await refusal(join(hub.caller(token), room)) == 403


async def test_a_token_acts_only_as_its_owner_whatever_the_client_claims(hub, join, room):
    alice = await join(hub.caller(hub.server_token("alice")), room)
    welcome, _ = await alice.joined()
    bob_caller = hub.caller(hub.server_token("bob"))
    # Presenting alice's connection id as a _pk gives bob a connection of his own.
    taker = await join(bob_caller, room, pk=welcome["id"])
    assert (await taker.joined())[0]["id"] not in (welcome["id"], alice.id)
    bob = await join(bob_caller, room, query={"name": "alice", "moderator": "true",
                                              "user": "alice"})
    welcome, _ = await bob.joined()
    assert welcome["user"]["username"] == "bob" and welcome["user"]["moderator"] is False
    await bob.send({"content": "I am alice", "user": {"username": "alice"}, "from": "x"})
    got = await alice.skip_to("message")
    assert got["user"]["username"] == "bob"
    result = await fetch("POST", bob_caller.room_url(room, ws=False), body="posted by bob",
                         headers={**bob_caller.auth_headers(), "Content-Type": "text/plain"})
    assert result.status == 201 and result.json()["user"]["username"] == "bob"


async def test_rooms_restricted_to_hub_groups(hub, join, room):
    mallory = hub.caller(hub.user_token("mallory"))
    assert await refusal(join(mallory, room)) == 403
    assert (await fetch("GET", mallory.room_url(room, ws=False),
                        headers=mallory.auth_headers())).status == 403
    lobby = await join(mallory, f"lobby-{secrets.token_hex(4)}")
    assert (await lobby.joined())[0]["user"]["username"] == "mallory"
    # Teachers moderate every room, restricted or not.
    tess = await join(hub.caller(hub.user_token("tess")), room)
    assert (await tess.joined())[0]["user"]["moderator"] is True


async def test_a_student_cannot_moderate_whatever_they_send(hub, join, room):
    alice = await join(hub.caller(hub.server_token("alice")), room)
    await alice.joined()
    bob = await join(hub.caller(hub.server_token("bob")), room)
    await bob.joined()
    await alice.send({"content": "alice's words"})
    message = await bob.skip_to("message")
    attempts = [
        {"type": "delete", "id": message["id"], "moderator": True},
        {"type": "clear", "user": {"moderator": True}},
        {"type": "lock", "locked": True},
        {"type": "remove", "id": alice.id},
    ]
    for attempt in attempts:
        await bob.send(attempt)
        error = await bob.skip_to("error")
        assert error["code"] == "forbidden", attempt
    board = await join(hub.caller(hub.server_token("bob")), room, party="board")
    await board.expect("welcome")
    await board.send({"type": "clear"})
    assert (await board.skip_to("error"))["code"] == "forbidden"
    # Nothing happened: alice's message is still there for a newcomer.
    late = await join(hub.caller(hub.server_token("alice")), room)
    _, history = await late.joined()
    assert [m["content"] for m in history["messages"]] == ["alice's words"]


async def test_a_teacher_deletes_locks_clears_and_removes(hub, join, room):
    tess = await join(hub.caller(hub.user_token("tess")), room)
    await tess.joined()
    alice = await join(hub.caller(hub.server_token("alice")), room)
    await alice.joined()
    bob_caller = hub.caller(hub.server_token("bob"))
    bob = await join(bob_caller, room)
    await bob.joined()

    await bob.send({"content": "off-topic"})
    message = await tess.skip_to("message")
    await tess.send({"type": "delete", "id": message["id"]})
    assert (await alice.skip_to("deleted"))["id"] == message["id"]

    await tess.send({"type": "lock", "locked": True})
    assert (await bob.skip_to("locked"))["locked"] is True
    await bob.send({"content": "while locked"})
    assert (await bob.skip_to("error"))["code"] == "locked"
    await tess.send({"type": "lock", "locked": False})
    assert (await bob.skip_to("locked"))["locked"] is False

    await tess.send({"type": "clear"})
    assert (await alice.skip_to("cleared"))["epoch"]

    board_tess = await join(hub.caller(hub.user_token("tess")), room, party="board")
    await board_tess.expect("welcome")
    board_bob = await join(bob_caller, room, party="board")
    await board_bob.expect("welcome")
    await board_bob.send({"type": "stroke", "points": [[1, 2], [3, 4]]})
    await board_tess.skip_to("stroke")
    await board_tess.send({"type": "clear"})
    assert (await board_bob.skip_to("cleared"))["epoch"]

    await tess.send({"type": "remove", "id": bob.id})
    assert await bob.close_code() == CloseCode.REMOVED
    assert (await alice.skip_to("userLeft"))["user"]["username"] == "bob"
    again = await join(bob_caller, room)
    assert await again.close_code() == CloseCode.REMOVED


async def test_sockets_from_pages_of_other_sites_are_refused(hub, join, room):
    alice = hub.caller(hub.server_token("alice"))
    assert await refusal(join(alice, room, headers={"Origin": "http://evil.example"})) == 403
    same_site = await join(alice, room, headers={"Origin": hub.url})
    assert (await same_site.joined())[0]["user"]["username"] == "alice"


def test_a_kernel_is_told_why_the_hub_service_refused_it(hub, room):
    # Out of the room's group with a fine token: NotAllowed, with the service's reason,
    # and never the advice to change the token (issue 19, item 2).
    with pytest.raises(NotAllowed, match=r"\(HTTP 403\): This room is restricted to other "
                                         r"hub groups; your credentials are fine") as refused:
        partywidget.connect(room, url=hub.rooms_url, token=hub.user_token("mallory"), timeout=30)
    assert "token=" not in str(refused.value)
    # A bad token is a credentials problem, said with the service's own words.
    with pytest.raises(AuthError, match=r"refused the credentials \(HTTP 403\).*the host said: "
                                        r"Sign in through JupyterHub"):
        partywidget.connect(room, url=hub.rooms_url, token="not-a-hub-token", timeout=30)


async def test_the_refusal_cause_travels_in_a_header(hub, room):
    async def cause(token: str) -> tuple[int, str | None]:
        caller = hub.caller(token)
        result = await fetch("GET", caller.room_url(room, ws=False), headers=caller.auth_headers())
        headers = {name.lower(): value for name, value in result.headers.items()}  # the proxy
        return result.status, headers.get(REFUSAL_HEADER.lower())                 # lowercases

    assert await cause(hub.user_token("mallory")) == (403, "room")
    assert await cause("not-a-hub-token") == (403, "credentials")


async def test_probes_answer_on_the_service_address_and_metrics_need_a_metrics_token(hub):
    direct = hub.service_url + hub.service_prefix  # where a Kubernetes probe would ask
    for probe in ("healthz", "readyz"):
        result = await fetch("GET", direct + probe)
        assert (result.status, result.json()) == (200, {"ok": True})
    # Every request through the hub's proxy comes from loopback: without a
    # metrics token, /metrics answers nobody, on either path.
    assert (await fetch("GET", direct + "metrics")).status == 403
    assert (await fetch("GET", hub.rooms_url + "/metrics")).status == 403
