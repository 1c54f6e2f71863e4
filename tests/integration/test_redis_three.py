"""One room across THREE ``partywidget serve --redis`` processes on one real redis-server.

The whole ``main`` contract suite (test_chat_contract.py) and the board contract
(test_board_wire.py) run again here, with every socket and HTTP request of a
test's room sent to the next of the three processes in turn; stock npm
``partysocket`` clients chat with one client and ``PartySocket.fetch`` on each
process. Then what only several processes can get wrong: an alarm fires once
per room (set on one process while the others have the room loaded, and still
when the process that set it is killed with -9), and Redis restarted in the
middle of a burst loses nothing acknowledged and stores each retried ``cid`` once.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest
from websockets.exceptions import ConnectionClosed

from tests.conftest import ServerProcess

from . import test_board_wire as board_contract
from . import test_chat_contract as chat_contract
from .clients import fetch, run_node
from .conftest import start_redis_hosts
from .test_partysocket import check_recorded_chat

pytestmark = pytest.mark.timeout(120)

#: Seconds after which a dead process's users leave.
MEMBER_EXPIRY = 2.0
#: Bounded polls: how many times, how far apart (seconds).
POLLS, POLL_EVERY = 300, 0.1

# The contract suites themselves, collected again in this module, where
# ``room_server`` (below) spreads each test's clients over the three processes.
globals().update({name: test for suite in (chat_contract, board_contract)
                  for name, test in vars(suite).items() if name.startswith("test_")})


class Spread:
    """Three processes as one ``room_server`` for :func:`clients.join` and ``fetch``:
    each socket or request to a room goes to the next process in turn, the first
    of each room to the first process."""

    kind = "standalone"
    token = ""

    def __init__(self, servers: list[ServerProcess]) -> None:
        self.servers = servers
        self._turns: dict[str, int] = {}

    def room_url(self, room: str, party: str = "main", *, ws: bool = True) -> str:
        turn = self._turns.get(room, 0)
        self._turns[room] = turn + 1
        return self.servers[turn % len(self.servers)].room_url(room, party, ws=ws)

    def auth_headers(self) -> dict[str, str]:
        return {}


@pytest.fixture(scope="module")
def trio(redis_server, tmp_path_factory: pytest.TempPathFactory) -> Iterator[
        list[ServerProcess]]:
    """Three room hosts sharing ``redis_server``, for the whole module."""
    started = start_redis_hosts(3, redis_server.url, tmp_path_factory.mktemp("trio"),
                                member_expiry=MEMBER_EXPIRY)
    try:
        yield started
    finally:
        for server in started:
            server.stop()


@pytest.fixture
def room_server(trio: list[ServerProcess]) -> Spread:
    """The contract suites' server: the three processes, taken in turn."""
    return Spread(trio)


async def test_partysocket_clients_and_fetch_on_three_processes_keep_the_chat_contract(
        trio, room):
    a, b, c = trio
    run = await asyncio.to_thread(run_node, "chat.mjs", a.host, room, "", b.host, c.host)
    check_recorded_chat(run, room)


# alarms ----------------------------------------------------------------------

async def alarm_state(server: ServerProcess, room: str, *,
                      set_in: float | None = None) -> dict[str, Any]:
    """The ``alarmed`` party's answer on ``server`` (setting the alarm first with ``set_in``)."""
    url = server.room_url(room, "alarmed", ws=False)
    if set_in is None:
        return (await fetch("GET", url)).json()
    return (await fetch("POST", url, body=f'{{"in": {set_in}}}')).json()


async def until(condition: Any, what: str) -> None:
    """Poll ``condition()`` (async, bounded) until it is true."""
    for _ in range(POLLS):
        if await condition():
            return
        await asyncio.sleep(POLL_EVERY)
    raise AssertionError(f"never: {what}")


async def pending_everywhere(servers: list[ServerProcess], room: str, when: float) -> None:
    async def all_pending() -> bool:
        states = [await alarm_state(s, room) for s in servers]
        return all(state["pending"] == when for state in states)
    await until(all_pending, f"every process has the alarm at {when} pending")


