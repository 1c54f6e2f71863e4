"""A connection on its own: sending, the queue bound, closing once, tags."""

from __future__ import annotations

import pytest

from partywidget.rooms import CloseCode, Connection, Limits, Outgoing

from .conftest import FakeTransport


def connection(transport: FakeTransport, **limits: int) -> Connection:
    return Connection("c1", {"username": "alice"}, transport, limits=Limits(**limits))


def test_send_encodes_values_as_json_and_passes_str_and_bytes_as_they_are(transport):
    conn = connection(transport)
    conn.send({"a": 1})
    conn.send("text")
    conn.send(b"\x00")
    assert [(m.is_text, m.data) for m in transport.sent] == [
        (True, b'{"a":1}'), (True, b"text"), (False, b"\x00")]


def test_deliver_hands_over_the_very_same_outgoing_object(transport):
    out = Outgoing.of("shared")
    connection(transport).deliver(out)
    assert transport.sent[0] is out


def test_a_connection_closes_once_and_sends_nothing_afterwards(transport):
    conn = connection(transport)
    conn.close(CloseCode.GOING_AWAY, "bye")
    conn.close(CloseCode.INTERNAL_ERROR, "again")
    conn.send("too late")
    assert transport.closes == [(1001, "bye")] and transport.sent == [] and not conn.open


def test_a_client_is_closed_with_4008_once_its_unread_bytes_pass_the_bound():
    transport = FakeTransport(buffered_amount=100)
    conn = connection(transport, max_buffered_bytes=100)
    conn.send("x" * 1000)  # at the bound: a large frame still goes (e.g. a joiner's history)
    transport.buffered_amount = 101
    conn.send("y")
    assert [m.data[:1] for m in transport.sent] == [b"x"]
    assert transport.close_code == CloseCode.SLOW_CONSUMER


def test_the_id_is_always_the_first_tag(transport):
    conn = connection(transport)
    conn.set_tags(["red", "c1", "blue"])
    assert conn.tags == ("c1", "red", "blue")
    conn.set_tags(None)
    assert conn.tags == ("c1",)


@pytest.mark.parametrize("tags", ["red", ["ok", ""], ["ok", 7], [f"t{i}" for i in range(10)]])
def test_tags_that_break_the_rules_are_refused(transport, tags):
    with pytest.raises(ValueError):
        connection(transport).set_tags(tags)


def test_info_is_what_presence_lists_show(transport):
    assert connection(transport).info() == {"id": "c1", "user": {"username": "alice"}}


def test_the_user_is_a_copy_of_what_the_host_gave(transport):
    user = {"username": "alice"}
    conn = Connection("c1", user, transport)
    user["username"] = "mallory"
    assert conn.user == {"username": "alice"}


def test_the_user_json_follows_the_user_when_a_party_changes_it(transport):
    conn = Connection("c1", {"username": "alice"}, transport)
    assert conn.user_json() == '{"username":"alice"}'
    assert conn.user_json() is conn.user_json()  # encoded once while it stays equal
    conn.user["name"] = "Alice"
    assert conn.user_json() == '{"username":"alice","name":"Alice"}'
    conn.user = {"username": "bob"}
    assert conn.user_json() == '{"username":"bob"}'


def test_a_connection_over_its_byte_rate_is_refused_while_its_message_rate_is_fine():
    limits = Limits(bytes_per_second=1000, byte_burst=4000, max_frame_size=2000)
    conn = Connection("c", {"username": "u"}, FakeTransport(), limits=limits)

    assert conn.admit(3000)
    assert conn.admit(1000)
    assert not conn.admit(1000)  # the 4,000-byte burst is spent
    assert conn.admit(0)  # a message too small to count still passes the message rate


def test_a_byte_burst_smaller_than_one_frame_still_lets_a_full_frame_through():
    limits = Limits(bytes_per_second=10, byte_burst=100, max_frame_size=5000)
    conn = Connection("c", {"username": "u"}, FakeTransport(), limits=limits)

    assert conn.admit(5000)
