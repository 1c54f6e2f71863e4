"""``/healthz``, ``/readyz`` and ``/metrics`` on real servers, with real clients.

``partywidget serve`` with a token (probes need none, metrics do), in dev
mode (metrics for loopback only), on a redis-server of its own that the test
stops and starts again (readiness follows it), and inside Jupyter (probes
under the extension's prefix, metrics in Jupyter's own ``/metrics``).
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import ServerProcess, free_port
from tests.redis_server import RedisServer

from .clients import HttpResult, fetch

pytestmark = pytest.mark.timeout(120)

#: Readiness polls: every 0.2 s, bounded (the heartbeat and Redis's restart set the pace).
POLLS, POLL_SECONDS = 150, 0.2


def samples(result: HttpResult) -> dict[str, float]:
    """``name{labels}`` -> value of a Prometheus text answer, for partywidget's metrics."""
    assert result.status == 200, result.body[:300]
    found: dict[str, float] = {}
    for family in text_string_to_metric_families(result.body.decode()):
        for sample in family.samples:
            labels = ",".join(f"{k}={v}" for k, v in sorted(sample.labels.items()))
            found[f"{sample.name}{{{labels}}}" if labels else sample.name] = sample.value
    return found


async def ready_status(server: ServerProcess, want: int) -> HttpResult:
    """Poll ``/readyz`` until it answers ``want`` (bounded); the last answer."""
    for _ in range(POLLS):
        result = await fetch("GET", f"{server.http_url}/readyz")
        if result.status == want:
            break
        await asyncio.sleep(POLL_SECONDS)
    return result


@pytest.fixture(scope="module")
def token_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    workdir: Path = tmp_path_factory.mktemp("health-token")
    server = ServerProcess("standalone", workdir, storage=str(workdir / "rooms.db"),
                           token=secrets.token_hex(16))
    server.start()
    try:
        yield server
    finally:
        server.stop()


async def test_probes_answer_without_credentials(token_server):
    for probe in ("healthz", "readyz"):
        result = await fetch("GET", f"{token_server.http_url}/{probe}")
        assert (result.status, result.json()) == (200, {"ok": True})
        assert result.headers["Cache-Control"] == "no-store"


async def test_metrics_need_the_token(token_server):
    url = f"{token_server.http_url}/metrics"
    assert (await fetch("GET", url)).status == 403
    wrong = await fetch("GET", url, headers={"Authorization": "Bearer " + "x" * 32})
    assert wrong.status == 403
    good = await fetch("GET", url, headers={"Authorization": f"Bearer {token_server.token}"})
    assert "process_cpu_seconds_total" in samples(good)


async def test_metrics_count_a_real_clients_connection_and_messages(token_server, room, join):
    url = f"{token_server.http_url}/metrics"
    headers = {"Authorization": f"Bearer {token_server.token}"}
    before = samples(await fetch("GET", url, headers=headers))
    alice = await join(token_server, room, pk="alice-m")
    await alice.joined()
    for n in range(3):
        await alice.send({"content": f"m{n}"})
        await alice.expect("message")
    await alice.send("{not json")
    await alice.expect("error")
    after = samples(await fetch("GET", url, headers=headers))

    assert after["partywidget_connections"] == 1
    assert after["partywidget_rooms_loaded"] >= 1
    grew = {name: after[name] - before.get(name, 0) for name in after}
    assert grew["partywidget_connections_opened_total"] == 1
    assert grew["partywidget_messages_in_total"] == 4
    assert grew["partywidget_broadcast_deliveries_total"] >= 3
    assert grew["partywidget_messages_out_total"] >= 5  # welcome, history, 3 messages, error
    assert grew["partywidget_storage_append_seconds_count"] == 3
    assert sum(v for k, v in grew.items() if k.startswith("partywidget_refused_frames")) == 1


async def test_dev_mode_serves_metrics_to_loopback_names_only(standalone_server):
    url = f"{standalone_server.http_url}/metrics"
    assert "partywidget_connections" in samples(await fetch("GET", url))
    rebound = await fetch("GET", url, headers={"Host": f"evil.example:{standalone_server.port}"})
    assert rebound.status == 403


@pytest.fixture(scope="module")
def own_redis(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    """A redis-server of this module's own: the test stops it, others must not notice."""
    server = RedisServer(tmp_path_factory.mktemp("health-redis"), free_port()).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def redis_serve(own_redis, tmp_path_factory) -> Iterator[ServerProcess]:
    workdir: Path = tmp_path_factory.mktemp("health-serve-redis")
    server = ServerProcess("standalone", workdir, storage="", token="",
                           extra_args=["--redis", own_redis.url])
    server.start()
    try:
        yield server
    finally:
        server.stop()


async def test_readyz_follows_redis_down_and_up_again(redis_serve, own_redis, room, join):
    sock = await join(redis_serve, room, pk="alice-r")  # a subscribed room, too
    await sock.joined()
    assert (await ready_status(redis_serve, 200)).json() == {"ok": True}
    for _ in range(POLLS):  # the first probe's round trip, heard by the reader task
        found = samples(await fetch("GET", f"{redis_serve.http_url}/metrics"))
        if "partywidget_backplane_lag_seconds" in found:
            break
        await asyncio.sleep(POLL_SECONDS)
    assert found["partywidget_backplane_lag_seconds"] >= 0

    own_redis.stop()
    down = await ready_status(redis_serve, 503)
    assert down.status == 503
    assert down.json()["reason"] in ("storage unreachable", "redis subscription lost; reconnecting")
    assert (await fetch("GET", f"{redis_serve.http_url}/healthz")).status == 200  # alive

    own_redis.start()
    up = await ready_status(redis_serve, 200)
    assert (up.status, up.json()) == (200, {"ok": True})


async def test_jupyter_probes_and_its_own_metrics(jupyter_server):
    base = jupyter_server.http_url  # {base_url}partywidget
    for probe in ("healthz", "readyz"):
        result = await fetch("GET", f"{base}/{probe}")  # no token
        assert (result.status, result.json()) == (200, {"ok": True})
    root = f"http://127.0.0.1:{jupyter_server.port}{jupyter_server.base_url}metrics"
    assert (await fetch("GET", root)).status in (401, 403)
    found = samples(await fetch("GET", root, headers=jupyter_server.auth_headers()))
    assert "partywidget_rooms_loaded" in found