async def fired_once_settled(servers: list[ServerProcess], room: str) -> list[int]:
    """The pids that fired the room's alarm, once it fired and no process has it pending
    (after that no process can fire it: the stored time is gone)."""
    async def settled() -> bool:
        states = [await alarm_state(s, room) for s in servers]
        return bool(states[0]["fired"]) and all(state["pending"] is None for state in states)
    await until(settled, "the alarm fired and is pending nowhere")
    return (await alarm_state(servers[0], room))["fired"]


async def test_an_alarm_fires_once_with_three_processes_holding_the_room(trio, room, join):
    a, b, c = trio
    await join(b, room, "alarmed")  # b has the room loaded before the alarm is set
    far = (await alarm_state(a, room, set_in=600))["pending"]
    await join(c, room, "alarmed")  # c loads it after: the stored alarm
    await pending_everywhere(trio, room, far)
    # Moved close on another process: every process reschedules it.
    soon = (await alarm_state(b, room, set_in=0.3))["pending"]
    assert soon < far
    fired = await fired_once_settled(trio, room)
    assert len(fired) == 1 and fired[0] in {s.proc.pid for s in trio}


async def test_an_alarm_fires_once_when_the_process_that_set_it_is_killed(trio, room, join):
    a, b, c = trio
    await join(b, room, "alarmed")
    await join(c, room, "alarmed")
    when = (await alarm_state(a, room, set_in=600))["pending"]
    await pending_everywhere(trio, room, when)
    soon = (await alarm_state(a, room, set_in=3))["pending"]
    await pending_everywhere([b, c], room, soon)
    a.kill()
    try:
        fired = await fired_once_settled([b, c], room)
        assert len(fired) == 1 and fired[0] in {b.proc.pid, c.proc.pid}
    finally:
        a.start()


# Redis restarted during a burst ----------------------------------------------

async def ready(server: ServerProcess) -> bool:
    return (await fetch("GET", f"{server.http_url}/readyz")).status == 200


async def test_redis_restarted_during_a_burst_loses_nothing_acknowledged(
        trio, redis_server, room, join):
    a, b, c = trio
    writer = await join(a, room, pk="burst-1")
    welcome, _ = await writer.joined()
    reader = await join(c, room, pk="watch-1")
    await reader.joined()
    burst = 40
    for n in range(burst):
        await writer.send({"content": f"burst {n}", "cid": f"k{n}"})
    acknowledged = [await writer.skip_to("message") for _ in range(3)]
    redis_server.restart()
    # Every frame the writer got before its socket closed was acknowledged.
    async with asyncio.timeout(30):
        while True:
            try:
                frame = await writer.recv()
            except ConnectionClosed:
                break
            if frame.get("type") == "message":
                acknowledged.append(frame)
    # 1001: the subscription was lost (reconnect and resume); 1011: an append failed
    # first (docs/scaling.md, "Faults"): either way a close, never silence.
    assert await writer.close_code() in (1001, 1011)
    assert await reader.close_code() == 1001
    for server in trio:
        await until(lambda server=server: ready(server), f"{server.port} ready again")

    # The writer resumes on another process, and retries every cid, as partysocket
    # clients with an outbox do: each is stored once, the acknowledged ones untouched.
    last = acknowledged[-1]
    again = await join(b, room, pk="burst-1",
                       query={"since": str(last["id"]), "epoch": welcome["epoch"]})
    _, history = await again.joined()
    assert history["recovered"] is True  # the AOF kept the room: same epoch
    for n in range(burst):
        await again.send({"content": f"burst {n}", "cid": f"k{n}"})
    answers = [await again.skip_to("message") for _ in range(burst)]
    stored = (await fetch("GET", c.room_url(room, ws=False))).json()["messages"]
    assert sorted(m["cid"] for m in stored) == sorted(f"k{n}" for n in range(burst))
    by_cid = {m["cid"]: m for m in stored}
    for frame in acknowledged:
        assert by_cid[frame["cid"]] == frame  # nothing acknowledged lost or changed
    assert {m["cid"]: m["id"] for m in answers} == {m["cid"]: m["id"] for m in stored}
