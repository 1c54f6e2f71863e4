"""A room: broadcast, tags, hook errors, limits, duplicate ids, alarms and HTTP, without sockets."""

from __future__ import annotations

import asyncio
import json
import time

import pytest

from partywidget.errors import ProtocolError
from partywidget.rooms import CloseCode, IdConflict, Limits, Party, Request, Response
from partywidget.storage import MemoryStorage

from .conftest import FakeTransport


def request(method: str = "GET", path: str = "") -> Request:
    return Request(method, "http://test/parties/p/r", {"username": "alice"}, path=path)


# broadcast -------------------------------------------------------------------


class Echo(Party):
    async def on_message(self, message, sender):
        self.room.broadcast({"from": sender.id, "text": message})


class EchoToOthers(Party):
    async def on_message(self, message, sender):
        self.room.broadcast(message, exclude=[sender.id])


async def test_broadcast_reaches_every_connection_sender_included(make_host, join):
    room = (await make_host(Echo)).room("p", "r")
    a, b, c = [await join(room, id) for id in "abc"]
    await a.send("hi")
    for client in (a, b, c):
        assert client.frames == [{"from": "a", "text": "hi"}]


async def test_broadcast_skips_the_excluded_ids(make_host, join):
    room = (await make_host(EchoToOthers)).room("p", "r")
    a, b, c = [await join(room, id) for id in "abc"]
    await a.send("hi")
    assert a.frames == []
    assert b.frames == c.frames == ["hi"]


async def test_a_broadcast_is_encoded_once_and_the_same_object_reaches_everyone(make_host, join):
    room = (await make_host(Echo)).room("p", "r")
    clients = [await join(room, str(i)) for i in range(5)]
    await clients[0].send("hi")
    sent = [client.transport.sent for client in clients]
    assert all(len(s) == 1 for s in sent)
    assert len({id(s[0]) for s in sent}) == 1


async def test_str_and_bytes_are_broadcast_as_they_are(make_host, join):
    room = (await make_host(Party)).room("p", "r")
    a = await join(room, "a")
    room.broadcast("not json {")
    room.broadcast(b"\x00\x01")
    assert [(m.is_text, m.data) for m in a.transport.sent] == [(True, b"not json {"),
                                                               (False, b"\x00\x01")]


async def test_broadcast_refuses_a_single_id_given_as_exclude(make_host, join):
    room = (await make_host(Party)).room("p", "r")
    a = await join(room, "abc")
    with pytest.raises(TypeError, match="list of connection ids"):
        room.broadcast("x", exclude="abc")
    assert a.frames == []


# tags ------------------------------------------------------------------------


class Tagged(Party):
    async def on_connect(self, connection, ctx):
        connection.state = ctx.query.get("team")

    def get_connection_tags(self, connection, ctx):
        return [t for t in ctx.query.get("tags", "").split(",") if t]


async def test_connections_are_found_by_their_tags_and_always_by_their_id(make_host, join):
    room = (await make_host(Tagged)).room("p", "r")
    await join(room, "a", query={"tags": "red,admin"})
    await join(room, "b", query={"tags": "red"})
    await join(room, "c")
    assert [c.id for c in room.get_connections("red")] == ["a", "b"]
    assert [c.id for c in room.get_connections("admin")] == ["a"]
    assert [c.id for c in room.get_connections("c")] == ["c"]
    assert [c.id for c in room.get_connections()] == ["a", "b", "c"]
    assert room.get_connection("a").tags == ("a", "red", "admin")


@pytest.mark.parametrize("tags", [",".join(f"t{i}" for i in range(10)), "x" * 257])
async def test_tags_beyond_the_limits_refuse_the_connection_with_1011(make_host, join, tags):
    room = (await make_host(Tagged)).room("p", "r")
    client = await join(room, "a", query={"tags": tags})
    assert not client.joined
    assert client.close_code == CloseCode.INTERNAL_ERROR
    assert room.get_connection("a") is None


