"""One room across two ``partywidget serve --redis`` processes on one real redis-server.

A client on each process: messages cross both ways once each, in one offset
order; presence is global; a client resumes on the other process; a retried
``cid`` is stored once whichever process gets it; a moderator's removal on
one process closes the user's socket on the other; after Redis restarts,
clients reconnect and resume; a Jupyter server and ``serve`` share a room; a
process killed with -9
loses nothing it acknowledged, and its users leave within the member expiry.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Iterator

import pytest

from tests.conftest import ServerProcess, free_port

from .clients import fetch, run_node
from .conftest import start_redis_hosts
from .test_cli import serve
from .test_partysocket import check_recorded_chat

pytestmark = pytest.mark.timeout(120)

#: Seconds after which a dead process's users leave (short, for the kill test).
MEMBER_EXPIRY = 2.0


@pytest.fixture(scope="module")
def servers(redis_server, tmp_path_factory: pytest.TempPathFactory) -> Iterator[
        tuple[ServerProcess, ServerProcess]]:
    """Two room hosts sharing ``redis_server``."""
    started = start_redis_hosts(2, redis_server.url, tmp_path_factory.mktemp("serve"),
                                member_expiry=MEMBER_EXPIRY)
    try:
        yield started[0], started[1]
    finally:
        for server in started:
            server.stop()


async def test_messages_cross_processes_once_each_in_offset_order(servers, room, join):
    a, b = servers
    alice = await join(a, room, pk="alice-1")
    alice_welcome, _ = await alice.joined()
    bob = await join(b, room, pk="bobby-1")
    bob_welcome, _ = await bob.joined()
    # Connection ids are the _pk namespaced by user: both processes derive the same.
    assert {u["id"] for u in bob_welcome["users"]} == {alice_welcome["id"], bob_welcome["id"]}
    assert (await alice.expect("userJoined"))["id"] == bob_welcome["id"]

    for n in range(5):
        await alice.send({"content": f"a{n}"})
        await bob.send({"content": f"b{n}"})
    for sock in (alice, bob):
        got = [await sock.expect("message") for _ in range(10)]
        ids = [m["id"] for m in got]
        assert ids == sorted(ids) and len(set(ids)) == 10
        assert sorted(m["content"] for m in got) == sorted(
            [f"a{n}" for n in range(5)] + [f"b{n}" for n in range(5)])
    await bob.close()
    assert (await alice.skip_to("userLeft"))["id"] == bob_welcome["id"]


async def test_a_client_resumes_on_the_other_process(servers, room, join):
    a, b = servers
    alice = await join(a, room, pk="alice-2")
    welcome, _ = await alice.joined()
    await alice.send({"content": "seen"})
    seen = await alice.expect("message")
    await alice.close()

    bob = await join(b, room, pk="bobby-2")
    await bob.joined()
    await bob.send({"content": "missed"})
    missed = await bob.expect("message")

    again = await join(b, room, pk="alice-2",
                       query={"since": str(seen["id"]), "epoch": welcome["epoch"]})
    _, history = await again.joined()
    assert history["recovered"] is True
    assert [(m["id"], m["content"]) for m in history["messages"]] == [
        (missed["id"], "missed")]


async def test_stock_partysocket_clients_on_two_processes_keep_the_chat_contract(servers, room):
    a, b = servers
    run = await asyncio.to_thread(run_node, "chat.mjs", a.host, room, "", b.host)
    check_recorded_chat(run, room)


async def test_a_retried_cid_is_stored_once_whichever_process_gets_it(servers, room, join):
    a, b = servers
    # One client (the same _pk, so the same guest) reconnecting to the other
    # process after its acknowledgement was lost, as partysocket does.
    first = await join(a, room, pk="carol-1")
    await first.joined()
    await first.send({"content": "once", "cid": "c-42"})
    stored = await first.expect("message")
    await first.close()
    retry = await join(b, room, pk="carol-1")
    await retry.joined()
    await retry.send({"content": "once", "cid": "c-42"})
    assert await retry.expect("message") == stored  # the stored message, repeated to it
    response = await fetch("GET", f"{b.room_url(room, ws=False)}")
    assert [m["content"] for m in response.json()["messages"]] == ["once"]


async def test_a_removal_on_one_process_closes_the_user_on_the_other(servers, room, join):
    a, b = servers
    teacher = await join(a, room, pk="teach-1")  # standalone dev mode: everyone moderates
    await teacher.joined()
    bob = await join(b, room, pk="bobby-3")
    bob_welcome, _ = await bob.joined()
    await teacher.skip_to("userJoined", id=bob_welcome["id"])
    await teacher.send({"type": "remove", "id": bob_welcome["id"]})
    assert await bob.close_code() == 4003


async def test_after_a_redis_restart_clients_reconnect_and_resume(servers, redis_server, room,
                                                                  join):
    a, b = servers
    alice = await join(a, room, pk="alice-5")
    welcome, _ = await alice.joined()
    bob = await join(b, room, pk="bobby-5")
    await bob.joined()
    await alice.send({"content": "before"})
    before = await alice.skip_to("message")
    await bob.skip_to("message")
    redis_server.restart()
    # Each process lost its subscription: its clients are told to reconnect.
    assert await alice.close_code() == 1001 and await bob.close_code() == 1001
    resume = {"since": str(before["id"]), "epoch": welcome["epoch"]}
    alice = await join(a, room, pk="alice-5", query=resume)
    _, history = await alice.joined()
    assert history["recovered"] is True and history["messages"] == []  # nothing was lost
    bob = await join(b, room, pk="bobby-5", query=resume)
    await bob.joined()
    await bob.send({"content": "after"})
    assert (await alice.skip_to("message"))["content"] == "after"


async def test_a_killed_process_loses_no_acknowledged_message_and_its_users_leave(
        servers, room, join):
    a, b = servers
    alice = await join(a, room, pk="alice-4")
    await alice.joined()
    carol = await join(b, room, pk="carol-4")
    carol_welcome, _ = await carol.joined()
    for n in range(20):
        await carol.send({"content": f"burst {n}", "cid": f"k{n}"})
    acknowledged = [(await carol.expect("message"))["id"] for _ in range(5)]
    b.kill()
    try:
        # Within the expiry plus one sweep of the survivor (a third of it).
        left = await alice.skip_to("userLeft", timeout=MEMBER_EXPIRY * 2 + 10,
                                   id=carol_welcome["id"])
        assert left["user"] == carol_welcome["user"]
        history = (await fetch("GET", a.room_url(room, ws=False))).json()
        stored = {m["id"] for m in history["messages"]}
        assert set(acknowledged) <= stored
    finally:
        b.start()


def test_an_unreachable_redis_stops_serve_with_the_url_and_no_password(tmp_path):
    url = f"redis://pw:secret@127.0.0.1:{free_port()}/0"
    result = serve("--redis", url, "--port", str(free_port()), cwd=tmp_path)
    assert result.returncode == 2
    assert "cannot reach Redis at redis://pw:***@127.0.0.1:" in result.stderr
    assert "secret" not in result.stderr and "Traceback" not in result.stderr


def test_storage_and_redis_together_are_refused(tmp_path, redis_server):
    result = serve("--storage", "rooms.db", "--redis", redis_server.url, cwd=tmp_path)
    assert result.returncode == 2 and "not both" in result.stderr


async def test_a_jupyter_server_and_serve_share_a_room(servers, redis_server, room, join,
                                                      tmp_path):
    a, _ = servers
    workdir = tmp_path / "jupyter"
    workdir.mkdir()
    jupyter = ServerProcess("jupyter", workdir, storage="", token=secrets.token_hex(16),
                            config={"PartyWidget": {"redis_url": redis_server.url}})
    jupyter.start()
    try:
        student = await join(jupyter, room)
        await student.joined()
        guest = await join(a, room, pk="guest-7")
        await guest.joined()
        await student.send({"content": "from jupyter"})
        assert (await guest.skip_to("message"))["content"] == "from jupyter"
        await guest.send({"content": "from serve"})
        assert (await student.skip_to("message", content="from serve"))["id"] == 2
    finally:
        jupyter.stop()


async def test_a_yjs_document_across_two_processes_converges_and_survives_their_restart(
        servers, room):
    a, b = servers
    run = await asyncio.to_thread(run_node, "yjs.mjs", "across", a.host, room, b.host)
    assert run["a"]["text"] == run["b"]["text"] in ("on-a on-b ", "on-b on-a ")
    # A joiner on b gets a's edit from b's own document (applied from a's relay).
    assert run["late"] == run["a"]
    for server in (a, b):
        await asyncio.to_thread(server.restart)
    for server in (b, a):
        assert (await asyncio.to_thread(run_node, "yjs.mjs", "read", server.host, room)) == run["a"]


async def test_board_page_names_given_on_two_processes_reach_every_joiner(servers, room, join):
    a, b = servers
    on_a = await join(a, room, party="board")  # standalone dev mode: everyone moderates
    on_b = await join(b, room, party="board")
    for sock in (on_a, on_b):
        await sock.skip_to("state")
    await on_a.send({"type": "pageName", "page": 1, "name": "Forces"})
    await on_b.skip_to("pageName", page=1)  # process B has heard it
    await on_b.send({"type": "pageName", "page": 2, "name": "Energy"})
    await on_a.skip_to("pageName", page=2)
    named = []
    for server in (a, b):  # each process's joiners get both names, whoever gave them
        late = await join(server, room, party="board")
        await late.skip_to("state")
        named.append([await late.expect("pageName"), await late.expect("pageName")])

    expected = [{"type": "pageName", "page": 1, "name": "Forces"},
                {"type": "pageName", "page": 2, "name": "Energy"}]
    assert named == [expected, expected]
