"""The Jupyter server extension is enabled by installation and says what it serves."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import time

from tests.conftest import ServerProcess

from .clients import fetch, join
from .conftest import SAMPLE_PARTIES, start_server

ANSI = re.compile(r"\x1b\[[0-9;]*m")


def test_jupyter_lists_partywidget_as_enabled():
    result = subprocess.run([sys.executable, "-m", "jupyter", "server", "extension", "list"],
                            capture_output=True, text=True, timeout=120)
    lines = ANSI.sub("", result.stdout + result.stderr).splitlines()

    assert result.returncode == 0
    assert any(re.fullmatch(r"\s*partywidget\s+enabled\s*", line) for line in lines), lines
    assert any(re.fullmatch(r"\s*partywidget \S+ OK\s*", line) for line in lines), lines


def test_the_server_log_says_where_rooms_are_served_and_stored(shared_jupyter):
    log = shared_jupyter.log_path.read_text(errors="replace")

    assert "rooms at /partywidget/parties/{party}/{room}" in log
    assert f"storage sqlite:///{shared_jupyter.storage}" in log


def start_logging(server: ServerProcess) -> tuple[subprocess.Popen[str], str]:
    """Start ``server`` and read its log until Jupyter runs or exits (at most 60 s)."""
    proc = subprocess.Popen(server.command(), cwd=server.workdir, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, start_new_session=True)
    lines: list[str] = []
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        lines.append(line)
        if "is running at" in line or proc.poll() is not None:
            break
    return proc, "".join(lines)


def stop(proc: subprocess.Popen[str]) -> None:
    proc.send_signal(signal.SIGTERM)
    try:
        proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(5)


def test_a_bad_party_spec_is_logged_and_the_server_still_stops_cleanly(tmp_path):
    server = ServerProcess("jupyter", tmp_path, storage="memory:", token="t" * 32)
    server.extra_args = ["--PartyWidget.parties={'x': 'no_such_module:Nope'}"]
    proc, log = start_logging(server)
    try:
        assert "cannot load party 'no_such_module:Nope'" in log, log
    finally:
        stop(proc)  # a hang here was the bug: stop_extension raised
    assert proc.returncode is not None

async def test_rooms_are_served_under_a_configured_url_prefix(tmp_path, room):
    server = start_server("jupyter", tmp_path, jupyter_config={
        "PartyWidget": {"parties": SAMPLE_PARTIES, "url_prefix": "/rooms/v1/"}})
    try:
        assert server.http_url.endswith("/rooms/v1")
        log = server.log_path.read_text(errors="replace")
        assert "rooms at /rooms/v1/parties/{party}/{room}" in log
        sock = await join(server, room)
        await sock.joined()
        posted = await fetch("POST", server.room_url(room, ws=False), body="hello",
                             headers={**server.auth_headers(), "Content-Type": "text/plain"})
        assert posted.status == 201
        assert (await sock.skip_to("message"))["content"] == "hello"
        await sock.close()
        old = f"http://127.0.0.1:{server.port}/partywidget/parties/main/{room}"
        assert (await fetch("GET", old, headers=server.auth_headers())).status == 404
    finally:
        server.stop()


def test_a_url_prefix_that_is_not_a_path_of_names_is_refused_with_a_reason(tmp_path):
    server = ServerProcess("jupyter", tmp_path, storage="memory:", token="t" * 32)
    server.extra_args = ["--PartyWidget.url_prefix=a b/../c"]
    proc, log = start_logging(server)
    try:
        assert "PartyWidget.url_prefix" in log and "'a b'" in log, log
    finally:
        stop(proc)
