"""The ``partywidget`` command: ``serve`` (standalone room host) and ``demo``."""

from __future__ import annotations

import argparse
import asyncio
import errno
import logging
import os
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

from .errors import ConfigurationError, PartyWidgetError
from .rooms import Limits
from .server.netlimits import HUB_AUTH_CACHE_SECONDS, NetworkLimits

if TYPE_CHECKING:
    from .server.config import ServeConfig

__all__ = ["main"]


def _party_spec(text: str) -> tuple[str, str]:
    name, sep, spec = text.partition("=")
    if not sep or not name or ":" not in spec:
        raise argparse.ArgumentTypeError(f"expected NAME=package.module:Class, got {text!r}")
    return name, spec


def _room_groups_spec(text: str) -> tuple[str, list[str]]:
    pattern, sep, groups = text.partition("=")
    names = [g.strip() for g in groups.split(",") if g.strip()]
    if not sep or not pattern or not names:
        raise argparse.ArgumentTypeError(f"expected PATTERN=GROUP[,GROUP], got {text!r}")
    return pattern, names


#: Flags of ``partywidget serve`` for the common options: (flag, type, default, help).
_LIMIT_FLAGS = [
    ("history", int, Limits.history, "messages (log offsets) each room keeps"),
    ("max-frame-size", int, Limits.max_frame_size,
     "largest incoming frame in bytes; larger ones close with 1009"),
    ("messages-per-second", float, Limits.messages_per_second,
     "sustained messages per second per connection"),
    ("message-burst", int, Limits.message_burst, "messages allowed in a burst above the rate"),
    ("bytes-per-second", int, Limits.bytes_per_second,
     "sustained bytes per second per connection"),
    ("byte-burst", int, Limits.byte_burst, "bytes allowed in a burst above that rate"),
    ("max-buffered-bytes", int, Limits.max_buffered_bytes,
     "bytes queued for a non-reading client before it is closed with 4008"),
    ("idle-unload-seconds", float, Limits.idle_unload_seconds,
     "seconds an empty room stays in memory"),
    ("room-loads-per-minute", int, Limits.room_loads_per_minute,
     "rooms one user may load per minute, past those loaded (more get 429)"),
]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="partywidget",
                                     description="PartyKit-style realtime rooms for Jupyter.")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser(
        "serve", help="run a standalone room host (like `partykit dev`)",
        description="Serve rooms at http://HOST:PORT/parties/{party}/{room}. On loopback no "
                    "token is needed (dev mode); on any other address --token or JWT identities "
                    "(--jwt-secret, --jwt-public-key-file) are required.")
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=1999, help="port (default 1999)")
    serve.add_argument("--config", metavar="FILE.py",
                       help="a traitlets config file with c.PartyWidget.<option> settings, the "
                            "same names as in jupyter_server_config.py; flags override it")
    serve.add_argument("--storage", default=None,
                       help="'memory:', 'sqlite:///path.db' or a .db path "
                            "(default: partywidget.db in the current directory)")
    serve.add_argument("--redis", default=None, metavar="URL",
                       help="share rooms with every process using this Redis "
                            "(redis://host:6379/0): storage and broadcasts go through it "
                            "(docs/scaling.md)")
    serve.add_argument("--party", action="append", type=_party_spec, default=[],
                       metavar="NAME=module:Class", help="register a party (repeatable)")
    limits = serve.add_argument_group(
        "limits", "the common c.PartyWidget options (docs/configuration.md has them all)")
    for flag, kind, default, what in _LIMIT_FLAGS:
        limits.add_argument(f"--{flag}", type=kind, default=None, metavar="N",
                            help=f"{what} (default {default:g})")
    serve.add_argument("--allow-origin", action="append", default=[], metavar="ORIGIN",
                       help="browser origin allowed besides loopback pages (repeatable; '*' "
                            "allows all)")
    serve.add_argument("--token", default="",
                       help="token clients must present (default: $PARTYWIDGET_TOKEN; required "
                            "off loopback)")
    serve.add_argument("--metrics-token", default="",
                       help="token Prometheus presents for /metrics (Authorization: Bearer; "
                            "default: $PARTYWIDGET_METRICS_TOKEN, else --token; without any, "
                            "loopback only, and never with --jupyterhub)")
    serve.add_argument("--prefix", default="/",
                       help="URL path prefix, e.g. a JupyterHub service prefix (default /)")
    serve.add_argument("--log-level", default="INFO", help="logging level (default INFO)")
    network = serve.add_argument_group(
        "network", "what a client may hold before its request is complete (docs/security.md)")
    network.add_argument("--header-timeout", type=float, default=NetworkLimits.header_timeout,
                         metavar="SECONDS",
                         help="close connections whose request headers take longer, and idle "
                              "keep-alive connections after as long (default "
                              f"{NetworkLimits.header_timeout:g})")
    network.add_argument("--body-timeout", type=float, default=NetworkLimits.body_timeout,
                         metavar="SECONDS", help="close requests whose body takes longer "
                                                 f"(default {NetworkLimits.body_timeout:g})")
    network.add_argument("--max-connections-per-address", type=int, default=None, metavar="N",
                         help="concurrent connections from one client address, 0 for no cap "
                              f"(default {NetworkLimits.max_connections_per_address}; 0 with "
                              "--jupyterhub, where every connection comes from the hub's proxy)")
    hub = serve.add_argument_group(
        "JupyterHub", "run as a hub-managed service: address and prefix come from the hub "
                      "(JUPYTERHUB_SERVICE_URL/_PREFIX), users sign in through the hub")
    hub.add_argument("--jupyterhub", action="store_true", help="JupyterHub service mode")
    hub.add_argument("--teacher-group", default="teachers",
                     help="hub group whose members moderate, besides admins (default teachers)")
    hub.add_argument("--hub-cache-seconds", type=int, default=HUB_AUTH_CACHE_SECONDS,
                     metavar="SECONDS",
                     help="how long the hub's answer about a token is reused; a token revoked on "
                          f"the hub stops working within this time (default "
                          f"{HUB_AUTH_CACHE_SECONDS})")
    hub.add_argument("--room-group", action="append", type=_room_groups_spec, default=[],
                     metavar="PATTERN=GROUP[,GROUP]",
                     help="restrict rooms matching PATTERN (fnmatch) to these hub groups "
                          "(repeatable; the first matching pattern decides)")
    jwt = serve.add_argument_group(
        "JWT identities", "users signed in by your site: it mints a JWT per user (claims sub, "
                          "name, groups or role, exp) that clients present as the token "
                          "(docs/security.md)")
    jwt.add_argument("--jwt-secret", default=None, metavar="SECRET",
                     help="HS256 secret, at least 32 bytes (default: $PARTYWIDGET_JWT_SECRET; "
                          "prefer the variable: arguments are visible to other users)")
    jwt.add_argument("--jwt-public-key-file", default=None, metavar="PEM",
                     help="verify RS256 or ES256 tokens with this public key (default: "
                          "$PARTYWIDGET_JWT_PUBLIC_KEY_FILE)")
    jwt.add_argument("--jwt-audience", default=None, metavar="AUD",
                     help="required 'aud' claim (default: none allowed)")
    jwt.add_argument("--jwt-issuer", default=None, metavar="ISS",
                     help="required 'iss' claim (default: any)")
    jwt.add_argument("--jwt-teacher-group", default=None, metavar="GROUP",
                     help="'groups' entry or 'role' that moderates (default teachers)")
    demo = commands.add_parser(
        "demo", help="open JupyterLab on the quickstart notebook with rooms enabled")
    demo.add_argument("--port", type=int, default=8888, help="JupyterLab port (default 8888)")
    demo.add_argument("--no-browser", action="store_true", help="do not open a browser")
    return parser


