"""JupyterHub mode of ``partywidget serve``: one room service shared by a whole hub.

Run as a hub-managed service (``partywidget serve --jupyterhub``, see
docs/jupyterhub.md); it serves rooms at ``{JUPYTERHUB_SERVICE_PREFIX}parties/{party}/{room}``
on the address of ``JUPYTERHUB_SERVICE_URL``. Every request is authenticated by
the hub, never by anything the client says about itself:

* kernels and scripts send ``Authorization: token <JUPYTERHUB_API_TOKEN>``
  (their server's token, which needs ``access:services!service=<name>`` in
  ``c.Spawner.server_token_scopes``);
* browsers carry the ``service-<name>`` OAuth cookie, which one visit to the
  service root sets (``GET {prefix}`` redirects through the hub's OAuth flow
  and ``{prefix}oauth_callback``). A WebSocket cannot follow that redirect, so a
  socket without credentials gets a plain 403, never a redirect.

The hub checks that the caller holds the service's access scope
(``JUPYTERHUB_OAUTH_ACCESS_SCOPES``); the user model it returns (``name``,
``admin``, ``groups``) is the only source of the room identity and of the
``moderator`` flag (hub admins and members of the teacher group).
"""

from __future__ import annotations

import fnmatch
import os
import secrets
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import urlparse

from jupyterhub.services.auth import (HubOAuth, HubOAuthCallbackHandler, HubOAuthenticated,
                                      UserNotAllowed)
from tornado.web import Application, HTTPError, RequestHandler, authenticated

from ..errors import ConfigurationError
from ..protocol.refusals import RefusalCause
from ..rooms import RoomHost
from .accesslog import log_request
from .health import health_routes
from .netlimits import HUB_AUTH_CACHE_SECONDS, NetworkLimits
from .handler import Refused
from .standalone import ServeOptions, StandaloneRoomHandler, log, run

__all__ = ["HubPolicy", "HubRoomHandler", "hub_bind_address", "make_hub_app", "run_hub"]

DEFAULT_TEACHER_GROUP = "teachers"


def _initials(name: str) -> str:
    words = [w for w in name.replace("-", " ").replace("_", " ").replace(".", " ").split() if w]
    return "".join(w[0] for w in words[:2]).upper() or "?"


class HubPolicy:
    """Who is a moderator and who may enter which room, from hub users and groups.

    ``room_groups`` maps room-name patterns (``fnmatch``, e.g. ``"class-101*"``)
    to the hub groups allowed in matching rooms; the first matching pattern
    decides. Rooms that match no pattern are open to every user with access to
    the service. Moderators (admins and the teacher group) may enter every room:
    they are the ones who keep order there.
    """

    def __init__(self, *, teacher_group: str = DEFAULT_TEACHER_GROUP,
                 room_groups: Mapping[str, Iterable[str]] | None = None) -> None:
        self.teacher_group = teacher_group
        self.room_groups = {pattern: frozenset(groups)
                            for pattern, groups in (room_groups or {}).items()}

    def is_moderator(self, model: Mapping[str, Any]) -> bool:
        return bool(model.get("admin")) or self.teacher_group in (model.get("groups") or ())

    def may_enter(self, model: Mapping[str, Any], room: str) -> bool:
        if self.is_moderator(model):
            return True
        for pattern, groups in self.room_groups.items():
            if fnmatch.fnmatchcase(room, pattern):
                return not groups.isdisjoint(model.get("groups") or ())
        return True

    def identity(self, model: Mapping[str, Any]) -> dict[str, Any]:
        """The room ``user`` of a hub user model: name, groups and the moderator flag."""
        name = str(model["name"])
        return {"username": name, "name": name, "display_name": name,
                "initials": _initials(name), "color": None, "verified": True,
                "groups": sorted(model.get("groups") or ()), "admin": bool(model.get("admin")),
                "moderator": self.is_moderator(model)}


class HubIdentityMixin(HubOAuthenticated):
    """Asks the hub who is calling, without blocking the event loop.

    ``HubAuthenticated.get_current_user`` would ask synchronously; doing it in
    ``prepare`` instead and caching the answer where ``get_current_user``
    looks keeps every other room responsive while the hub answers.
    """

    hub_auth: HubOAuth

    async def authenticate(self) -> None:
        model = await self.hub_auth.get_user(self, sync=False)
        if model is not None:
            try:
                model = self.check_hub_user(model)  # the service's access scope
            except UserNotAllowed:
                log.warning("refused hub %s %s: no access to this service",
                            model.get("kind"), model.get("name"))
                model = None
        if model is not None and model.get("kind", "user") != "user":
            log.warning("refused hub %s %s: rooms are for hub users", model.get("kind"),
                        model.get("name"))
            model = None
        self._hub_auth_user_cache = model


