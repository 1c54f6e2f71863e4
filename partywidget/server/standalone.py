"""``partywidget serve``: rooms without Jupyter, at ``/parties/{party}/{room}`` (port 1999).

Like ``partykit dev``: on loopback it needs no token (dev mode) and accepts
browser origins on loopback only (plus ``--allow-origin``). Bound to any other
address it refuses to start without a token, which clients present as
``?token=`` or ``Authorization: token|bearer <token>``. With JWT identities
(:mod:`.jwtauth`) the presented token may also be a JWT signed by the site,
which names the user and whether they moderate.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import os
import signal
from collections.abc import Callable
from typing import Any
from urllib.parse import urlparse

from tornado.web import Application, RequestHandler
from tornado.websocket import WebSocketHandler

from ..errors import ConfigurationError
from ..protocol.names import MAX_DISPLAY_NAME, shown_text
from ..protocol.refusals import RefusalCause
from ..rooms import RoomHost
from .accesslog import log_request, request_summary
from .handler import Refused, RoomHandlerMixin
from .health import health_routes
from .jwtauth import JwtIdentities, JwtRefused
from .netlimits import is_loopback
from .network import GuardedHTTPServer, NetworkLimits, raise_open_files_limit

__all__ = ["ServeOptions", "StandaloneRoomHandler", "make_app", "run"]

log = logging.getLogger("partywidget")

#: The display name of whoever holds the shared ``--token`` while JWT identities
#: are on: fixed, so it cannot pose as a signed user (its ``name=`` is a label).
TOKEN_HOLDER = "Token holder"


class ServeOptions:
    """What ``make_app`` needs besides the room host."""

    def __init__(self, *, token: str = "", allowed_origins: list[str] | tuple[str, ...] = (),
                 dev_mode: bool = True, prefix: str = "/", metrics_token: str = "",
                 jwt: JwtIdentities | None = None) -> None:
        self.token = token
        #: Verifies site-signed JWTs; when set, every request needs one (or the token).
        self.jwt = jwt
        #: Who may read ``/metrics`` (empty: loopback only, see :mod:`.health`).
        self.metrics_token = metrics_token
        self.allowed_origins = {o.rstrip("/").lower() for o in allowed_origins}
        self.dev_mode = dev_mode
        self.prefix = prefix if prefix.endswith("/") else prefix + "/"


class StandaloneRoomHandler(RoomHandlerMixin, WebSocketHandler):
    """WebSocket and HTTP for one room in ``partywidget serve``."""

    #: Not ``self.options``: that name is the handler's HTTP OPTIONS method.
    serve_options: ServeOptions

    def initialize(self, room_host: RoomHost, options: ServeOptions) -> None:
        self.room_host = room_host
        self.serve_options = options
        self.rooms_prefix = options.prefix + "parties/"
        # Tornado calls set_default_headers() before initialize(); again now
        # that the origin policy it applies is known.
        self.set_default_headers()

    async def prepare(self) -> None:
        await self.room_host.start()

    #: The user a verified JWT named (set by refuse_unless_allowed), else None.
    jwt_user: dict[str, Any] | None = None

    # authentication and origin ---------------------------------------------

    def presented_token(self) -> str:
        auth = self.request.headers.get("Authorization", "")
        scheme, _, value = auth.partition(" ")
        if scheme.lower() in ("token", "bearer") and value:
            return value.strip()
        return self.query_args().get("token", "")

    def origin_allowed(self, origin: str | None) -> bool:
        if origin is None:  # not a browser: no cross-site risk, the token decides
            return True
        origin = origin.rstrip("/").lower()
        allowed = self.serve_options.allowed_origins
        if "*" in allowed or origin in allowed:
            return True
        host = urlparse(origin).hostname or ""
        return self.serve_options.dev_mode and is_loopback(host)

    def check_origin(self, origin: str) -> bool:  # Tornado's CSWSH defence, our policy
        return self.origin_allowed(origin)

    def refuse_unless_allowed(self) -> None:
        options = self.serve_options
        presented = self.presented_token()
        holds_token = bool(options.token) and hmac.compare_digest(presented.encode(),
                                                                  options.token.encode())
        if options.jwt is not None and not holds_token:
            self.jwt_user = self.verified_jwt_user(presented)
        elif options.token and not holds_token:
            log.warning("refused %s %s: missing or wrong token", self.request.method,
                        self.request.path[:200])
            raise Refused(RefusalCause.CREDENTIALS, "Missing or wrong token")
        if not options.token and options.jwt is None and not is_loopback(self.request.host_name):
            # DNS rebinding: a page of evil.example re-resolved to 127.0.0.1 is
            # same-origin with us and sends no Origin. Tokenless dev mode
            # answers loopback names only (jupyter_server's host check, too).
            log.warning("refused %s for host %s: dev mode serves loopback names only",
                        self.request.path[:200], self.request.host[:100])
            raise Refused(RefusalCause.ORIGIN,
                          "Host not allowed (dev mode: use localhost or --token)")
        origin = self.request.headers.get("Origin")
        if origin is not None and not self.origin_allowed(origin):
            log.warning("refused %s from origin %s", self.request.path[:200], origin[:100])
            raise Refused(RefusalCause.ORIGIN, "Origin not allowed")

    def verified_jwt_user(self, presented: str) -> dict[str, Any]:
        """The user of the presented JWT, or a 403 naming why not (never the token)."""
        assert self.serve_options.jwt is not None
        if not presented:
            reason = "Missing token"
        else:
            try:
                return self.serve_options.jwt.identity(presented)
            except JwtRefused as exc:
                reason = str(exc)
        log.warning("refused %s %s: %s", self.request.method, self.request.path[:200], reason)
        raise Refused(RefusalCause.CREDENTIALS, reason)

    def set_default_headers(self) -> None:
        origin = self.request.headers.get("Origin")
        # Tornado calls this from __init__, before initialize() set the policy.
        if hasattr(self, "serve_options") and origin and self.origin_allowed(origin):
            self.set_header("Access-Control-Allow-Origin", origin)
            self.set_header("Vary", "Origin")
            self.set_header("Access-Control-Allow-Headers", "Authorization, Content-Type")
            self.set_header("Access-Control-Allow-Methods", "GET, POST, OPTIONS")

    def _request_summary(self) -> str:
        # Tornado names the request this way in its warnings about failed
        # requests (a 400 for a bad room name, say): no token in the log.
        return request_summary(self)

    def options(self, *args: Any) -> None:  # CORS pre-flight for PartySocket.fetch
        self.set_status(204)
        self.finish()

    def room_user(self) -> dict[str, Any]:
        # No identity provider here: a connection is a guest whose name the host
        # derives from its _pk with a secret key (rooms.identity), so no client
        # can choose or copy another guest's name; `name` in the query is a
        # self-chosen display name, marked unverified.
        # A socket without _pk is named by the one the host made for it: sockets
        # are never one shared guest (who would share its connection caps).
        # HTTP requests without _pk are the guest "anon".
        if self.jwt_user is not None:  # a site-signed identity: that user, that role
            return self.with_client_marks(dict(self.jwt_user))
        pk = self.connection_pk()
        tag = self.room_host.ids.guest_tag(pk) if pk else "anon"
        guest = {"username": f"guest-{tag}", "name": f"guest-{tag}", "color": None,
                 "verified": False, "moderator": True}
        if self.serve_options.jwt is not None:
            # Signed users share the room: a token holder's self-chosen name could
            # pose as one of them, so it is only a label after a fixed name.
            return self.with_client_marks({**guest, "display_name": TOKEN_HOLDER,
                                           "initials": TOKEN_HOLDER[:1]})
        query = self.query_args()
        name = shown_text(query.get("name"), MAX_DISPLAY_NAME)
        return {**guest, "display_name": name or f"Guest {tag}",
                "initials": (name or "G")[:1].upper(),
                **({"kernel": True} if query.get("client") == "kernel" else {})}


class _Root(RequestHandler):
    def get(self) -> None:
        self.write({"partywidget": True, "rooms": "/parties/{party}/{room}"})


def make_app(room_host: RoomHost, options: ServeOptions) -> Application:
    """The Tornado application of ``partywidget serve``."""
    kwargs = {"room_host": room_host, "options": options}
    return Application([
        (options.prefix + "parties/.*", StandaloneRoomHandler, kwargs),
        *health_routes(options.prefix, room_host, options.metrics_token or options.token,
                       loopback=options.dev_mode),
        (options.prefix, _Root),
    ], websocket_ping_interval=30, websocket_ping_timeout=30, log_function=log_request)


async def run(room_host: RoomHost, *, host: str = "127.0.0.1", port: int = 1999,
              token: str = "", allowed_origins: list[str] | tuple[str, ...] = (),
              prefix: str = "/", ready: Any = None, network: NetworkLimits | None = None,
              app_factory: Callable[[RoomHost, ServeOptions], Application] | None = None,
              metrics_token: str = "", jwt: JwtIdentities | None = None) -> None:
    """Serve until SIGINT/SIGTERM; close every room cleanly (1001) on the way out.

    ``app_factory`` replaces :func:`make_app` by an application that
    authenticates every request itself (the JupyterHub mode), so no token is
    needed off loopback. ``network`` bounds what a client may hold before
    its request is complete (:class:`NetworkLimits`). ``metrics_token``
    (else ``PARTYWIDGET_METRICS_TOKEN``, else the token) guards ``/metrics``.
    ``jwt`` verifies site-signed identities; with it, no shared token is needed.
    """
    token = token or os.environ.get("PARTYWIDGET_TOKEN", "")
    metrics_token = metrics_token or os.environ.get("PARTYWIDGET_METRICS_TOKEN", "")
    loopback = is_loopback(host)
    if app_factory is None and not loopback and not token and jwt is None:
        raise ConfigurationError(
            f"refusing to serve on {host} without a token: pass --token, set "
            "PARTYWIDGET_TOKEN or configure JWT identities (tokenless dev mode is for "
            "127.0.0.1/localhost only)")
    options = ServeOptions(token=token, allowed_origins=allowed_origins,
                           dev_mode=loopback, prefix=prefix, metrics_token=metrics_token,
                           jwt=jwt)
    await room_host.start()
    app = (app_factory or make_app)(room_host, options)
    open_files = raise_open_files_limit()
    server = GuardedHTTPServer(app, max_body_size=room_host.limits.max_frame_size,
                               limits=network)
    server.listen(port, address=host)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    mode = ("authenticated by the app" if app_factory else
            "signed JWT identities" + (" or the token" if token else "") if jwt else
            "token required" if token else "dev mode: no token, loopback origins")
    log.info("partywidget serving rooms at http://%s:%d%sparties/{party}/{room} (%s); "
             "parties: %s; storage: %s; open files limit: %s", host, port, prefix, mode,
             ", ".join(sorted(room_host.parties)), room_host.storage.description, open_files)
    if ready is not None:
        ready()
    try:
        await stop.wait()
    finally:
        server.stop()
        await room_host.close()
        await server.close_all_connections()
