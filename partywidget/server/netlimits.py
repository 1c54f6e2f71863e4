"""Limits of the listening socket and of the hub's answers, with their defaults.

Apart from :mod:`.network` (which needs Tornado) so that the command line can
show the defaults without loading a server. :func:`is_loopback` decides what
dev mode (no token) serves.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, fields

__all__ = ["HUB_AUTH_CACHE_SECONDS", "LOOPBACK_HOSTS", "NetworkLimits", "is_loopback"]

#: Seconds the hub's answer about a token or cookie is reused (JupyterHub's own
#: default is 300): a token revoked on the hub stops working here within this time.
HUB_AUTH_CACHE_SECONDS = 30


@dataclass(frozen=True)
class NetworkLimits:
    """Bounds on what a client may hold before it has sent a request.

    ``header_timeout`` is also how long an idle keep-alive connection stays
    open (Tornado times both with one timer). ``max_connections_per_address``
    0 turns the cap off: behind a reverse proxy every connection comes from
    the proxy's address, so cap there instead (docs/security.md).
    """

    #: Seconds a request's headers may take to arrive, from the connection's start.
    header_timeout: float = 10.0
    #: Seconds a request body may take to arrive.
    body_timeout: float = 30.0
    #: Concurrent connections (HTTP and WebSocket) from one client address; 0: no cap.
    max_connections_per_address: int = 256

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
                raise ValueError(f"expected {f.name} as a number of at least 0, got {value!r}")
        if self.header_timeout <= 0 or self.body_timeout <= 0:
            raise ValueError("expected header_timeout and body_timeout above 0 seconds")


LOOPBACK_HOSTS = {"localhost", "127.0.0.1", "::1", "[::1]"}


def is_loopback(host: str) -> bool:
    """True for loopback names and addresses (``localhost``, 127.0.0.0/8, ``::1``)."""
    if host in LOOPBACK_HOSTS:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False