async def test_nine_tags_of_256_characters_are_within_the_limits(make_host, join):
    room = (await make_host(Tagged)).room("p", "r")
    tags = [f"{i}" * 256 for i in range(1, 10)]
    client = await join(room, "a", query={"tags": ",".join(tags)})
    assert client.joined and client.conn.tags == ("a", *tags)


class OneStringTag(Party):
    def get_connection_tags(self, connection, ctx):
        return "red"  # a str, not a sequence of tags


async def test_a_single_string_is_not_taken_for_a_list_of_tags(make_host, join):
    room = (await make_host(OneStringTag)).room("p", "r")
    client = await join(room)
    assert not client.joined and client.close_code == CloseCode.INTERNAL_ERROR
    assert list(room.get_connections("r")) == []


# hook errors -------------------------------------------------------------------


class Fragile(Party):
    """Raises from on_message on "boom" and from on_connect for ``?fail``."""

    errors: list[tuple[str, type[BaseException]]]

    async def on_start(self):
        self.errors = []
        self.closed = []

    async def on_connect(self, connection, ctx):
        if "fail" in ctx.query:
            raise RuntimeError("secret detail")

    async def on_message(self, message, sender):
        if message == "boom":
            raise RuntimeError("secret detail")
        if message == "rule":
            raise ProtocolError("no_rules", "expected no rules to be broken")
        self.room.broadcast(message)

    async def on_error(self, connection, error):
        self.errors.append((connection.id, type(error)))

    async def on_close(self, connection, code, reason):
        self.closed.append(connection.id)


async def test_on_message_raising_closes_that_connection_with_1011_and_the_room_goes_on(
        make_host, join):
    room = (await make_host(Fragile)).room("p", "r")
    a, b = await join(room, "a"), await join(room, "b")
    await a.send("boom")
    assert a.close_code == CloseCode.INTERNAL_ERROR
    assert "secret" not in a.transport.closes[0][1]
    assert room.party.errors == [("a", RuntimeError)]
    assert room.party.closed == ["a"]
    assert b.close_code is None and room.get_connection("a") is None
    await b.send("still here")
    assert b.frames == ["still here"]
    assert a.frames == []


async def test_on_connect_raising_refuses_that_connection_with_1011_only(make_host, join):
    room = (await make_host(Fragile)).room("p", "r")
    a = await join(room, "a")
    b = await join(room, "b", query={"fail": ""})
    assert not b.joined and b.close_code == CloseCode.INTERNAL_ERROR
    assert room.party.errors == [("b", RuntimeError)]
    assert list(room.connections) == ["a"]
    await a.send("fine")
    assert a.frames == ["fine"]


async def test_a_protocol_error_answers_the_sender_only_with_an_error_frame(make_host, join):
    room = (await make_host(Fragile)).room("p", "r")
    a, b = await join(room, "a"), await join(room, "b")
    await a.send("rule")
    assert a.frames == [{"type": "error", "code": "no_rules",
                         "message": "expected no rules to be broken"}]
    assert a.close_code is None
    assert b.frames == []
    assert room.party.errors == []


class FailingHandlers(Party):
    async def on_message(self, message, sender):
        raise RuntimeError("boom")

    async def on_error(self, connection, error):
        raise RuntimeError("on_error failed too")

    async def on_close(self, connection, code, reason):
        raise RuntimeError("on_close failed as well")


async def test_failing_error_and_close_hooks_still_close_and_remove_the_connection(
        make_host, join):
    room = (await make_host(FailingHandlers)).room("p", "r")
    a = await join(room, "a")
    await join(room, "b")
    await a.send("x")
    assert a.close_code == CloseCode.INTERNAL_ERROR and list(room.connections) == ["b"]


# limits ------------------------------------------------------------------------


