"""Finding the room host: where rooms are served, and the credentials to use there.

``partywidget.connect()`` asks, in order:

1. the ``url=`` (and ``token=``) arguments;
2. ``PARTYWIDGET_URL`` / ``PARTYWIDGET_TOKEN``: a host named by the user, e.g.
   ``partywidget serve`` on another machine;
3. on JupyterHub, the hub-wide room *service* when the admin configured one
   (:mod:`.hubservice`; ``PARTYWIDGET_HOST=local`` skips it);
4. ``PARTYWIDGET_JUPYTER_URL`` / ``PARTYWIDGET_JUPYTER_TOKEN``: set by the
   partywidget server extension for the kernels its Jupyter server starts
   (kernels inherit the server's environment);
5. a JupyterHub single-user server's environment: ``JUPYTERHUB_SERVICE_URL``
   (the server's local URL, which ends in ``JUPYTERHUB_SERVICE_PREFIX``) plus
   ``partywidget``, authenticated with ``JUPYTERHUB_API_TOKEN``;
6. the runtime file ``jpserver-<JPY_PARENT_PID>.json`` of the Jupyter server
   that launched this kernel (its URL and token), plus ``partywidget``.

Steps 2 to 6 are :data:`FINDERS`, a plain list of functions ``env -> HostAddress |
None``: another kind of room host (e.g. a JupyterHub room *service* shared by
every user's server) is one more function inserted where it belongs. Tokens
always travel in the ``Authorization`` header: JupyterHub refuses ``?token=``
from non-browser clients, and headers stay out of server logs.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

from ..errors import ConfigurationError, NotConnectedError
from .hubservice import from_jupyterhub_service

__all__ = ["FINDERS", "HostAddress", "find_room_host"]

#: Path under a Jupyter server's base URL where the extension serves rooms by
#: default (``c.PartyWidget.url_prefix``).
EXTENSION_PREFIX = "partywidget"


def extension_prefix(env: Mapping[str, str]) -> str:
    """The extension's ``url_prefix``: the server that started this kernel says it."""
    return env.get("PARTYWIDGET_JUPYTER_PREFIX", "").strip("/") or EXTENSION_PREFIX

NOTHING_FOUND = (
    "found no room host to connect to: pass url= (and token= if the host needs one) to "
    "partywidget.connect(), or set PARTYWIDGET_URL (and PARTYWIDGET_TOKEN), e.g. "
    "PARTYWIDGET_URL=http://127.0.0.1:1999 for `partywidget serve`. In Jupyter, enable the "
    "server extension (`jupyter server extension enable partywidget`) and restart the server: "
    "the kernels it starts then find it by themselves.")


@dataclass(frozen=True)
class HostAddress:
    """A place that serves rooms at ``{url}/parties/{party}/{room}``."""

    #: Base URL (http, https, ws or wss), without a trailing slash.
    url: str
    #: Sent as ``Authorization: token <token>``; None for tokenless hosts.
    token: str | None
    #: Where this host was found, for ``%party`` and error messages.
    source: str

    def __post_init__(self) -> None:
        parts = urlsplit(self.url)
        if parts.scheme not in ("http", "https", "ws", "wss") or not parts.netloc:
            raise ConfigurationError(f"expected a room host URL like http://127.0.0.1:1999 or "
                                     f"https://hub.example.org/user/alice/partywidget, got "
                                     f"{self.url!r} (from {self.source})")
        object.__setattr__(self, "url", self.url.rstrip("/"))

    def room_url(self, party: str, room: str) -> str:
        """The WebSocket URL of one room (no query)."""
        parts = urlsplit(self.url)
        scheme = {"http": "ws", "https": "wss"}.get(parts.scheme, parts.scheme)
        path = f"{parts.path}/parties/{quote(party, safe='')}/{quote(room, safe='')}"
        return urlunsplit((scheme, parts.netloc, path, "", ""))

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"token {self.token}"} if self.token else {}


Finder = Callable[[Mapping[str, str]], "HostAddress | None"]


def from_partywidget_env(env: Mapping[str, str]) -> HostAddress | None:
    url = env.get("PARTYWIDGET_URL")
    if not url:
        return None
    return HostAddress(url, env.get("PARTYWIDGET_TOKEN") or None, "PARTYWIDGET_URL")


def from_jupyter_extension_env(env: Mapping[str, str]) -> HostAddress | None:
    url = env.get("PARTYWIDGET_JUPYTER_URL")
    if not url:
        return None
    # Under JupyterHub the server has no token of its own; the hub's API token
    # authenticates this kernel to its own single-user server instead.
    token = env.get("PARTYWIDGET_JUPYTER_TOKEN") or env.get("JUPYTERHUB_API_TOKEN") or None
    return HostAddress(url, token, "the Jupyter server that started this kernel "
                                "(PARTYWIDGET_JUPYTER_URL)")


def from_jupyterhub_env(env: Mapping[str, str]) -> HostAddress | None:
    service_url = env.get("JUPYTERHUB_SERVICE_URL")
    token = env.get("JUPYTERHUB_API_TOKEN")
    if not service_url or not token:
        return None
    parts = urlsplit(service_url)
    # The spawner binds to 0.0.0.0 or "" on some deployments; talk to it locally.
    host = parts.hostname or "127.0.0.1"
    netloc = parts.netloc
    if host in ("0.0.0.0", "::", ""):
        netloc = f"127.0.0.1:{parts.port}" if parts.port else "127.0.0.1"
    path = parts.path.rstrip("/")
    prefix = env.get("JUPYTERHUB_SERVICE_PREFIX", "").rstrip("/")
    if prefix and not path.endswith(prefix):  # older spawners give the bare bind URL
        path += prefix
    url = urlunsplit((parts.scheme, netloc, f"{path}/{extension_prefix(env)}", "", ""))
    return HostAddress(url, token, "this JupyterHub single-user server (JUPYTERHUB_SERVICE_URL)")


def from_runtime_file(env: Mapping[str, str]) -> HostAddress | None:
    pid = env.get("JPY_PARENT_PID")
    if not pid or not pid.isdigit():
        return None
    try:
        from jupyter_core.paths import jupyter_runtime_dir
    except ImportError:
        return None
    path = Path(jupyter_runtime_dir()) / f"jpserver-{pid}.json"
    try:
        info = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    url = info.get("url")
    if not isinstance(url, str) or not url:
        return None
    return HostAddress(f"{url.rstrip('/')}/{extension_prefix(env)}", info.get("token") or None,
                    f"the Jupyter server that launched this kernel ({path.name})")


#: Consulted in order after the ``url=`` argument; the first host found wins.
FINDERS: list[Finder] = [from_partywidget_env, from_jupyterhub_service,
                         from_jupyter_extension_env, from_jupyterhub_env, from_runtime_file]


def find_room_host(url: str | None = None, token: str | None = None,
                   env: Mapping[str, str] | None = None) -> HostAddress:
    """The room host to use; raises :class:`NotConnectedError` saying what to set.

    An explicit ``token`` overrides a discovered one. With an explicit ``url``
    and no ``token``, ``PARTYWIDGET_TOKEN`` applies (never the Jupyter or hub
    token: those must not travel to a host the user named by hand).
    """
    env = os.environ if env is None else env
    if url:
        return HostAddress(url, token or env.get("PARTYWIDGET_TOKEN") or None, "url= argument")
    for finder in FINDERS:
        host = finder(env)
        if host is not None:
            return HostAddress(host.url, token, host.source) if token else host
    raise NotConnectedError(NOTHING_FOUND)
