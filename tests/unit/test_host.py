"""The room host: names before rooms, on_start once, idle unload, shutdown."""

from __future__ import annotations

import asyncio
import time

import pytest

from partywidget.errors import InvalidName, TooManyRooms, UnknownParty
from partywidget.parties import ChatParty
from partywidget.rooms import (CloseCode, Connection, ConnectionContext, Limits, Party, Request,
                               Response, RoomHost)
from partywidget.rooms.identity import SECRET_ROOM
from partywidget.storage import MemoryStorage

IDLE = Limits(idle_unload_seconds=0.01)
#: Several idle delays: long enough that an unload that should not happen would have.
WELL_AFTER_IDLE = 0.1


def request() -> Request:
    return Request("GET", "http://test/parties/p/r", {"username": "alice"})


async def unloaded(host: RoomHost, key: tuple[str, str] = ("p", "r")) -> bool:
    """Wait (bounded) for ``key`` to leave the host; True if it did."""
    for _ in range(200):
        if key not in host.rooms:
            return True
        await asyncio.sleep(0.01)
    return False


# names and parties ---------------------------------------------------------------


def test_a_host_refuses_bad_party_names_and_non_parties():
    with pytest.raises(InvalidName):
        RoomHost(MemoryStorage(), {"../x": Party})
    with pytest.raises(TypeError):
        RoomHost(MemoryStorage(), {"p": object})  # type: ignore[dict-item]
    with pytest.raises(ValueError):
        RoomHost(MemoryStorage(), {"p": Party}, limits=Limits(history=0))


async def test_bad_names_and_unknown_parties_are_refused_before_a_room_exists(make_host):
    host = await make_host(Party)
    with pytest.raises(InvalidName):
        host.room("p", "..")
    with pytest.raises(InvalidName):
        host.room("..", "r")
    with pytest.raises(UnknownParty):
        host.room("nope", "r")
    assert host.rooms == {}


async def test_a_room_is_created_once_and_shared(make_host):
    host = await make_host(Party)
    room = host.room("p", "r")
    assert host.room("p", "r") is room and host.room("p", "other") is not room
    assert room.key == "p/r" and room.party is None  # created, not started


async def test_rooms_of_different_parties_have_separate_storage(make_host):
    host = await make_host({"one": Party, "two": Party})
    await host.room("one", "r").storage.put("k", 1)
    assert await host.room("two", "r").storage.get("k") is None
    assert await host.room("one", "r").storage.get("k") == 1


# on_start ------------------------------------------------------------------------


def starting_party(gate: asyncio.Event | None = None) -> type[Party]:
    """A fresh party class that records its starts, connections and requests."""

    class Starting(Party):
        starts = 0

        async def on_start(self):
            type(self).starts += 1
            self.events = ["start"]
            if gate is not None:
                await gate.wait()

        async def on_connect(self, connection, ctx):
            self.events.append(f"connect {connection.id}")

        async def on_request(self, request):
            self.events.append("request")
            return Response.text("ok")

    return Starting


async def test_on_start_runs_once_before_the_first_connection(make_host, join):
    party = starting_party()
    room = (await make_host(party)).room("p", "r")
    await join(room, "a")
    await join(room, "b")
    await room.request(request())
    assert party.starts == 1
    assert room.party.events == ["start", "connect a", "connect b", "request"]


async def test_on_start_runs_before_the_first_request(make_host):
    room = (await make_host(starting_party())).room("p", "r")
    assert (await room.request(request())).status == 200
    assert room.party.events == ["start", "request"]


async def test_concurrent_joins_start_the_room_once(make_host, join):
    gate = asyncio.Event()
    party = starting_party(gate)
    room = (await make_host(party)).room("p", "r")
    joins = [asyncio.ensure_future(join(room, id)) for id in "abc"]
    await asyncio.sleep(0)
    assert not any(j.done() for j in joins)  # all wait for on_start
    gate.set()
    clients = await asyncio.gather(*joins)
    assert all(c.joined for c in clients) and party.starts == 1
    assert sorted(room.party.events[1:]) == ["connect a", "connect b", "connect c"]


