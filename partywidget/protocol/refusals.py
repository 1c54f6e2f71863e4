"""Why a room host refused a request: the cause a client may act on.

A 403 alone does not tell "your token is wrong" from "you may not enter this
room": both are HTTP 403 at every room host (jupyter_server answers 403 for
missing credentials too). The host names the cause in a response header, so
the kernel's client raises the right error (:class:`~partywidget.AuthError`
vs :class:`~partywidget.NotAllowed`) and never tells a student with a fine
token to fix it (issue 19). The human-readable reason stays in the status
line. Documented in docs/protocol.md, "HTTP status codes of the room host".
"""

from __future__ import annotations

from enum import Enum

__all__ = ["REFUSAL_HEADER", "RefusalCause"]

#: Response header of a refused request naming its :class:`RefusalCause`.
REFUSAL_HEADER = "Partywidget-Refusal"


class RefusalCause(str, Enum):
    """Values of :data:`REFUSAL_HEADER`."""

    #: No credentials, or wrong ones: fix the token or sign in.
    CREDENTIALS = "credentials"
    #: The user is known but may not enter this room (hub room groups, the server's authorizer).
    ROOM = "room"
    #: The page's origin or host name is not allowed (browsers only).
    ORIGIN = "origin"
    #: HTTP 404: this room host has no such party (a 404 without this header
    #: comes from something that serves no rooms at that URL).
    PARTY = "party"
