"""Options shared by the Jupyter extension and ``partywidget serve``.

Each option is a traitlet with ``help=`` and a default, so ``c.PartyWidget.<option>``
works in ``jupyter_server_config.py`` and ``--PartyWidget.<option>=`` on the
command line; ``partywidget serve`` reads the same names from ``--config FILE.py``
(:class:`ServeConfig`) and maps its flags onto them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from traitlets import Bool, Dict, Float, Int, Unicode
from traitlets.config import Config, Configurable, PyFileConfigLoader
from traitlets.config.loader import ConfigFileNotFound

from ..errors import ConfigurationError
from ..parties import resolve_parties
from ..rooms import Limits, RoomHost
from ..storage import open_storage
from .jwtauth import JwtIdentities

__all__ = ["RoomOptions", "ServeConfig", "load_config_file"]


class RoomOptions(Configurable):
    """The room host's options (storage, history, parties, limits)."""

    storage = Unicode(
        "", config=True,
        help="Where rooms are stored: 'memory:', 'sqlite:///path/rooms.db' or a .db path. "
             "Empty: partywidget.db in the Jupyter data directory.")
    redis_url = Unicode(
        "", config=True,
        help="Share rooms with every process using this Redis (redis://host:6379/0, "
             "rediss:// for TLS): history, storage and alarms live there and broadcasts "
             "and presence go through it (docs/scaling.md). Needs partywidget[redis]. "
             "Replaces 'storage'.")
    redis_member_expiry = Float(
        15.0, config=True,
        help="With redis_url: seconds after which the users of a process that died "
             "(no clean shutdown) leave its rooms; it renews its presence every third of it.")
    history = Int(Limits.history, config=True, help="Messages (log offsets) each room keeps.")
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
    room_loads_per_minute = Int(Limits.room_loads_per_minute, config=True,
                                help="Rooms one user may load per minute (and in a burst), "
                                     "past those loaded already; more get HTTP 429.")
    max_connections_per_room = Int(Limits.max_connections_per_room, config=True,
                                   help="Open connections one room admits; a join past it "
                                        "is closed with 1013.")
    max_connections_per_user = Int(Limits.max_connections_per_user, config=True,
                                   help="Open connections one user may hold in one room; a "
                                        "join past it is closed with 1013.")
    max_welcome_users = Int(Limits.max_welcome_users, config=True,
                            help="Users a welcome frame lists; past it, userCount says how "
                                 "many are in the room.")

    def limits(self) -> Limits:
        try:
            return Limits(max_frame_size=self.max_frame_size,
                          messages_per_second=self.messages_per_second,
                          message_burst=self.message_burst,
                          bytes_per_second=self.bytes_per_second, byte_burst=self.byte_burst,
                          max_buffered_bytes=self.max_buffered_bytes, history=self.history,
                          idle_unload_seconds=self.idle_unload_seconds,
                          room_loads_per_minute=self.room_loads_per_minute,
                          max_connections_per_room=self.max_connections_per_room,
                          max_connections_per_user=self.max_connections_per_user,
                          max_welcome_users=self.max_welcome_users)
        except ValueError as exc:
            raise ConfigurationError(f"bad PartyWidget option: {exc}") from None

    def make_host(self, default_dir: str | Path) -> RoomHost:
        """A RoomHost from these options (storage not opened yet: ``await host.start()``)."""
        parties = resolve_parties(self.parties, entry_points_enabled=self.load_entry_points)
        if not self.redis_url:
            return RoomHost(open_storage(self.storage, default_dir=default_dir), parties,
                            limits=self.limits())
        if self.storage:
            raise ConfigurationError("expected either PartyWidget.storage or "
                                     "PartyWidget.redis_url (--storage or --redis), not both")
        from ..storage.redis import RedisStorage
        from ..storage.redis_backplane import RedisBackplane

        if not self.redis_url.startswith(("redis://", "rediss://", "unix://")):
            raise ConfigurationError(f"expected a redis://, rediss:// or unix:// URL, got "
                                     f"{self.redis_url[:100]!r}")
        storage = RedisStorage(self.redis_url)
        return RoomHost(storage, parties, limits=self.limits(),
                        backplane=RedisBackplane(storage,
                                                 member_expiry=self.redis_member_expiry))


class ServeConfig(RoomOptions):
    """The options of ``partywidget serve``, read from the ``PartyWidget`` section.

    traitlets names a class's config sections after its classes; this one
    also answers to ``c.PartyWidget``, so one config file serves the Jupyter
    extension and ``partywidget serve`` alike. The ``jwt_*`` options are
    ``serve``'s alone (inside Jupyter, Jupyter's identity provider decides).
    """

    jwt_secret = Unicode(
        "", config=True,
        help="Accept JWTs signed with this HS256 secret (at least 32 bytes) as user "
             "identities (docs/security.md). Also $PARTYWIDGET_JWT_SECRET.")
    jwt_public_key_file = Unicode(
        "", config=True,
        help="Accept JWTs signed with the private half of this PEM public key (RSA: RS256, "
             "P-256: ES256) as user identities. Also $PARTYWIDGET_JWT_PUBLIC_KEY_FILE.")
    jwt_audience = Unicode("", config=True,
                           help="Required 'aud' claim of JWTs (empty: tokens must carry none).")
    jwt_issuer = Unicode("", config=True, help="Required 'iss' claim of JWTs (empty: any).")
    jwt_teacher_group = Unicode(
        "teachers", config=True,
        help="JWT users whose 'groups' list holds this name, or whose 'role' is it, "
             "moderate (as does 'moderator': true).")
    jwt_leeway = Float(0.0, config=True,
                       help="Seconds of clock skew allowed when checking 'exp' and 'nbf'.")

    def jwt_identities(self) -> JwtIdentities | None:
        """The JWT verifier these options configure, or None without a key."""
        if not (self.jwt_secret or self.jwt_public_key_file):
            return None
        return JwtIdentities(secret=self.jwt_secret, public_key_file=self.jwt_public_key_file,
                             audience=self.jwt_audience, issuer=self.jwt_issuer,
                             teacher_group=self.jwt_teacher_group, leeway=self.jwt_leeway)

    @classmethod
    def section_names(cls) -> list[str]:
        return [*super().section_names(), "PartyWidget"]


def load_config_file(path: str | Path) -> Config:
    """A traitlets config file (``c.PartyWidget.history = 5000``), as Jupyter reads one."""
    path = Path(path).expanduser().resolve()
    try:
        return PyFileConfigLoader(path.name, str(path.parent)).load_config()
    except ConfigFileNotFound:
        raise ConfigurationError(f"no config file at {str(path)!r}") from None
    except Exception as exc:  # a user's Python file: say which and why
        raise ConfigurationError(f"cannot load config file {str(path)!r}: {exc}") from exc


def apply_overrides(options: RoomOptions, values: dict[str, Any]) -> None:
    """Set the options given on the command line (``None``: not given), over the file's."""
    for name, value in values.items():
        if value is not None:
            setattr(options, name, value)
