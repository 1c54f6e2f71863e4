"""Options shared by the Jupyter extension and ``partywidget serve``.

Each option is a traitlet with ``help=`` and a default, so ``c.PartyWidget.<option>``
works in ``jupyter_server_config.py`` and ``--PartyWidget.<option>=`` on the
command line; ``partywidget serve`` maps its flags onto the same traits.
"""

from __future__ import annotations

from traitlets import Bool, Dict, Float, HasTraits, Int, Unicode

from ..parties import resolve_parties
from ..rooms import Limits, RoomHost
from ..storage import open_storage

__all__ = ["RoomOptions"]


class RoomOptions(HasTraits):
    """The room host's options (storage, history, parties, limits)."""

    storage = Unicode(
        "", config=True,
        help="Where rooms are stored: 'memory:', 'sqlite:///path/rooms.db' or a .db path. "
             "Empty: partywidget.db in the Jupyter data directory.")
    history = Int(1000, config=True, help="Messages (log offsets) each room keeps.")
    parties = Dict(
        key_trait=Unicode(), value_trait=Unicode(), config=True,
        help="Extra parties: {'name': 'package.module:PartyClass'}; reach them at "
             "/parties/<name>/<room>. Entry points in 'partywidget.parties' load too.")
    load_entry_points = Bool(True, config=True,
                             help="Load parties from the 'partywidget.parties' entry-point group.")
    max_frame_size = Int(Limits.max_frame_size, config=True,
                         help="Largest incoming frame in bytes; larger ones close with 1009.")
    messages_per_second = Float(Limits.messages_per_second, config=True,
                                help="Sustained messages per second per connection.")
    message_burst = Int(Limits.message_burst, config=True,
                        help="Messages a connection may send in a burst above the rate.")
    bytes_per_second = Int(Limits.bytes_per_second, config=True,
                           help="Sustained bytes per second per connection (bounds parsing work).")
    byte_burst = Int(Limits.byte_burst, config=True,
                     help="Bytes a connection may send in a burst above that rate.")
    max_buffered_bytes = Int(Limits.max_buffered_bytes, config=True,
                             help="Bytes queued for a non-reading client before it is closed "
                                  "with 4008.")
    idle_unload_seconds = Float(Limits.idle_unload_seconds, config=True,
                                help="Seconds an empty room stays in memory.")


    def limits(self) -> Limits:
        return Limits(max_frame_size=self.max_frame_size,
                      messages_per_second=self.messages_per_second,
                      message_burst=self.message_burst,
                      bytes_per_second=self.bytes_per_second, byte_burst=self.byte_burst,
                      max_buffered_bytes=self.max_buffered_bytes,
                      idle_unload_seconds=self.idle_unload_seconds)

    def make_host(self, default_dir: str) -> RoomHost:
        """A RoomHost from these options (storage not opened yet: ``await host.start()``)."""
        parties = resolve_parties(self.parties, entry_points_enabled=self.load_entry_points)
        return RoomHost(open_storage(self.storage, default_dir=default_dir), parties,
                        limits=self.limits(), history=self.history)
