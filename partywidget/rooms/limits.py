"""Limits that keep one client from hurting a room, each with a documented default.

The defaults follow PartyKit where PartyKit has one (1 MiB frames, 2 KiB keys,
128 KiB values, 10 tags of 256 characters) and the delivery contract elsewhere
(a bounded outgoing queue per connection, closed as a slow consumer past it).
A party may change the ones in :data:`PARTY_OPTIONS` for its own rooms (class
attributes of :class:`~partywidget.rooms.party.Party`).
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from typing import Any

from ..protocol.defaults import MAX_FRAME_SIZE, MAX_VALUE_BYTES, MESSAGE_BURST, MESSAGES_PER_SECOND
from ..protocol.jsonrules import MAX_JSON_DEPTH

__all__ = ["PARTY_OPTIONS", "Limits"]

#: The limits a ``Party`` subclass may set for its rooms as class attributes.
PARTY_OPTIONS = ("max_frame_size", "messages_per_second", "message_burst", "bytes_per_second",
                 "byte_burst", "max_buffered_bytes", "history", "idle_unload_seconds")


@dataclass(frozen=True)
class Limits:
    """Per-connection and per-room bounds; every field is a ``c.PartyWidget`` option."""

    #: Largest incoming frame in bytes; bigger frames close the socket with 1009.
    #: Tornado's own default (10 MiB) never applies.
    max_frame_size: int = MAX_FRAME_SIZE
    #: Sustained messages per second a connection may send (token bucket rate).
    messages_per_second: float = MESSAGES_PER_SECOND
    #: Messages a connection may send in a burst above the rate.
    message_burst: int = MESSAGE_BURST
    #: Sustained bytes per second a connection may send, and the burst above it.
    #: Bounds the parsing work one client can demand (a 1 MiB frame of tiny JSON
    #: containers costs ~0.2 s to validate), whatever its message rate.
    bytes_per_second: int = 1024 * 1024
    byte_burst: int = 4 * 1024 * 1024
    #: Refused messages in a row after which the connection is closed with 4029.
    max_refused_in_a_row: int = 200
    #: Bytes queued for a client that is not reading before it is closed with 4008.
    max_buffered_bytes: int = 4 * 1024 * 1024
    #: Deepest JSON nesting accepted from clients.
    max_json_depth: int = MAX_JSON_DEPTH
    #: Storage key size (UTF-8 bytes) and value size (encoded bytes), as PartyKit.
    max_key_bytes: int = 2048
    max_value_bytes: int = MAX_VALUE_BYTES
    #: Connection tags (the id tag included) and the length of each.
    max_tags: int = 10
    max_tag_length: int = 256
    #: Log offsets (chat messages, board strokes) each room keeps.
    history: int = 1000
    #: Seconds an empty room stays loaded before it is unloaded.
    idle_unload_seconds: float = 30.0
    #: Rooms one user may load per minute (and in a burst), past those loaded
    #: already: each name looked at is a room in memory until it unloads. 0: no limit.
    room_loads_per_minute: int = 600
    #: Open connections one room admits, and one user may hold in one room; a
    #: join past either is closed with 1013 (try again later). Presence costs
    #: O(connections) per join, so the room bound also bounds that work.
    max_connections_per_room: int = 1000
    max_connections_per_user: int = 50
    #: Entries of ``users`` a ``welcome`` lists; past it, ``userCount`` says how many.
    max_welcome_users: int = 100

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
                raise ValueError(f"expected {f.name} as a number of at least 0, got {value!r}")
        if self.history < 1:
            raise ValueError(f"expected history of at least 1 message, got {self.history}")

    def for_party(self, party_class: Any) -> Limits:
        """These limits with the overrides ``party_class`` declares (``None``: the host's)."""
        overrides = {name: value for name in PARTY_OPTIONS
                     if (value := getattr(party_class, name, None)) is not None}
        return replace(self, **overrides) if overrides else self
