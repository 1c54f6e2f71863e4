"""Rooms shared by two room hosts through a backplane, without Redis.

``LoopbackBackplane`` is the backplane reduced to one event loop: each host
gets its own, all of them share one "server" (the channels and the members),
and a published broadcast reaches every subscriber on a later loop turn, as
pub/sub does. Two hosts over one MemoryStorage then play two processes.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Callable
from typing import Any

import pytest

from partywidget.parties import ChatParty
from partywidget.protocol.close import CloseCode
from partywidget.rooms import RoomHost
from partywidget.rooms.backplane import (Backplane, Broadcast, Listener, OffsetOrder, batch_origin,
                                        decode_batch, encode_batch)
from partywidget.rooms.room import ALARM_SIGNAL, REMOVED_SIGNAL
from partywidget.protocol.outgoing import Outgoing
from partywidget.storage import MemoryStorage

from .conftest import ALICE, BOB, TEACHER

_ids = itertools.count()


class Hub:
    """What Redis would hold: subscribers per channel, members, live processes."""

    def __init__(self) -> None:
        self.subscribers: dict[str, dict[str, Listener]] = {}
        self.members: dict[str, dict[str, tuple[str, dict[str, Any]]]] = {}
        self.alive: set[str] = set()


class LoopbackBackplane(Backplane):
    #: Short, so the hosts' presence sweeps run within a test.
    member_expiry = 0.03

    def __init__(self, hub: Hub) -> None:
        self.hub = hub
        self.id = f"p{next(_ids)}"

    async def start(self) -> None:
        self.hub.alive.add(self.id)

    async def close(self) -> None:
        self.hub.alive.discard(self.id)

    async def subscribe(self, room: str, listener: Listener) -> None:
        self.hub.subscribers.setdefault(room, {})[self.id] = listener

    async def unsubscribe(self, room: str, listener: Listener) -> None:
        if self.hub.subscribers.get(room, {}).get(self.id) == listener:
            del self.hub.subscribers[room][self.id]

    def publish(self, room: str, item: Broadcast) -> None:
        data = encode_batch([item])  # what crosses is bytes, as on Redis
        for listener in list(self.hub.subscribers.get(room, {}).values()):
            (heard,) = decode_batch(data)
            asyncio.get_running_loop().call_soon(listener, heard)

    async def add_member(self, room: str, id: str, info: dict[str, Any]) -> None:
        self.hub.members.setdefault(room, {})[id] = (self.id, info)

    async def remove_member(self, room: str, id: str) -> None:
        members = self.hub.members.get(room, {})
        if members.get(id, ("",))[0] == self.id:
            del members[id]

    async def members(self, room: str) -> list[dict[str, Any]]:
        return [info for proc, info in self.hub.members.get(room, {}).values()
                if proc in self.hub.alive]

    async def claim_lost(self, room: str) -> list[dict[str, Any]]:
        members = self.hub.members.get(room, {})
        lost = [id for id, (proc, _) in members.items() if proc not in self.hub.alive]
        return [members.pop(id)[1] for id in lost]


async def settle() -> None:
    """Let every published broadcast reach every subscriber (bounded loop turns)."""
    for _ in range(20):
        await asyncio.sleep(0)


@pytest.fixture
async def rooms():
    """The same chat room on two hosts sharing storage and a backplane."""
    hub, storage = Hub(), MemoryStorage()
    pair = []
    for _ in range(2):
        host = RoomHost(storage, {"main": ChatParty}, backplane=LoopbackBackplane(hub))
        await host.start()
        pair.append(host)
    yield hub, pair[0].room("main", "r"), pair[1].room("main", "r")
    for host in pair:
        await host.close()


async def test_messages_cross_hosts_once_each_with_exclusions(rooms, join):
    _, room_a, room_b = rooms
    alice = await join(room_a, "a1", ALICE)
    bob = await join(room_b, "b1", BOB)
    await settle()
    await alice.send({"content": "hi", "cid": "c1"})
    await bob.send({"content": "hello"})
    await settle()
    for client in (alice, bob):
        assert [m["content"] for m in client.of_type("message")] == ["hi", "hello"]
    assert bob.of_type("userJoined") == []  # its own join excluded, on the other host too
    assert [f["id"] for f in alice.of_type("userJoined")] == ["b1"]


async def test_presence_is_global_and_a_dead_hosts_users_leave(rooms, join):
    hub, room_a, room_b = rooms
    await join(room_a, "a1", ALICE)
    await settle()
    bob = await join(room_b, "b1", BOB)
    welcome = bob.of_type("welcome")[0]
    assert [u["id"] for u in welcome["users"]] == ["a1", "b1"]
    hub.alive.discard(room_a._host.backplane.id)  # host A died without a goodbye
    for _ in range(200):  # bounded: host B sweeps every 10 ms
        if bob.of_type("userLeft"):
            break
        await asyncio.sleep(0.01)
    assert bob.of_type("userLeft") == [{"type": "userLeft", "id": "a1", "user": ALICE}]


async def test_a_lock_and_a_removal_take_effect_on_every_host(rooms, join):
    _, room_a, room_b = rooms
    teacher = await join(room_a, "t1", TEACHER)
    bob = await join(room_b, "b1", BOB)
    await settle()
    await teacher.send({"type": "lock", "locked": True})
    await settle()
    await bob.send({"content": "may I?"})
    assert bob.of_type("error")[-1]["code"] == "locked"
    await teacher.send({"type": "remove", "id": "b1"})
    await settle()
    assert bob.close_code == CloseCode.REMOVED
    again = await join(room_b, "b2", BOB)
    assert again.close_code == CloseCode.REMOVED


async def test_a_joiner_never_gets_a_frame_its_history_held(rooms, join):
    _, room_a, room_b = rooms
    alice = await join(room_a, "a1", ALICE)
    await alice.send({"content": "in flight"})  # published, not yet heard by host B
    bob = await join(room_b, "b1", BOB)
    await settle()
    assert [m["content"] for m in bob.of_type("history")[0]["messages"]] == ["in flight"]
    assert bob.of_type("message") == []


class Counting(ChatParty):
    """Counts its alarms on every host (one class attribute for the whole test)."""

    alarms: list[str] = []

    async def on_alarm(self) -> None:
        Counting.alarms.append(self.room._host.backplane.id)


async def test_an_alarm_fires_once_per_room_not_once_per_host():
    hub, storage = Hub(), MemoryStorage()
    hosts = [RoomHost(storage, {"main": Counting}, backplane=LoopbackBackplane(hub))
             for _ in range(2)]
    Counting.alarms = []
    try:
        for host in hosts:
            await host.start()
        first = hosts[0].room("main", "r")
        await first.start()
        await first.set_alarm(time.time() + 0.05)
        second = hosts[1].room("main", "r")
        await second.start()  # schedules the stored alarm too
        assert second._alarm_at is not None
        for _ in range(300):  # bounded: the alarm is due in 50 ms
            if first.idle and second.idle and Counting.alarms:
                break
            await asyncio.sleep(0.01)
        assert len(Counting.alarms) == 1
    finally:
        for host in hosts:
            await host.close()


async def test_an_alarm_set_or_deleted_on_one_host_is_scheduled_on_the_others():
    hub, storage = Hub(), MemoryStorage()
    hosts = [RoomHost(storage, {"main": Counting}, backplane=LoopbackBackplane(hub))
             for _ in range(2)]
    try:
        for host in hosts:
            await host.start()
        first, second = (host.room("main", "r") for host in hosts)
        await first.start()
        await second.start()  # loaded before the alarm is set: no stored time to read
        when = time.time() + 600
        await first.set_alarm(when)
        await settle()
        assert second._alarm_at == when
        await first.delete_alarm()
        await settle()
        assert second._alarm_at is None
    finally:
        for host in hosts:
            await host.close()



class SlowStart(ChatParty):
    """Starts only when the test says so, and records what its hooks were handed."""

    go: asyncio.Event
    heard: list[Any] = []

    async def on_start(self) -> None:
        await SlowStart.go.wait()
        await super().on_start()

    def on_broadcast(self, message: Outgoing, exclude, offset: int) -> None:
        SlowStart.heard.append((self.room._host.backplane.id, message.data))
        super().on_broadcast(message, exclude, offset)

    def on_signal(self, data) -> None:
        SlowStart.heard.append((self.room._host.backplane.id, dict(data)))
        super().on_signal(data)


async def test_what_is_heard_while_the_party_starts_reaches_it_in_order_after():
    hub, storage = Hub(), MemoryStorage()
    hosts = [RoomHost(storage, {"main": SlowStart}, backplane=LoopbackBackplane(hub))
             for _ in range(2)]
    SlowStart.go, SlowStart.heard = asyncio.Event(), []
    try:
        for host in hosts:
            await host.start()
        first, second = (host.room("main", "r") for host in hosts)
        SlowStart.go.set()
        await first.start()
        SlowStart.go.clear()
        starting = asyncio.ensure_future(second.start())
        for _ in range(20):  # bounded: until the second host listens
            if hub.subscribers.get(second.key, {}).get(hosts[1].backplane.id):
                break
            await asyncio.sleep(0)
        first.broadcast("one")
        first.signal({"locked": True})
        first.broadcast("two")
        await settle()
        late = hosts[1].backplane.id
        assert not starting.done()
        assert [data for who, data in SlowStart.heard if who == late] == []
        SlowStart.go.set()
        await starting
        assert [data for who, data in SlowStart.heard if who == late] == [
            b"one", {"locked": True}, b"two"]
    finally:
        for host in hosts:
            await host.close()


@pytest.mark.parametrize("forged", [{REMOVED_SIGNAL: "bob"}, {ALARM_SIGNAL: None}])
async def test_a_party_signal_cannot_forge_the_room_cores_own(rooms, join, forged):
    _, room_a, _ = rooms
    alice = await join(room_a, "a1", ALICE)  # the party has started
    with pytest.raises(ValueError, match="reserved"):
        room_a.signal(forged)
    await alice.send({"content": "still here"})
    await settle()
    assert alice.of_type("message")



@pytest.mark.parametrize("bad", [{"when": {1, 2}}, {"x": float("nan")}, {"at": time}])
async def test_a_signal_that_is_not_json_is_refused_to_its_caller(rooms, join, bad):
    _, room_a, room_b = rooms
    await join(room_a, "a1", ALICE)
    with pytest.raises((TypeError, ValueError)):
        room_a.signal(bad)
    room_a.signal({"fine": [1]})  # the room still signals


# the pieces --------------------------------------------------------------------------


def frame(offset: int) -> Broadcast:
    return Broadcast(Outgoing.of(f"m{offset}"), offset=offset)


def collector() -> tuple[list[int], Callable[[Broadcast], None]]:
    got: list[int] = []
    return got, lambda item: got.append(item.offset)


async def test_offset_order_releases_log_frames_in_offset_order():
    got, release = collector()
    order = OffsetOrder(release)
    for offset in (3, 5, 4, 6):
        order.feed(frame(offset))
    order.feed(Broadcast(Outgoing.of("presence")))
    assert got == [3, 4, 5, 6, 0]
    order.close()


async def test_offset_order_from_a_known_top_holds_even_the_first_frame_heard():
    got, release = collector()
    order = OffsetOrder(release)
    order.start_after(0)  # a new room: offset 1 comes first, whoever published it last
    order.feed(frame(2))
    order.feed(frame(1))
    assert got == [1, 2]
    order.close()


async def test_offset_order_skips_a_gap_that_never_fills():
    got, release = collector()
    order = OffsetOrder(release, hold_seconds=0.01)
    order.feed(frame(1))
    order.feed(frame(3))
    assert got == [1]
    for _ in range(200):  # bounded: the hold is 10 ms
        if got == [1, 3]:
            break
        await asyncio.sleep(0.01)
    assert got == [1, 3]
    order.feed(frame(2))  # late: delivered, not lost
    assert got == [1, 3, 2]


BROADCASTS = [
    Broadcast(Outgoing.of('{"type":"message"}'), ("a", "b"), 7, origin="p1"),
    Broadcast(Outgoing.of(b"\x00\xff\n"), (), origin="p1"),
    Broadcast(Outgoing.of('{"a":1}'), ('forged\n{"t":1}\n', "b"), 3, origin="p1"),  # ids stay in the header
    Broadcast(signal={"locked": True}, origin="p1"),
]


def same(back: Broadcast, item: Broadcast) -> bool:
    return ((back.exclude, back.offset, back.signal, back.origin) ==
            (item.exclude, item.offset, item.signal, item.origin)
            and (back.message is None) == (item.message is None)
            and (item.message is None or (back.message.data, back.message.is_text) ==
                 (item.message.data, item.message.is_text)))


@pytest.mark.parametrize("item", BROADCASTS)
def test_a_broadcast_crosses_as_bytes_unchanged(item):
    (back,) = decode_batch(encode_batch([item]))
    assert same(back, item)


def test_a_batch_crosses_whole_and_in_order():
    data = encode_batch(BROADCASTS)
    assert batch_origin(data) == b"p1"
    back = decode_batch(data)
    assert len(back) == len(BROADCASTS)
    assert all(same(b, i) for b, i in zip(back, BROADCASTS))


@pytest.mark.parametrize("data", [
    b"p1\n[{\"t\":1,\"n\":9}]\nshort",  # a body past the end
    b"p1\n[{\"t\":1,\"n\":1}]\nab",  # bytes no header accounts for
    b"p1\n{}\n",  # headers not a list
    b"p1 no header line",
    b'p1\n[{"t":1,"n":2},{"t":1,"n":-2},{"t":1,"n":2}]\nab',  # a negative length: "ab" twice
    b'p1\n[{"t":1,"n":"2"}]\nab',  # lengths are integers
    b'p1\n[{"t":1,"n":1.5}]\nab',
    b'p1\n[{"t":1}]\n',  # no length
    b'p1\n["x"]\n',  # headers are objects
    b'p1\n[3]\n',
    b'p1\n[{"x":"ab"}]\n',  # exclusions are a list of ids
    b'p1\n[{"x":0}]\n',  # even when empty-looking
    b'p1\n[{"x":null}]\n',
    b'p1\n[{"x":["a",1]}]\n',
    b'p1\n[{"o":true}]\n',
    b'p1\n[{"o":"7"}]\n',
    b'p1\n[{"s":[1]}]\n',  # a signal is an object
])
def test_a_malformed_batch_is_refused(data):
    with pytest.raises(ValueError):
        decode_batch(data)


def test_a_batch_has_one_origin():
    with pytest.raises(ValueError):
        encode_batch([Broadcast(signal={}, origin="p1"), Broadcast(signal={}, origin="p2")])