class HubRoomHandler(HubIdentityMixin, StandaloneRoomHandler):
    """WebSocket and HTTP for one room, authenticated and authorized by JupyterHub."""

    def initialize(self, room_host: RoomHost, options: ServeOptions,  # type: ignore[override]
                   hub_auth: HubOAuth, policy: HubPolicy) -> None:
        super().initialize(room_host, options)
        self.hub_auth = hub_auth
        self.policy = policy

    async def prepare(self) -> None:
        await super().prepare()
        await self.authenticate()

    def origin_allowed(self, origin: str | None) -> bool:
        # Cookie-carrying sockets from other sites are the CSWSH risk: pages of
        # the hub itself (same host as this request, through the proxy) and
        # --allow-origin entries only.
        if origin is None:
            return True
        origin = origin.rstrip("/").lower()
        allowed = self.serve_options.allowed_origins
        if "*" in allowed or origin in allowed:
            return True
        return urlparse(origin).netloc == self.request.host.lower()

    def refuse_unless_allowed(self) -> None:
        model = self.current_user
        if model is None:
            log.warning("refused %s %s: no hub credentials", self.request.method,
                        self.request.path[:200])
            raise Refused(RefusalCause.CREDENTIALS,
                          "Sign in through JupyterHub (token or service cookie)")
        origin = self.request.headers.get("Origin")
        if origin is not None and not self.origin_allowed(origin):
            log.warning("refused %s from origin %s", self.request.path[:200], origin[:100])
            raise Refused(RefusalCause.ORIGIN, "Origin not allowed")
        if self.request.method != "GET" and not getattr(self, "_token_authenticated", False):
            # Cookies ride along on cross-site form posts; writes over HTTP
            # need the Authorization header (sockets are origin-checked above).
            raise HTTPError(403, reason="HTTP writes need an Authorization: token header")
        _, room, _ = self.target()
        if not self.policy.may_enter(model, room):
            log.warning("refused %s in room %s: not in its hub groups", model["name"], room[:80])
            raise Refused(RefusalCause.ROOM, "This room is restricted to other hub groups")

    def room_user(self) -> dict[str, Any]:
        return self.with_client_marks(self.policy.identity(self.current_user))


class HubRootHandler(HubIdentityMixin, RequestHandler):
    """``GET {prefix}``: the page a browser visits once to get the service cookie.

    Signed-in callers get who they are as JSON; others are redirected through
    the hub's OAuth flow (silently, with ``oauth_no_confirm``) and come back here.
    """

    def initialize(self, hub_auth: HubOAuth, policy: HubPolicy) -> None:
        self.hub_auth = hub_auth
        self.policy = policy

    async def prepare(self) -> None:
        await self.authenticate()

    @authenticated
    def get(self) -> None:
        prefix = self.hub_auth.base_url
        self.set_header("Cache-Control", "no-store")
        self.write({"partywidget": True, "user": self.policy.identity(self.current_user),
                    "rooms": f"{prefix}parties/{{party}}/{{room}}"})


class HubCallbackHandler(HubOAuthCallbackHandler):
    """The hub's OAuth callback (sets the ``service-<name>`` cookie), with our HubOAuth."""

    def initialize(self, hub_auth: HubOAuth) -> None:
        self.hub_auth = hub_auth


def make_hub_app(room_host: RoomHost, options: ServeOptions, *, policy: HubPolicy,
                 hub_auth: HubOAuth | None = None,
                 auth_cache_seconds: int = HUB_AUTH_CACHE_SECONDS) -> Application:
    """The Tornado application of ``partywidget serve --jupyterhub``.

    ``auth_cache_seconds`` bounds how long a token revoked on the hub still
    works here (the hub's answers are cached that long).
    """
    hub_auth = hub_auth or HubOAuth(base_url=options.prefix, cache_max_age=auth_cache_seconds)
    room_kwargs = {"room_host": room_host, "options": options, "hub_auth": hub_auth,
                   "policy": policy}
    return Application([
        (options.prefix + "parties/.*", HubRoomHandler, room_kwargs),
        (options.prefix + "oauth_callback", HubCallbackHandler, {"hub_auth": hub_auth}),
        # Probes reach the service directly; /metrics needs the metrics token
        # (every request through the hub's proxy comes from loopback).
        *health_routes(options.prefix, room_host, options.metrics_token, loopback=False),
        (options.prefix, HubRootHandler, {"hub_auth": hub_auth, "policy": policy}),
    ], websocket_ping_interval=30, websocket_ping_timeout=30, log_function=log_request,
        # Signs the OAuth cookie; a new one per start only costs browsers one
        # more silent OAuth round trip.
        cookie_secret=secrets.token_bytes(32),
        login_url=hub_auth.login_url)


def hub_bind_address(environ: Mapping[str, str] = os.environ) -> tuple[str, int, str]:
    """(host, port, prefix) the hub assigned this service in its environment."""
    url, prefix = environ.get("JUPYTERHUB_SERVICE_URL"), environ.get("JUPYTERHUB_SERVICE_PREFIX")
    if not url or not prefix or not environ.get("JUPYTERHUB_API_TOKEN"):
        raise ConfigurationError(
            "expected JUPYTERHUB_SERVICE_URL, JUPYTERHUB_SERVICE_PREFIX and "
            "JUPYTERHUB_API_TOKEN: run `partywidget serve --jupyterhub` as a hub-managed "
            "service with a \"url\" (see docs/jupyterhub.md)")
    parsed = urlparse(url)
    if parsed.hostname is None:
        raise ConfigurationError(f"expected JUPYTERHUB_SERVICE_URL like http://host:port, "
                                 f"got {url!r}")
    return parsed.hostname, parsed.port or 80, prefix


async def run_hub(room_host: RoomHost, *, policy: HubPolicy,
                  allowed_origins: list[str] | tuple[str, ...] = (), ready: Any = None,
                  network: NetworkLimits | None = None,
                  auth_cache_seconds: int = HUB_AUTH_CACHE_SECONDS,
                  metrics_token: str = "") -> None:
    """Serve rooms as a JupyterHub service until SIGINT/SIGTERM.

    Every connection arrives from the hub's proxy, so ``network`` has no cap
    per address unless one is given.
    """
    host, port, prefix = hub_bind_address()
    network = network or NetworkLimits(max_connections_per_address=0)

    def app_factory(room_host: RoomHost, options: ServeOptions) -> Application:
        return make_hub_app(room_host, options, policy=policy,
                            auth_cache_seconds=auth_cache_seconds)

    await run(room_host, host=host, port=port, allowed_origins=allowed_origins, prefix=prefix,
              ready=ready, network=network, app_factory=app_factory,
              metrics_token=metrics_token)
