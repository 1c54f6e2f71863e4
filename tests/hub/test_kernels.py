"""Kernels on a real hub: ``partywidget.connect(room)`` with only their server's environment.

Each "kernel" is a Python process with exactly the environment the user's
single-user server got from the hub (recorded by the ``Spawner.cmd`` wrapper;
kernels inherit it), running tests/hub/kernel_member.py. Nobody passes a URL
or a token.
"""

from __future__ import annotations

import json
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.timeout(120)

MEMBER = Path(__file__).with_name("kernel_member.py")
REPO = Path(__file__).resolve().parents[2]


def kernel(hub, user: str, *args: str, **env: str) -> subprocess.Popen[str]:
    environ = {**hub.envs[user], "PYTHONPATH": str(REPO), **env}
    return subprocess.Popen([sys.executable, str(MEMBER), *args], env=environ,
                            cwd=hub.workdir, text=True, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)


def first_line(proc: subprocess.Popen[str]) -> dict:
    line = proc.stdout.readline()
    assert line, f"kernel printed nothing: {proc.communicate(timeout=60)[1]}"
    return json.loads(line)


def finished(proc: subprocess.Popen[str]) -> None:
    try:
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0, err


def test_two_students_kernels_exchange_messages_through_the_hub_service(hub):
    room = f"class-101-{secrets.token_hex(4)}"
    bob = kernel(hub, "bob", room, "--expect", "hello from alice's kernel")
    try:
        joined = first_line(bob)
        assert joined["user"]["username"] == "bob" and joined["user"]["kernel"] is True
        assert joined["url"] == hub.rooms_url
        alice = kernel(hub, "alice", room, "--send", "hello from alice's kernel")
        try:
            assert first_line(alice)["user"]["groups"] == ["class-101"]
        finally:
            finished(alice)
    finally:
        finished(bob)


def test_partywidget_host_local_keeps_a_kernel_on_its_own_server(hub):
    from partywidget.client import find_room_host

    env = hub.envs["alice"]
    assert find_room_host(env=env).url == hub.rooms_url
    local = find_room_host(env={**env, "PARTYWIDGET_HOST": "local"})
    assert local.url == env["JUPYTERHUB_SERVICE_URL"].rstrip("/") + "/partywidget"
    assert local.token == env["JUPYTERHUB_API_TOKEN"]