async def test_a_client_that_drops_while_the_room_starts_is_never_admitted(make_host, transport):
    gate = asyncio.Event()
    party = starting_party(gate)
    host = await make_host(party, limits=IDLE)
    room = host.room("p", "r")
    conn = Connection("a", {"username": "alice"}, transport, limits=room.limits)
    connecting = asyncio.ensure_future(
        room.connect(conn, ConnectionContext(Request("GET", "ws://test/parties/p/r", conn.user))))
    await asyncio.sleep(0)
    await room.disconnect(conn)  # the adapter saw the socket close during on_start
    gate.set()
    assert await connecting is False
    assert room.connections == {} and room.party.events == ["start"]
    assert await unloaded(host)


async def test_a_failed_on_start_refuses_that_join_and_is_retried_by_the_next(make_host, join):
    class FailsOnce(Party):
        attempts = 0

        async def on_start(self):
            type(self).attempts += 1
            if self.attempts == 1:
                raise RuntimeError("database not ready")

    room = (await make_host(FailsOnce)).room("p", "r")
    first = await join(room, "a")
    assert not first.joined and first.close_code == CloseCode.INTERNAL_ERROR
    assert room.party is None and room.connections == {}
    second = await join(room, "b")
    assert second.joined and second.close_code is None and FailsOnce.attempts == 2
    assert room.party is not None


async def test_a_failed_on_start_answers_a_request_with_500(make_host):
    class Fails(Party):
        async def on_start(self):
            raise RuntimeError("no")

    room = (await make_host(Fails)).room("p", "r")
    assert (await room.request(request())).status == 500


# idle unload ---------------------------------------------------------------------


async def test_a_room_is_unloaded_after_its_last_connection_leaves(make_host, join):
    host = await make_host(starting_party(), limits=IDLE)
    room = host.room("p", "r")
    a, b = await join(room, "a"), await join(room, "b")
    await a.leave()
    await asyncio.sleep(WELL_AFTER_IDLE)
    assert host.rooms == {("p", "r"): room}  # b is still there
    await b.leave()
    assert await unloaded(host)
    assert host.room("p", "r") is not room  # the next visitor gets a fresh room


async def test_a_room_is_unloaded_after_a_failed_start(make_host, join):
    class Fails(Party):
        async def on_start(self):
            raise RuntimeError("no")

    host = await make_host(Fails, limits=IDLE)
    await join(host.room("p", "r"))
    assert await unloaded(host)


async def test_a_room_is_not_unloaded_while_a_request_is_in_flight(make_host):
    release = asyncio.Event()

    class Waits(Party):
        async def on_request(self, request):
            await release.wait()
            return Response.text("done")

    host = await make_host(Waits, limits=IDLE)
    room = host.room("p", "r")
    pending = asyncio.ensure_future(room.request(request()))
    await asyncio.sleep(WELL_AFTER_IDLE)
    assert ("p", "r") in host.rooms
    release.set()
    assert (await pending).status == 200
    assert await unloaded(host)


async def test_a_room_is_not_unloaded_while_an_alarm_is_pending(make_host, join):
    class Alarmed(Party):
        async def on_connect(self, connection, ctx):
            await self.room.set_alarm(time.time() + 3600)

    host = await make_host(Alarmed, limits=IDLE)
    room = host.room("p", "r")
    client = await join(room)
    await client.leave()
    await asyncio.sleep(WELL_AFTER_IDLE)
    assert ("p", "r") in host.rooms
    await room.delete_alarm()
    assert await unloaded(host)


async def test_a_room_is_not_unloaded_while_its_alarm_hook_runs(make_host, join):
    running, finish = asyncio.Event(), asyncio.Event()

    class SlowAlarm(Party):
        async def on_alarm(self):
            running.set()
            await finish.wait()

    host = await make_host(SlowAlarm, limits=IDLE)
    room = host.room("p", "r")
    client = await join(room)
    await room.set_alarm(time.time())
    await asyncio.wait_for(running.wait(), 5)
    await client.leave()  # the last connection leaves while on_alarm is still running
    await asyncio.sleep(WELL_AFTER_IDLE)
    assert host.rooms == {("p", "r"): room}
    finish.set()
    assert await unloaded(host)


async def test_a_room_whose_alarm_fired_is_unloaded_afterwards(make_host):
    fired = asyncio.Event()

    class Alarmed(Party):
        async def on_request(self, request):
            await self.room.set_alarm(time.time() + 0.02)
            return Response.text("set")

        async def on_alarm(self):
            fired.set()

    host = await make_host(Alarmed, limits=IDLE)
    await host.room("p", "r").request(request())
    await asyncio.wait_for(fired.wait(), 5)
    assert await unloaded(host)