async def test_messages_over_the_rate_are_refused_then_the_flooder_is_closed_with_4029(
        make_host, join):
    limits = Limits(messages_per_second=0.001, message_burst=2, max_refused_in_a_row=3)
    room = (await make_host(Echo, limits=limits)).room("p", "r")
    a, b = await join(room, "a"), await join(room, "b")
    for i in range(5):
        await a.send(f"m{i}")
    assert [f.get("text") for f in b.frames] == ["m0", "m1"]
    errors = [f for f in a.frames if f.get("type") == "error"]
    assert [e["code"] for e in errors] == ["rate_limited", "rate_limited"]
    assert a.close_code == CloseCode.FLOODING
    assert b.close_code is None


async def test_an_admitted_message_resets_the_refusal_count(make_host, join):
    limits = Limits(messages_per_second=0.001, message_burst=1, max_refused_in_a_row=2)
    room = (await make_host(Echo, limits=limits)).room("p", "r")
    a, b = await join(room, "a"), await join(room, "b")
    await a.send("m0")
    await a.send("refused")
    a.conn._bucket.tokens = 1.0  # as if a second had passed at a sane rate
    await a.send("m1")
    await a.send("refused again")
    assert [f.get("text") for f in b.frames] == ["m0", "m1"]
    assert a.close_code is None


async def test_messages_from_a_connection_that_left_are_ignored(make_host, join):
    room = (await make_host(Echo)).room("p", "r")
    a, b = await join(room, "a"), await join(room, "b")
    await a.leave()
    await a.send("late")
    assert b.frames == []


async def test_a_client_that_stops_reading_is_closed_with_4008_and_others_still_receive(
        make_host, join):
    limits = Limits(max_buffered_bytes=1000)
    room = (await make_host(Echo, limits=limits)).room("p", "r")
    a = await join(room, "a")
    slow = await join(room, "slow", transport=FakeTransport(buffered_amount=1001))
    await a.send("x" * 20)
    assert slow.close_code == CloseCode.SLOW_CONSUMER
    assert slow.transport.sent == []
    assert a.frames == [{"from": "a", "text": "x" * 20}]
    await slow.leave()
    await a.send("again")
    assert len(a.frames) == 2


async def test_a_frame_larger_than_the_queue_bound_reaches_a_client_that_keeps_up(
        make_host, join):
    # The bound is on what a client leaves unread, not on the size of one frame:
    # a joiner's history frame may be larger than the bound.
    room = (await make_host(Echo, limits=Limits(max_buffered_bytes=1000))).room("p", "r")
    a = await join(room, "a", transport=FakeTransport(buffered_amount=1000))
    await a.send("x" * 5000)
    assert a.close_code is None and a.frames == [{"from": "a", "text": "x" * 5000}]


async def test_a_binary_frame_to_a_text_only_party_closes_with_1008(make_host, join):
    room = (await make_host(Echo)).room("p", "r")
    a, b = await join(room, "a"), await join(room, "b")
    await a.send(b"\x00\x01")
    assert a.close_code == CloseCode.POLICY_VIOLATION
    assert b.frames == []


async def test_a_binary_party_receives_bytes(make_host, join):
    class Binary(Party):
        accepts_binary = True

        async def on_message(self, message, sender):
            self.room.broadcast(message)

    room = (await make_host(Binary)).room("p", "r")
    a = await join(room, "a")
    await a.send(b"\x00\x01")
    assert [(m.is_text, m.data) for m in a.transport.sent] == [(False, b"\x00\x01")]


# duplicate connection ids --------------------------------------------------------


class Presence(Party):
    async def on_start(self):
        self.events = []

    async def on_connect(self, connection, ctx):
        self.events.append(("connect", connection.id, connection.user["username"]))

    async def on_close(self, connection, code, reason):
        self.events.append(("close", connection.id, connection.user["username"]))


