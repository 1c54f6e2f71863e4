"""``/healthz``, ``/readyz`` and ``/metrics`` for operators (Kubernetes probes, Prometheus).

* ``GET /healthz``: 200 while the event loop answers (liveness). It checks
  nothing else on purpose: a Redis outage must not get every replica
  restarted by its liveness probe.
* ``GET /readyz``: 200 when the storage answers a read within
  :data:`READY_TIMEOUT` and, with a backplane, its subscription is live;
  503 with the reason otherwise (readiness: take the replica out of the
  load balancer until Redis is back). Both answer without credentials and
  say nothing but ``ok`` or a fixed reason (no URL, no exception text).
* ``GET /metrics``: Prometheus text. Protected (docs/security.md): with a
  metrics token (``--metrics-token``, else the serve token) only
  ``Authorization: Bearer <token>`` reads it; without any token (dev mode
  on loopback) only loopback peers asking for a loopback host do, and
  behind JupyterHub's proxy nobody does.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from tornado.web import HTTPError, RequestHandler

from ..rooms import RoomHost
from .metrics import serve_registry
from .netlimits import is_loopback

__all__ = ["READY_TIMEOUT", "health_routes", "probe", "unready_reason"]

log = logging.getLogger("partywidget")

#: Seconds the storage has to answer a readiness read (Kubernetes' default
#: probe timeout is 1 s; set timeoutSeconds above this).
READY_TIMEOUT = 2.0

#: A room name no client can use (names are checked by ``check_name``): the
#: readiness read touches no room's data and stores nothing.
_PROBE_ROOM = "\x00readyz"


async def unready_reason(host: RoomHost, timeout: float = READY_TIMEOUT) -> str:
    """Why ``host`` should not get traffic now, or "" when it should."""
    try:
        await asyncio.wait_for(host.start(), timeout)
    except Exception as exc:
        log.warning("readyz: storage did not open: %r", exc)
        return "storage not open"
    try:
        await asyncio.wait_for(host.storage.get(_PROBE_ROOM, "ping"), timeout)
    except Exception as exc:  # logged here, never sent: it may name hosts or paths
        log.warning("readyz: storage unreachable: %r", exc)
        return "storage unreachable"
    if host.backplane is not None:
        return host.backplane.unready()
    return ""


async def probe(host: RoomHost, ready: bool) -> tuple[int, dict[str, Any]]:
    """Status and JSON body of ``/healthz`` (``ready`` False) or ``/readyz``."""
    reason = await unready_reason(host) if ready else ""
    return (503, {"ok": False, "reason": reason}) if reason else (200, {"ok": True})


class _NoCache(RequestHandler):
    def set_default_headers(self) -> None:
        self.set_header("Cache-Control", "no-store")


class ProbeHandler(_NoCache):
    """Liveness (the event loop answers) or readiness (storage and backplane)."""

    def initialize(self, room_host: RoomHost, ready: bool) -> None:
        self.room_host = room_host
        self.ready = ready

    async def get(self) -> None:
        status, body = await probe(self.room_host, self.ready)
        self.set_status(status)
        self.write(body)


class MetricsHandler(_NoCache):
    """Prometheus metrics, for the metrics token holder or loopback in dev mode."""

    def initialize(self, registry: CollectorRegistry, token: str, loopback: bool) -> None:
        self.registry = registry
        self.token = token
        self.loopback = loopback

    def get(self) -> None:
        if self.token:
            scheme, _, value = self.request.headers.get("Authorization", "").partition(" ")
            if scheme.lower() not in ("bearer", "token") or not hmac.compare_digest(
                    value.strip().encode(), self.token.encode()):
                raise HTTPError(403, reason="Missing or wrong metrics token")
        elif not (self.loopback and _loopback(self.request.remote_ip)
                  and _loopback(self.request.host_name)):
            # No token: loopback only, by peer (no remote scraper) and by Host
            # name (no DNS rebinding from a page the operator visits).
            raise HTTPError(403, reason="Metrics are served to loopback only without a token")
        self.set_header("Content-Type", CONTENT_TYPE_LATEST)
        self.write(generate_latest(self.registry))


def _loopback(host: str | None) -> bool:
    return host is not None and is_loopback(host)


def health_routes(prefix: str, room_host: RoomHost, metrics_token: str, *,
                  loopback: bool) -> list[Any]:
    """Routes of the three endpoints under ``prefix`` (ending in ``/``).

    ``loopback``: without ``metrics_token``, loopback peers may read the
    metrics (False behind a proxy, whose requests all come from it).
    """
    return [
        (prefix + "healthz", ProbeHandler, {"room_host": room_host, "ready": False}),
        (prefix + "readyz", ProbeHandler, {"room_host": room_host, "ready": True}),
        (prefix + "metrics", MetricsHandler,
         {"registry": serve_registry(room_host), "token": metrics_token, "loopback": loopback}),
    ]