async def test_a_visit_during_the_idle_delay_keeps_the_room(make_host, join):
    host = await make_host(starting_party(), limits=Limits(idle_unload_seconds=0.05))
    room = host.room("p", "r")
    await (await join(room, "a")).leave()
    assert host.room("p", "r") is room  # cancels the pending unload
    await join(room, "b")
    await asyncio.sleep(WELL_AFTER_IDLE)
    assert host.rooms == {("p", "r"): room}


async def test_a_room_given_an_alarm_during_its_idle_delay_is_kept(make_host, join):
    # A party's own task may set an alarm after the last client left: the
    # pending unload must look again when it fires, not trust its schedule.
    host = await make_host(starting_party(), limits=IDLE)
    room = host.room("p", "r")
    await (await join(room, "a")).leave()
    await room.set_alarm(time.time() + 3600)
    await asyncio.sleep(WELL_AFTER_IDLE)
    assert host.rooms == {("p", "r"): room}
    await room.delete_alarm()
    assert await unloaded(host)


# shutdown ------------------------------------------------------------------------


async def test_closing_the_host_closes_every_connection_with_1001(make_host, join):
    class Closes(Party):
        closed: list[str] = []

        async def on_close(self, connection, code, reason):
            self.closed.append(connection.id)

    host = await make_host({"p": Closes})
    a, b = await join(host.room("p", "r"), "a"), await join(host.room("p", "s"), "b")
    await host.close()
    assert a.close_code == b.close_code == CloseCode.GOING_AWAY
    assert sorted(Closes.closed) == ["a", "b"] and host.rooms == {}


async def test_a_stored_alarm_wakes_its_room_after_a_restart_without_any_visit(make_host):
    storage = MemoryStorage()  # outlives the first host, as a file would
    fired = asyncio.Event()

    class Reminder(Party):
        async def on_request(self, request):
            await self.room.set_alarm(time.time() + 0.3)
            return Response.text("set")

        async def on_alarm(self):
            fired.set()

    first = await make_host(Reminder, storage=storage)
    await first.room("p", "r").request(request())
    await first.close()  # the server goes down before the alarm is due
    assert not fired.is_set()

    second = await make_host(Reminder, storage=storage)
    await asyncio.wait_for(fired.wait(), 5)  # nobody connected or requested anything
    assert ("p", "r") in second.rooms


async def test_a_stored_alarm_of_a_party_no_longer_registered_is_left_alone(make_host):
    storage = MemoryStorage()

    class Reminder(Party):
        async def on_request(self, request):
            await self.room.set_alarm(time.time())
            return Response.text("set")

    first = await make_host({"gone": Reminder}, storage=storage)
    await first.room("gone", "r").request(request())
    await first.close()

    second = await make_host({"p": Party}, storage=storage)
    await asyncio.sleep(0.05)
    assert second.rooms == {}


# what room names cost (issue 17) -------------------------------------------------


async def test_each_user_loads_rooms_at_a_bounded_rate(make_host):
    host = await make_host(Party, limits=Limits(room_loads_per_minute=5))
    for n in range(5):
        host.room("p", f"r{n}", loader="alice")
    with pytest.raises(TooManyRooms):
        host.room("p", "r5", loader="alice")
    assert host.room("p", "r0", loader="alice") is host.rooms[("p", "r0")]  # loaded: free
    host.room("p", "r5", loader="bob")  # another user has their own allowance
    host.room("p", "r6")  # alarms and parties' own calls name no user
    assert ("p", "r5") in host.rooms and ("p", "r6") in host.rooms


async def test_a_room_only_looked_at_leaves_nothing_in_memory_once_unloaded(make_host, join):
    storage = MemoryStorage()
    host = await make_host(ChatParty, limits=IDLE, storage=storage)
    room = host.room("p", "r")
    response = await room.request(request())
    assert response.status == 200
    client = await join(host.room("p", "r"), "a")
    await client.leave()
    assert await unloaded(host)
    # Only the host's own secret (connection ids) is kept, never a key per room name.
    assert storage._logs == {} and set(storage._kv) <= {SECRET_ROOM}
