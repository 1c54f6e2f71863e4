"""``partywidget serve`` as a user meets it: ``--help``, mistakes, and ``--history``."""

from __future__ import annotations

import subprocess
import sys

from .clients import fetch
from .conftest import start_server

SERVE_OPTIONS = ["--host", "--port", "--storage", "--history", "--party", "--allow-origin",
                 "--token"]


def serve(*args: str, cwd) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "partywidget", "serve", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=60)


def test_help_documents_every_option(tmp_path):
    result = serve("--help", cwd=tmp_path)

    assert result.returncode == 0
    for option in SERVE_OPTIONS:
        assert option in result.stdout, option
    assert "/parties/{party}/{room}" in result.stdout


def test_a_malformed_party_option_is_refused_plainly(tmp_path):
    result = serve("--party", "poll", cwd=tmp_path)

    assert result.returncode == 2
    assert "expected NAME=package.module:Class, got 'poll'" in result.stderr


def test_a_party_that_cannot_be_imported_stops_the_server_with_a_reason(tmp_path):
    result = serve("--party", "poll=no_such_module:Poll", "--storage", "memory:",
                   "--port", "0", cwd=tmp_path)

    assert result.returncode == 2
    assert "cannot load party 'no_such_module:Poll'" in result.stderr
    assert "Traceback" not in result.stderr


async def test_history_bounds_what_a_room_keeps(tmp_path, room):
    server = start_server("standalone", tmp_path / "short", extra_args=["--history", "3"])
    try:
        url = server.room_url(room, ws=False)
        for n in range(5):
            posted = await fetch("POST", url, body=f"m{n}",
                                 headers={"Content-Type": "text/plain"})
            assert posted.status == 201
        kept = (await fetch("GET", url)).json()["messages"]
    finally:
        server.stop()

    assert [(m["id"], m["content"]) for m in kept] == [(3, "m2"), (4, "m3"), (5, "m4")]
