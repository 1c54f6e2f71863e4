"""The room host's documented default limits that clients size and pace themselves by.

One source for both sides: ``partywidget.rooms.limits.Limits`` defaults to
these, and the kernel client keeps its frames under :data:`MAX_FRAME_SIZE` and
its pace under the rate (docs/protocol.md, "Limits").
"""

from __future__ import annotations

__all__ = ["MAX_FRAME_SIZE", "MAX_VALUE_BYTES", "MESSAGES_PER_SECOND", "MESSAGE_BURST"]

#: Largest incoming frame in bytes; larger frames close the socket with 1009.
MAX_FRAME_SIZE = 1024 * 1024
#: Largest stored value in bytes (a chat message as stored, MIME bundle included).
MAX_VALUE_BYTES = 128 * 1024
#: Sustained messages per second one connection may send, and the burst above it.
MESSAGES_PER_SECOND = 50.0
MESSAGE_BURST = 100
