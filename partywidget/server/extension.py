"""The Jupyter server extension: rooms at ``{base_url}partywidget/parties/{party}/{room}``.

Modelled on jupyter_server's own kernel socket: ``WebSocketMixin`` (pings,
``allow_origin``-aware origin check), ``@ws_authenticated`` (403, no redirect),
an explicit ``authorizer.is_authorized`` with our own ``auth_resource``, and no
side effect before all of that has passed.
"""

from __future__ import annotations

import getpass
import os
from typing import Any

from jupyter_core.paths import jupyter_data_dir
from jupyter_server.auth.decorator import allow_unauthenticated, ws_authenticated
from jupyter_server.auth.identity import IdentityProvider, PasswordIdentityProvider
from jupyter_server.base.handlers import JupyterHandler
from jupyter_server.base.websocket import WebSocketMixin
from jupyter_server.extension.application import ExtensionApp
from jupyter_server.utils import url_path_join
from prometheus_client import REGISTRY
from tornado.websocket import WebSocketHandler, WebSocketProtocol, WebSocketProtocol13
from traitlets import TraitError, Unicode, validate

from .. import __version__
from ..errors import InvalidName
from ..protocol.names import check_name
from ..protocol.refusals import RefusalCause
from ..rooms import RoomHost
from .config import RoomOptions
from .handler import Refused, RoomHandlerMixin
from .health import probe
from .metrics import HostCollector

__all__ = ["JupyterHealthHandler", "JupyterRoomHandler", "PartyWidget"]

AUTH_RESOURCE = "partywidget"


def _initials(name: str) -> str:
    words = [w for w in name.replace("-", " ").replace("_", " ").split() if w]
    return "".join(w[0] for w in words[:2]).upper() or "?"


def owned_by_its_runner(identity_provider: object) -> bool:
    """Whether identities come from jupyter_server's own providers (token or password).

    Those know one person, the owner; any other provider (JupyterHub's
    singleuser, its legacy mode's ``LegacyIdentityProvider``, a site's own
    subclass) names real users, and is trusted as is: hence the exact types.
    """
    return type(identity_provider) in (IdentityProvider, PasswordIdentityProvider)


class JupyterRoomHandler(RoomHandlerMixin, WebSocketMixin, WebSocketHandler, JupyterHandler):
    """WebSocket and HTTP for one room inside a Jupyter server."""

    auth_resource = AUTH_RESOURCE

    def initialize(self, room_host: RoomHost, rooms_prefix: str) -> None:
        self.room_host = room_host
        self.rooms_prefix = rooms_prefix

    def refuse_unless_allowed(self) -> None:
        # Authentication is the decorator's (403 before this runs). The origin
        # of a WebSocket upgrade is checked here with WebSocketMixin's
        # allow_origin-aware rules, because Tornado's own check comes only
        # after get() would have created the room; POSTs are origin-checked by
        # JupyterHandler's XSRF check.
        if self.is_upgrade() and not self.check_origin():
            raise Refused(RefusalCause.ORIGIN, "Cross-origin websocket not allowed")
        action = "execute" if self.is_upgrade() else (
            "read" if self.request.method == "GET" else "write")
        if not self.authorizer.is_authorized(self, self.current_user, action, AUTH_RESOURCE):
            raise Refused(RefusalCause.ROOM, f"Not allowed to {action} rooms")

    def room_user(self) -> dict[str, Any]:
        user = self.current_user
        info: dict[str, Any] = {
            "username": user.username,
            "name": user.name or user.username,
            "display_name": user.display_name or user.name or user.username,
            "initials": user.initials or _initials(user.display_name or user.username),
            "color": user.color,
            # Everyone this server authenticates may use it as its owner does.
            "moderator": True,
        }
        if owned_by_its_runner(self.identity_provider):
            # Everyone jupyter_server's own identity provider admits holds the
            # token or password, i.e. is the server's owner: it only makes up a
            # random "Anonymous ..." per browser. So tabs and kernels read as the
            # account the server runs as (issue 18, item 3; docs/security.md).
            owner = getpass.getuser()
            info.update(username=owner, name=owner, display_name=owner,
                        initials=_initials(owner), color=None)
        return self.with_client_marks(info)

    def get_websocket_protocol(self) -> WebSocketProtocol | None:
        # One keep-alive per socket: WebSocketMixin's (a ping every
        # ws_ping_interval ms, close after ws_ping_timeout ms without a pong,
        # as for Jupyter's kernel sockets). Tornado's own ping task reads the
        # same ping_interval property as seconds (30,000 s: never a ping, yet
        # a task, a coroutine and a timer kept per socket), so it is turned off.
        protocol = super().get_websocket_protocol()
        if isinstance(protocol, WebSocketProtocol13):  # the only version Tornado speaks
            protocol.params.ping_interval = 0
        return protocol

    get = ws_authenticated(RoomHandlerMixin.get)
    post = ws_authenticated(RoomHandlerMixin.post)
    put = ws_authenticated(RoomHandlerMixin.put)
    delete = ws_authenticated(RoomHandlerMixin.delete)

    async def prepare(self, *args: Any, **kwargs: Any) -> None:  # type: ignore[override]
        result = super().prepare(*args, **kwargs)
        if result is not None:
            await result
        await self.room_host.start()