async def test_the_same_user_reusing_a_live_id_replaces_the_old_connection(make_host, join):
    room = (await make_host(Presence)).room("p", "r")
    old = await join(room, "same", {"username": "alice"})
    new = await join(room, "same", {"username": "alice"})
    assert new.joined
    assert old.close_code == CloseCode.REPLACED
    assert room.get_connection("same") is new.conn
    assert room.party.events == [("connect", "same", "alice"), ("close", "same", "alice"),
                                 ("connect", "same", "alice")]
    await old.leave()  # the old socket's close arrives later and changes nothing
    assert room.get_connection("same") is new.conn
    assert len(room.party.events) == 3


async def test_another_user_cannot_take_over_a_live_id(make_host, join):
    room = (await make_host(Presence)).room("p", "r")
    alice = await join(room, "same", {"username": "alice"})
    with pytest.raises(IdConflict):
        room.check_id("same", {"username": "mallory"})
    mallory = await join(room, "same", {"username": "mallory"})
    assert not mallory.joined and mallory.close_code == CloseCode.POLICY_VIOLATION
    assert alice.close_code is None
    assert room.get_connection("same") is alice.conn
    assert room.party.events == [("connect", "same", "alice")]


async def test_an_id_is_free_again_once_its_connection_left(make_host, join):
    room = (await make_host(Presence)).room("p", "r")
    alice = await join(room, "same", {"username": "alice"})
    await alice.leave()
    room.check_id("same", {"username": "bob"})
    bob = await join(room, "same", {"username": "bob"})
    assert bob.joined


# alarms ------------------------------------------------------------------------


class Alarmed(Party):
    fired: asyncio.Event

    async def on_start(self):
        self.fired = asyncio.Event()

    async def on_alarm(self):
        self.fired.set()


async def test_set_alarm_calls_on_alarm_and_forgets_the_alarm(make_host, join):
    room = (await make_host(Alarmed)).room("p", "r")
    party = await room.start()
    await room.set_alarm(time.time() + 0.01)
    assert await room.get_alarm() is not None
    await asyncio.wait_for(party.fired.wait(), 2)
    assert await room.get_alarm() is None
    assert await room._meta.get("alarm") is None


async def test_delete_alarm_cancels_it(make_host):
    room = (await make_host(Alarmed)).room("p", "r")
    party = await room.start()
    await room.set_alarm(time.time() + 0.05)
    await room.delete_alarm()
    assert await room.get_alarm() is None
    await asyncio.sleep(0.15)  # well past the cancelled time: nothing may fire
    assert not party.fired.is_set()


async def test_an_alarm_is_stored_and_rescheduled_when_the_room_loads_again(make_host):
    storage = MemoryStorage()
    first = (await make_host(Alarmed, storage=storage)).room("p", "r")
    await first.start()
    await first.set_alarm(time.time() + 0.05)
    await first.unload()  # e.g. the process restarts: the timer is gone, the stored alarm stays

    again = (await make_host(Alarmed, storage=storage)).room("p", "r")
    party = await again.start()
    assert await again.get_alarm() is not None
    await asyncio.wait_for(party.fired.wait(), 2)
    assert not first.party.fired.is_set()


async def test_a_new_alarm_replaces_the_earlier_one(make_host):
    room = (await make_host(Alarmed)).room("p", "r")
    party = await room.start()
    await room.set_alarm(time.time() + 3600)
    await room.set_alarm(time.time() + 0.01)
    await asyncio.wait_for(party.fired.wait(), 2)
    assert await room.get_alarm() is None  # the first one is gone, not pending


async def test_a_deleted_alarm_is_not_rescheduled_when_the_room_loads_again(make_host):
    storage = MemoryStorage()
    first = (await make_host(Alarmed, storage=storage)).room("p", "r")
    await first.start()
    await first.set_alarm(time.time() + 3600)
    await first.delete_alarm()
    await first.unload()
    again = (await make_host(Alarmed, storage=storage)).room("p", "r")
    await again.start()
    assert await again.get_alarm() is None


