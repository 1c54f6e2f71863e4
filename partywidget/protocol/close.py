"""Close codes a room host uses, and which of them end a client's membership.

Codes below 4000 are RFC 6455's (§7.4.1); 4000-4999 are private (§7.4.2).
Documented in docs/protocol.md, "Close codes".
"""

from __future__ import annotations

from enum import IntEnum
from types import MappingProxyType

__all__ = ["FINAL_CLOSE_CODES", "CloseCode"]


class CloseCode(IntEnum):
    """Close codes a room host uses.

    Clients should not reconnect after the codes in :data:`FINAL_CLOSE_CODES`;
    every other code is worth a reconnect with backoff (and, for the log
    parties, a resume with ``since``/``epoch``).
    """

    NORMAL = 1000
    #: The server is shutting down or the room is being unloaded; reconnect.
    GOING_AWAY = 1001
    #: The client broke a rule it cannot fix by retrying (e.g. binary to a text party).
    POLICY_VIOLATION = 1008
    #: A frame was larger than ``Limits.max_frame_size``.
    MESSAGE_TOO_BIG = 1009
    #: A party hook raised; details are in the server log, never on the wire.
    INTERNAL_ERROR = 1011
    #: The room is full, or this user holds as many connections in it as allowed
    #: (``Limits.max_connections_per_room`` / ``max_connections_per_user``); retry later.
    TRY_AGAIN_LATER = 1013
    #: Another connection with the same ``_pk`` of the same user took over.
    REPLACED = 4001
    #: A moderator removed this participant from the room.
    REMOVED = 4003
    #: The client stopped reading: its outgoing queue passed ``Limits.max_buffered_bytes``.
    SLOW_CONSUMER = 4008
    #: The client kept sending far above ``Limits.messages_per_second``.
    FLOODING = 4029


#: Codes after which reconnecting would only repeat the refusal, with what to tell the user.
FINAL_CLOSE_CODES = MappingProxyType({
    CloseCode.REPLACED: "another connection took over this connection id",
    CloseCode.REMOVED: "a moderator removed this client from the room",
    CloseCode.POLICY_VIOLATION: "the room host refused what this client sent",
})
