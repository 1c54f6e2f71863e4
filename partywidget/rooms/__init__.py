"""The transport-free room core: parties, rooms, connections, limits, wire objects.

Nothing in this package imports Tornado, Jupyter, widgets or ``websockets``;
adapters in :mod:`partywidget.server` wrap sockets in a
:class:`~partywidget.rooms.connection.Transport` and drive
:class:`~partywidget.rooms.room.Room` objects owned by a
:class:`~partywidget.rooms.host.RoomHost`.
"""

from .connection import Connection, ConnectionContext, Transport, User
from .host import RoomHost
from .http import Request, Response
from .limits import Limits
from .names import check_name
from .party import Party
from .room import IdConflict, Room
from .wire import CloseCode, Outgoing, decode_json, encode_json

__all__ = [
    "CloseCode", "Connection", "ConnectionContext", "IdConflict", "Limits", "Outgoing", "Party",
    "Request", "Response", "Room", "RoomHost", "Transport", "User", "check_name", "decode_json",
    "encode_json",
]