def serve_options(args: argparse.Namespace) -> ServeConfig:
    """The room host's options: ``--config`` first, then the flags given."""
    from .server.config import ServeConfig, apply_overrides, load_config_file

    options = ServeConfig(config=load_config_file(args.config) if args.config else None)
    apply_overrides(options, {flag.replace("-", "_"): getattr(args, flag.replace("-", "_"))
                              for flag, *_ in _LIMIT_FLAGS})
    apply_overrides(options, {"storage": args.storage, "redis_url": args.redis})
    # The key: the file's, then the environment's, then the flags' (last wins).
    apply_overrides(options, {
        "jwt_secret": os.environ.get("PARTYWIDGET_JWT_SECRET") or None,
        "jwt_public_key_file": os.environ.get("PARTYWIDGET_JWT_PUBLIC_KEY_FILE") or None})
    apply_overrides(options, {name: getattr(args, name) for name in (
        "jwt_secret", "jwt_public_key_file", "jwt_audience", "jwt_issuer", "jwt_teacher_group")})
    if args.party:
        options.parties = {**options.parties, **dict(args.party)}
    return options


def network_limits(args: argparse.Namespace) -> NetworkLimits:
    """The flags' :class:`NetworkLimits`; no per-address cap by default behind the hub."""
    cap = args.max_connections_per_address
    if cap is None:
        cap = 0 if args.jupyterhub else NetworkLimits.max_connections_per_address
    try:
        return NetworkLimits(header_timeout=args.header_timeout, body_timeout=args.body_timeout,
                             max_connections_per_address=cap)
    except ValueError as exc:
        raise ConfigurationError(str(exc)) from None


