"""Connection ids: the client's ``_pk``, namespaced by the authenticated user.

A partysocket client chooses its ``_pk`` and a room announces connection ids to
everyone (``welcome.users``, ``userJoined``). Were the id the ``_pk`` itself,
another user could present a victim's ``_pk`` once the victim's socket dropped
and lock the victim out (issue 17, item 2). So the id a room uses is keyed by
the host: ``HMAC(secret, username NUL _pk)``, 24 characters of base32. Hence:

* the same user presenting the same ``_pk`` gets the same id, so a reconnect
  replaces its own half-open socket (partysocket keeps its ``_pk``);
* two users never share an id, whatever ``_pk`` each presents;
* an id reveals nothing of the ``_pk`` behind it, so nobody learns from
  presence what to present to be someone else. ``partywidget serve`` names
  its guests from the ``_pk`` the same keyed way (:meth:`ConnectionIds.guest_tag`),
  so a guest's name is one the client cannot choose or copy.

The secret lives in the host's storage: ids survive a restart (a resumed
client still recognises its own stored messages), and hosts sharing one
storage agree on them.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from ..storage.base import Storage

__all__ = ["ConnectionIds"]

#: Where the secret is stored: a room name no party or room can have (``\x00``).
SECRET_ROOM = "\x00host"
SECRET_KEY = "connection-id-secret"


class ConnectionIds:
    """Derives connection ids and guest names from a host secret."""

    __slots__ = ("_secret",)

    def __init__(self, secret: bytes | None = None) -> None:
        self._secret = secret or secrets.token_bytes(32)

    @classmethod
    async def load(cls, storage: Storage) -> ConnectionIds:
        """The secret kept in ``storage``, created there on first use.

        Hosts starting at once on one shared storage (Redis, one SQLite file)
        all end with the first secret stored: ``put_if_absent`` is atomic.
        """
        stored = await storage.put_if_absent(SECRET_ROOM, SECRET_KEY, secrets.token_hex(32))
        try:
            return cls(bytes.fromhex(stored))
        except (TypeError, ValueError):  # not ours: replace it
            ids = cls()
            await storage.put(SECRET_ROOM, SECRET_KEY, ids._secret.hex())
            return ids

    def _mac(self, *parts: str) -> bytes:
        message = "\x00".join(parts).encode("utf-8", "surrogatepass")
        return hmac.new(self._secret, message, hashlib.sha256).digest()

    def connection_id(self, username: str, pk: str) -> str:
        """The id of ``username``'s connection that presented ``pk`` (``_pk`` alphabet)."""
        return base64.b32encode(self._mac("id", username, pk)[:15]).decode("ascii").lower()

    def guest_tag(self, pk: str) -> str:
        """Eight hex digits naming the guest who presents ``pk`` (``partywidget serve``)."""
        return self._mac("guest", pk)[:4].hex()
