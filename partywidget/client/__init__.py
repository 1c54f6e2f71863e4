"""The Python client: kernels and scripts as first-class room members.

::

    import partywidget
    room = partywidget.connect("class-101")      # finds its room host by itself
    room.send("hello from the kernel")

    @room.on_message
    def react(msg): ...                           # runs while the kernel is idle

Design, in one paragraph: each process runs one client event loop on a
background thread (:mod:`.loop`), which owns every socket. Sync calls hand work
to it and wait with a timeout; async calls bridge to the caller's loop; sends
only buffer, so nothing can deadlock a kernel, and callbacks run on that thread
as frames arrive. A :class:`RoomClient` (:mod:`.roomclient`) is the user's face
of one membership (:mod:`.membership`), which reconnects with partysocket's
backoff (:mod:`.backoff`), keeps its ``_pk``, buffers sends while offline
(:mod:`.outbox`), writes them no faster than the host admits (:mod:`.pacing`)
and resumes by message id (the folds of :mod:`partywidget.protocol`). Where the
room host is comes from :mod:`.discovery`. Nothing here imports the room host's
code (``partywidget.rooms``, ``storage``, ``server``).
"""

from .backoff import Backoff
from .discovery import FINDERS, HostAddress, find_room_host
from .roomclient import RoomClient, aconnect, connect, open_clients

__all__ = ["FINDERS", "Backoff", "HostAddress", "RoomClient", "aconnect", "connect",
           "find_room_host", "open_clients"]