def serve(args: argparse.Namespace) -> int:
    from .server.standalone import run

    logging.basicConfig(level=args.log_level.upper(),
                        format="[%(levelname)1.1s %(asctime)s %(name)s] %(message)s")
    # `--party counter=counter_party:Counter` next to counter_party.py loads as
    # `python -m partywidget serve` would: the current directory is importable.
    if os.getcwd() not in sys.path and "" not in sys.path:
        sys.path.insert(0, os.getcwd())
    options = serve_options(args)
    jwt = options.jwt_identities()
    if args.jupyterhub and (jwt is not None or any(getattr(args, name) is not None for name in (
            "jwt_audience", "jwt_issuer", "jwt_teacher_group"))):
        # Silently ignoring them would leave an operator believing tokens are checked.
        raise ConfigurationError(
            "--jupyterhub takes its users from the hub: JWT identities (--jwt-*, "
            "$PARTYWIDGET_JWT_SECRET, $PARTYWIDGET_JWT_PUBLIC_KEY_FILE, jwt_* in --config) "
            "do not apply there; drop them, or serve without --jupyterhub")
    host = options.make_host(default_dir=".")
    network = network_limits(args)
    if args.jupyterhub:
        from .server.hub import HubPolicy, run_hub

        policy = HubPolicy(teacher_group=args.teacher_group, room_groups=dict(args.room_group))
        asyncio.run(run_hub(host, policy=policy, allowed_origins=args.allow_origin,
                            network=network, auth_cache_seconds=args.hub_cache_seconds,
                            metrics_token=args.metrics_token))
        return 0
    try:
        asyncio.run(run(host, host=args.host, port=args.port, token=args.token,
                        allowed_origins=args.allow_origin, prefix=args.prefix,
                        network=network, metrics_token=args.metrics_token, jwt=jwt))
    except OSError as exc:
        if exc.errno != errno.EADDRINUSE:
            raise
        raise ConfigurationError(
            f"port {args.port} on {args.host} is in use (another partywidget serve?): stop "
            "what uses it, or choose another port with --port N") from None
    return 0


def demo(args: argparse.Namespace) -> int:
    from .demo import run_demo

    return run_demo(port=args.port, open_browser=not args.no_browser)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return serve(args) if args.command == "serve" else demo(args)
    except PartyWidgetError as exc:
        print(f"partywidget: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
