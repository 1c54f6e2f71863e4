"""The minimal partywidget party the fan-out figures are taken with.

It does what the reference relays do and nothing else: each frame goes to
everyone in the room but its sender, through :meth:`Room.broadcast`. So the
figures measure the room host (socket, adapter, room, connection) and not a
party's own work. Registered as ``relay`` in the benchmark servers.
"""

from __future__ import annotations

from partywidget import Party
from partywidget.rooms import Connection


class RelayParty(Party):
    """Broadcast every message to the rest of the room, unchanged."""

    accepts_binary = True

    async def on_message(self, message: str | bytes, sender: Connection) -> None:
        self.room.broadcast(message, exclude=(sender.id,))
