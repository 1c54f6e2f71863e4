"""Connection ids: the ``_pk`` keyed by the user with the host's stored secret (issue 17)."""

from __future__ import annotations

from partywidget.protocol.names import check_connection_id
from partywidget.rooms.identity import ConnectionIds
from partywidget.storage import MemoryStorage


def test_the_same_users_same_pk_is_the_same_id_and_no_one_elses():
    ids = ConnectionIds()
    alice = ids.connection_id("alice", "tab-1")
    assert ids.connection_id("alice", "tab-1") == alice
    assert len({alice, ids.connection_id("bob", "tab-1"), ids.connection_id("alice", "tab-2"),
                ids.connection_id("bob", alice)}) == 4
    assert "tab" not in alice and check_connection_id(alice) == alice


def test_ids_and_guest_names_depend_on_the_secret():
    one, two = ConnectionIds(), ConnectionIds()
    assert one.connection_id("alice", "x") != two.connection_id("alice", "x")
    assert one.guest_tag("abcd-1") != one.guest_tag("abcd-2")
    assert len(one.guest_tag("abcd-1")) == 8


async def test_the_secret_is_kept_in_storage():
    storage = MemoryStorage()
    first = await ConnectionIds.load(storage)
    again = await ConnectionIds.load(storage)
    assert first.connection_id("alice", "x") == again.connection_id("alice", "x")
