"""The one error tree of partywidget.

::

    PartyWidgetError
    ├── InvalidName          a party or room name that cannot be used (HTTP 400)
    ├── UnknownParty         no party is registered under that name (HTTP 404)
    ├── TooManyRooms         a user loads rooms faster than allowed (HTTP 429)
    ├── ConfigurationError   a party spec, storage URL or option that cannot work
    ├── StorageError         a storage backend failed or refused a key/value
    │   └── LimitExceeded    a key, value or message is larger than allowed
    ├── ProtocolError        a client sent something the wire contract forbids
    └── ClientError          raised by the Python client (``partywidget.connect``)
        ├── NotConnectedError  used after ``close()``, or no server could be found
        │   └── Removed          a moderator removed this user from the room (4003)
        ├── AuthError          the server refused the credentials (no retry helps)
        └── NotAllowed         the credentials are fine, but not for this room

Messages state the condition plainly and, where one exists, what to do about it.
"""

from __future__ import annotations


class PartyWidgetError(Exception):
    """Root of every error partywidget raises on purpose."""


class InvalidName(PartyWidgetError, ValueError):
    """A party or room name is empty, too long or not URL-safe."""


class UnknownParty(PartyWidgetError, LookupError):
    """No party is registered under the requested name."""


class TooManyRooms(PartyWidgetError):
    """A user loads rooms faster than ``Limits.room_loads_per_minute`` allows."""


class ConfigurationError(PartyWidgetError):
    """A configuration value cannot work (bad party spec, storage URL, ...)."""


class StorageError(PartyWidgetError):
    """A storage backend failed; nothing was half-written."""


class LimitExceeded(StorageError, ValueError):
    """A key, value or message is larger than the configured limit."""


class ProtocolError(PartyWidgetError, ValueError):
    """A client sent a frame the wire contract forbids; ``code`` names the rule."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


class ClientError(PartyWidgetError):
    """Base of the errors raised by the Python client."""


class NotConnectedError(ClientError, ConnectionError):
    """The client is closed, or no room host could be found or reached."""


class AuthError(ClientError, PermissionError):
    """The room host refused the credentials; retrying will not help."""


class NotAllowed(ClientError, PermissionError):
    """The room host knows who you are and refuses you this room (a hub room group,
    the server's authorizer); another token will not help, asking an admin may."""


class Removed(NotConnectedError):
    """A moderator removed this user from the room; rejoining is refused while it lasts."""
