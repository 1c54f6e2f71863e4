"""``partywidget serve --jupyterhub --redis``: the hub's room service as two replicas.

The suite's real JupyterHub runs its room service on SQLite; here two more
processes run that service's own command with ``--redis``, each with the
environment the hub gave the service (its token, its prefix) and an address of
its own, as replicas behind a load balancer are reached. A teacher on one and a
student (her single-user server's token, as her kernel sends it) on the other
share a room: messages cross both ways with their hub identities, and the
teacher's lock and removal reach the student's process.
"""

from __future__ import annotations

import secrets
import subprocess
import time
import urllib.error
from collections.abc import Iterator
from pathlib import Path

import pytest

from partywidget.rooms import CloseCode
from tests.hub.realhub import Caller, Hub, free_port

# Alone, this module pays for the suite's hub (users' servers spawned) in its setup.
pytestmark = pytest.mark.timeout(300)

#: Seconds a replica may take to answer.
REPLICA_STARTUP = 60.0


def start_replica(hub: Hub, redis_url: str, log_path: Path) -> tuple[subprocess.Popen[bytes], str]:
    """(process, rooms base URL) of the hub's room service command plus ``--redis``."""
    service = hub.service_process()
    url = f"http://127.0.0.1:{free_port()}"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen([*service.cmdline(), "--redis", redis_url], cwd=service.cwd(),
                                env={**service.environ(), "JUPYTERHUB_SERVICE_URL": url},
                                stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    return proc, url + hub.service_prefix.rstrip("/")


def wait_ready(hub: Hub, proc: subprocess.Popen[bytes], rooms_url: str, log_path: Path) -> None:
    """Until ``rooms_url/readyz`` answers 200 (storage and Redis reachable); bounded."""
    deadline = time.monotonic() + REPLICA_STARTUP
    while True:
        assert proc.poll() is None, log_path.read_text(errors="replace")
        try:
            if hub.request("GET", f"{rooms_url}/readyz")[0] == 200:
                return
        except (OSError, urllib.error.URLError):
            pass
        assert time.monotonic() < deadline, f"no answer from {rooms_url}"
        time.sleep(0.2)


@pytest.fixture(scope="module")
def replicas(hub: Hub, redis_server) -> Iterator[list[str]]:
    """Base URLs of two ``--jupyterhub --redis`` service processes, killed by PID after."""
    started: list[subprocess.Popen[bytes]] = []
    urls: list[str] = []
    try:
        for n in range(2):
            log_path = hub.workdir / f"replica-{n}.log"
            proc, url = start_replica(hub, redis_server.url, log_path)
            started.append(proc)
            wait_ready(hub, proc, url, log_path)
            urls.append(url)
        yield urls
    finally:
        for proc in started:
            proc.kill()
            proc.wait(10)


async def test_a_teacher_and_a_student_on_two_service_replicas_share_a_room(
        hub, replicas, join):
    room = f"class-101-{secrets.token_hex(4)}"
    tess = await join(Caller(replicas[0], hub.user_token("tess")), room)
    await tess.joined()
    alice = await join(Caller(replicas[1], hub.server_token("alice")), room,
                       query={"client": "kernel"})
    alice_welcome, _ = await alice.joined()
    assert alice_welcome["user"]["username"] == "alice"
    assert {u["user"]["username"] for u in alice_welcome["users"]} == {"tess", "alice"}

    await alice.send({"content": "hello from alice's kernel"})
    got = await tess.skip_to("message")
    assert (got["content"], got["user"]["username"]) == ("hello from alice's kernel", "alice")
    await tess.send({"content": "hello from the teacher"})
    got = await alice.skip_to("message", content="hello from the teacher")
    assert got["user"]["username"] == "tess" and got["user"]["moderator"] is True

    await tess.send({"type": "lock", "locked": True})
    assert (await alice.skip_to("locked"))["locked"] is True
    await alice.send({"content": "while locked"})
    assert (await alice.skip_to("error"))["code"] == "locked"
    await tess.send({"type": "remove", "id": alice.id})
    assert await alice.close_code() == CloseCode.REMOVED