class JupyterHealthHandler(JupyterHandler):
    """``{base_url}{url_prefix}/healthz`` and ``/readyz``: probes without credentials.

    Like jupyter_server's own ``GET /api`` (its version), these answer
    anyone: a probe has no token, and the answer is ``ok`` or a fixed reason,
    nothing about rooms or users. Metrics are not here but in Jupyter's
    ``/metrics``, behind its ``authenticate_prometheus``.
    """

    def initialize(self, room_host: RoomHost, ready: bool) -> None:
        self.room_host = room_host
        self.ready = ready

    @allow_unauthenticated
    async def get(self) -> None:
        self.set_header("Cache-Control", "no-store")
        status, body = await probe(self.room_host, self.ready)
        self.set_status(status)
        self.finish(body)


class PartyWidget(RoomOptions, ExtensionApp):
    """partywidget's Jupyter server extension (configure as ``c.PartyWidget.*``)."""

    name = "partywidget"
    description = "PartyKit-style realtime rooms for notebooks"
    load_other_extensions = True

    url_prefix = Unicode(
        "partywidget", config=True,
        help="Path under base_url where rooms are served ({base_url}{url_prefix}/parties/...). "
             "Kernels and widgets this server starts find it by themselves.")

    room_host: RoomHost

    @validate("url_prefix")
    def _check_url_prefix(self, proposal: Any) -> str:
        prefix = str(proposal["value"]).strip("/")
        try:
            for segment in prefix.split("/"):
                check_name("url_prefix segment", segment)
        except InvalidName as exc:
            raise TraitError(f"PartyWidget.url_prefix: {exc}") from None
        return prefix

    def initialize_settings(self) -> None:
        default_dir = jupyter_data_dir()
        self.room_host = self.make_host(default_dir)
        self.settings["partywidget_room_host"] = self.room_host
        # Jupyter serves the default registry at {base_url}metrics.
        self._collector = HostCollector(self.room_host)
        REGISTRY.register(self._collector)
        base = self.serverapp.base_url
        self.rooms_prefix = url_path_join(base, self.url_prefix, "parties") + "/"
        self.log.info("partywidget %s: rooms at %s{party}/{room}, parties %s, storage %s",
                      __version__, self.rooms_prefix, ", ".join(sorted(self.room_host.parties)),
                      self.room_host.storage.description)
        # Kernels started by this server inherit these, so partywidget.connect()
        # in a notebook finds its own server without a URL or token, and its
        # widgets' pages find the rooms under the same prefix.
        os.environ["PARTYWIDGET_JUPYTER_URL"] = url_path_join(
            self.serverapp.connection_url, self.url_prefix)
        os.environ["PARTYWIDGET_JUPYTER_PREFIX"] = self.url_prefix
        token = getattr(self.serverapp.identity_provider, "token", "") or ""
        if token:
            os.environ["PARTYWIDGET_JUPYTER_TOKEN"] = token

    def initialize_handlers(self) -> None:
        kwargs = {"room_host": self.room_host, "rooms_prefix": self.rooms_prefix}
        self.handlers.append((rf"/{self.url_prefix}/parties/.*", JupyterRoomHandler, kwargs))
        for path, ready in (("healthz", False), ("readyz", True)):
            self.handlers.append((f"/{self.url_prefix}/{path}", JupyterHealthHandler,
                                  {"room_host": self.room_host, "ready": ready}))

    async def _start_jupyter_server_extension(self, serverapp: Any) -> None:
        await super()._start_jupyter_server_extension(serverapp)
        # No room host when initialize_settings failed (a bad party spec, say):
        # Jupyter has logged why and runs on without rooms.
        if getattr(self, "room_host", None) is not None:
            await self.room_host.start()

    async def stop_extension(self) -> None:
        collector = getattr(self, "_collector", None)
        if collector is not None:
            REGISTRY.unregister(collector)
            self._collector = None
        if getattr(self, "room_host", None) is not None:
            await self.room_host.close()
