"""The hub-wide room service, seen from a kernel on JupyterHub (docs/jupyterhub.md).

On a hub, a kernel inherits its server's environment: ``JUPYTERHUB_API_TOKEN``
(the server's token, owned by the user), ``JUPYTERHUB_API_URL``,
``JUPYTERHUB_BASE_URL`` and ``JUPYTERHUB_PUBLIC_HUB_URL`` (set from
``c.JupyterHub.public_url``). The room service ``partywidget`` (another name in
``PARTYWIDGET_HUB_SERVICE``) is then reached through the hub's proxy at
``<public origin><base_url>services/partywidget``, with that token in the
``Authorization`` header; ``PARTYWIDGET_HUB_URL`` names the service's URL
outright where the hub has no public URL.

Hub-wide rooms or the user's own server's rooms, by ``PARTYWIDGET_HOST``:

* ``hub``: the hub-wide service (an error when it cannot be found);
* ``local``: never the hub-wide service (the server extension's own rooms);
* unset: the hub-wide service when the server's token may call it, that is when
  the admin put ``access:services!service=partywidget`` in
  ``c.Spawner.server_token_scopes``; else the user's own server.

Browsers reach the same service at the path :func:`browser_path` on the page's
own origin (everything on a hub sits behind one proxy).
"""

from __future__ import annotations

import functools
import json
import logging
import urllib.error
import urllib.request
from collections.abc import Mapping
from typing import TYPE_CHECKING
from urllib.parse import urlsplit, urlunsplit

from ..errors import ConfigurationError

if TYPE_CHECKING:
    from .discovery import HostAddress

__all__ = ["browser_path", "from_jupyterhub_service", "hub_service_selected", "widget_endpoint"]

log = logging.getLogger("partywidget")

DEFAULT_SERVICE = "partywidget"
#: Seconds to wait for the hub's answer about the token's scopes.
HUB_API_TIMEOUT = 5.0


def _service(env: Mapping[str, str]) -> str:
    return env.get("PARTYWIDGET_HUB_SERVICE") or DEFAULT_SERVICE


def _choice(env: Mapping[str, str]) -> str:
    choice = env.get("PARTYWIDGET_HOST", "").strip().lower()
    if choice not in ("", "hub", "local"):
        raise ConfigurationError(f"expected PARTYWIDGET_HOST to be 'hub' or 'local', "
                                 f"got {choice!r}")
    return choice


@functools.lru_cache(maxsize=8)
def token_may_call(api_url: str, token: str, service: str) -> bool:
    """Whether the hub says ``token`` carries access to ``service`` (asked once per process)."""
    request = urllib.request.Request(f"{api_url.rstrip('/')}/user",
                                     headers={"Authorization": f"token {token}"})
    try:
        with urllib.request.urlopen(request, timeout=HUB_API_TIMEOUT) as response:
            scopes = json.loads(response.read()).get("scopes") or []
    except (OSError, ValueError, urllib.error.URLError) as exc:
        log.info("could not ask JupyterHub about this server's token (%s); "
                 "using this server's own rooms", exc)
        return False
    return "access:services" in scopes or f"access:services!service={service}" in scopes


def hub_service_selected(env: Mapping[str, str]) -> bool:
    """Whether this kernel uses the hub-wide room service (see the module docs)."""
    choice = _choice(env)
    token, api_url = env.get("JUPYTERHUB_API_TOKEN"), env.get("JUPYTERHUB_API_URL")
    if choice == "local" or not token or not api_url:
        if choice == "hub":
            raise ConfigurationError("PARTYWIDGET_HOST=hub, but this kernel is not on "
                                     "JupyterHub (expected JUPYTERHUB_API_TOKEN and "
                                     "JUPYTERHUB_API_URL)")
        return False
    return choice == "hub" or token_may_call(api_url, token, _service(env))


def browser_path(env: Mapping[str, str]) -> str:
    """The service's path on the hub's origin, for widgets in the user's browser."""
    base = env.get("JUPYTERHUB_BASE_URL") or "/"
    return f"{base.rstrip('/')}/services/{_service(env)}"


def widget_endpoint(env: Mapping[str, str]) -> str:
    """The widgets' default ``_endpoint``: the service's path when it is selected, else ""."""
    return browser_path(env) if hub_service_selected(env) else ""


def _service_url(env: Mapping[str, str]) -> str | None:
    explicit = env.get("PARTYWIDGET_HUB_URL")
    if explicit:
        return explicit
    public = env.get("JUPYTERHUB_PUBLIC_HUB_URL") or env.get("JUPYTERHUB_PUBLIC_URL")
    if not public:
        return None
    parts = urlsplit(public)
    return urlunsplit((parts.scheme, parts.netloc, browser_path(env), "", ""))


def from_jupyterhub_service(env: Mapping[str, str]) -> HostAddress | None:
    """Finder: the hub-wide room service, when selected (see the module docs)."""
    from .discovery import HostAddress  # discovery lists this finder: import it late

    if not hub_service_selected(env):
        return None
    url = _service_url(env)
    if url is None:
        raise ConfigurationError(
            "this hub has a partywidget service, but kernels cannot tell its address: the "
            "admin sets c.JupyterHub.public_url (or PARTYWIDGET_HUB_URL in "
            "c.Spawner.environment); or set PARTYWIDGET_HOST=local for your own rooms")
    return HostAddress(url, env["JUPYTERHUB_API_TOKEN"],
                       f"the JupyterHub service {_service(env)!r} (PARTYWIDGET_HOST=local "
                       f"for this server's own rooms)")
