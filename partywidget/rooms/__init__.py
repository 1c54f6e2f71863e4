"""The transport-free room core: parties, rooms, connections, limits, the input gate.

Nothing in this package imports Tornado, Jupyter, widgets or ``websockets``;
adapters in :mod:`partywidget.server` wrap sockets in a
:class:`~partywidget.rooms.connection.Transport` and drive
:class:`~partywidget.rooms.room.Room` objects owned by a
:class:`~partywidget.rooms.host.RoomHost`. The wire values a party uses
(``CloseCode``, ``Outgoing``, the JSON rules) come from
:mod:`partywidget.protocol` and are re-exported here for custom parties.
"""

from ..protocol.close import CloseCode
from ..protocol.jsonrules import decode_json, encode_json
from ..protocol.names import check_name
from ..protocol.outgoing import Outgoing
from .connection import Connection, ConnectionContext, Transport, User
from .context import Lobby, RoomStub
from .host import RoomHost
from .http import Request, Response
from .limits import Limits
from .party import Party
from .room import IdConflict, Room

__all__ = [
    "CloseCode", "Connection", "ConnectionContext", "IdConflict", "Limits", "Lobby", "Outgoing",
    "Party", "Request", "Response", "Room", "RoomHost", "RoomStub", "Transport", "User",
    "check_name", "decode_json", "encode_json",
]