async def test_an_alarm_replaced_while_the_new_one_is_stored_neither_fires_nor_is_lost(
        make_host, held_storage):
    storage = held_storage
    room = (await make_host(Alarmed, storage=storage)).room("p", "r")
    party = await room.start()
    await room.set_alarm(time.time() + 0.02)
    storage.hold = "after put"
    later = time.time() + 3600
    replacing = asyncio.ensure_future(room.set_alarm(later))
    await asyncio.wait_for(storage.held.wait(), 2)
    await asyncio.sleep(0.1)  # past the replaced alarm's time
    storage.release.set()
    await replacing
    assert not party.fired.is_set()
    assert await room.get_alarm() == later and await room._meta.get("alarm") == later


async def test_an_alarm_hook_that_raises_is_logged_and_the_room_goes_on(make_host, join, caplog):
    class Broken(Party):
        async def on_alarm(self):
            raise RuntimeError("alarm failed")

    room = (await make_host(Broken)).room("p", "r")
    a = await join(room, "a")
    await room.set_alarm(time.time())
    await asyncio.sleep(0)
    for _ in range(100):
        if any("on_alarm failed" in r.message for r in caplog.records):
            break
        await asyncio.sleep(0.01)
    assert any("on_alarm failed" in r.message for r in caplog.records)
    assert a.close_code is None and room.get_connection("a") is a.conn


# HTTP --------------------------------------------------------------------------


async def test_on_request_answers_404_by_default(make_host):
    room = (await make_host(Party)).room("p", "r")
    response = await room.request(request())
    assert response.status == 404
    assert json.loads(response.body)["code"] == "not_found"


async def test_a_protocol_error_from_on_request_is_a_400_json_error(make_host):
    class Strict(Party):
        async def on_request(self, req):
            req.json()

    room = (await make_host(Strict)).room("p", "r")
    response = await room.request(request("POST"))
    assert response.status == 400
    assert response.headers["Content-Type"].startswith("application/json")
    assert json.loads(response.body)["code"] == "bad_json"


async def test_an_exception_in_on_request_is_a_500_without_the_traceback(make_host):
    class Crashing(Party):
        async def on_request(self, req):
            raise RuntimeError("database password is hunter2")

    room = (await make_host(Crashing)).room("p", "r")
    response = await room.request(request())
    assert response.status == 500
    body = response.body.decode()
    assert json.loads(body)["code"] == "internal"
    assert "hunter2" not in body and "Traceback" not in body and "RuntimeError" not in body


async def test_on_request_returning_something_else_than_a_response_is_a_500_json(make_host):
    class Sloppy(Party):
        async def on_request(self, req):
            return {"not": "a Response"}

    room = (await make_host(Sloppy)).room("p", "r")
    response = await room.request(request())
    assert response.status == 500 and json.loads(response.body)["code"] == "internal"


async def test_on_request_answers_with_the_response_the_party_returns(make_host):
    class Answers(Party):
        async def on_request(self, req):
            return Response.json({"path": req.path, "method": req.method}, 201)

    room = (await make_host(Answers)).room("p", "r")
    response = await room.request(request("PUT", "sub/path"))
    assert response.status == 201
    assert json.loads(response.body) == {"path": "sub/path", "method": "PUT"}


async def test_a_socket_closed_twice_by_its_adapter_leaves_the_room_once(make_host, join):
    # Tornado calls on_close twice when the server closes (once from the
    # transport's close, once when the socket ends): the room hears it once,
    # and the disconnect runs as a task the host keeps, with the server's code.
    from partywidget.server.handler import RoomHandlerMixin

    closes: list[tuple[str, int | None, str]] = []

    class Recording(Party):
        async def on_close(self, connection, code, reason):
            closes.append((connection.id, code, reason))

    host = await make_host(Recording)
    room = host.room("p", "r")
    client = await join(room, "a")
    handler = RoomHandlerMixin()
    handler._room, handler._conn = room, client.conn
    client.conn.close(4003, "removed")
    handler.on_close()
    handler.on_close()
    assert len(host._tasks) == 1
    await asyncio.wait(list(host._tasks))
    assert closes == [("a", 4003, "removed")]
