"""``partywidget serve`` as a user meets it: ``--help``, mistakes, and ``--history``."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import pytest

from partywidget.cli import main

from .clients import fetch, join
from .conftest import start_server

SERVE_OPTIONS = ["--host", "--port", "--storage", "--history", "--party", "--allow-origin",
                 "--token", "--metrics-token"]


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


@pytest.mark.parametrize("flags, env", [
    (["--jwt-secret", "s" * 32], {}),
    (["--jwt-audience", "course"], {}),
    ([], {"PARTYWIDGET_JWT_SECRET": "s" * 32}),
], ids=["flag", "audience-only", "environment"])
def test_jupyterhub_mode_refuses_jwt_identities_it_would_ignore(flags, env, monkeypatch,
                                                                  capsys):
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert main(["serve", "--jupyterhub", "--storage", "memory:", *flags]) == 2
    assert "--jupyterhub takes its users from the hub" in capsys.readouterr().err


def test_a_party_that_cannot_be_imported_stops_the_server_with_a_reason(tmp_path):
    result = serve("--party", "poll=no_such_module:Poll", "--storage", "memory:",
                   "--port", "0", cwd=tmp_path)

    assert result.returncode == 2
    assert "cannot load party 'no_such_module:Poll'" in result.stderr
    assert "Traceback" not in result.stderr


def test_the_command_loads_a_party_next_to_it_and_says_which_port_is_busy(tmp_path):
    # The console script, not `python -m` (which puts the current directory on sys.path).
    command = Path(sys.executable).with_name("partywidget")
    assert command.exists(), f"expected the partywidget console script at {command}"
    (tmp_path / "counter_party.py").write_text(
        "from partywidget import Party\n\n\nclass Counter(Party):\n    pass\n")
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        result = subprocess.run(
            [str(command), "serve", "--party", "counter=counter_party:Counter", "--storage",
             "memory:", "--port", str(port)], cwd=tmp_path, capture_output=True, text=True,
            timeout=60)

    assert result.returncode == 2, result.stderr
    assert "No module named" not in result.stderr
    assert f"port {port} on 127.0.0.1 is in use" in result.stderr
    assert "--port N" in result.stderr and "Traceback" not in result.stderr


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


async def test_a_config_file_sets_options_and_flags_override_it(tmp_path, room):
    config = tmp_path / "rooms_config.py"
    config.write_text("c.PartyWidget.history = 2\nc.PartyWidget.messages_per_second = 0.5\n"
                      "c.PartyWidget.message_burst = 1\n")
    server = start_server("standalone", tmp_path / "configured",
                          extra_args=["--config", str(config), "--message-burst", "2"])
    try:
        url = server.room_url(room, ws=False)
        for n in range(4):
            await fetch("POST", url, body=f"m{n}", headers={"Content-Type": "text/plain"})
        kept = (await fetch("GET", url)).json()["messages"]
        sock = await join(server, room)
        await sock.joined()
        for n in range(3):
            await sock.send({"type": "message", "content": f"w{n}"})
        # The refusal answers at once; the admitted two arrive once stored.
        frames = [await sock.recv() for _ in range(3)]
        await sock.close()
    finally:
        server.stop()

    assert [m["content"] for m in kept] == ["m2", "m3"]  # history = 2, from the file
    # A burst of 2 from the flag, at 0.5 messages per second from the file.
    assert sorted(f.get("content") or f.get("code") for f in frames) == ["rate_limited", "w0", "w1"]


def test_a_config_file_with_an_unknown_option_or_a_bad_value_is_refused(tmp_path):
    config = tmp_path / "bad_config.py"
    config.write_text("c.PartyWidget.messages_per_second = -1\n")
    result = serve("--config", str(config), "--storage", "memory:", "--port", "0", cwd=tmp_path)
    assert result.returncode == 2
    assert "messages_per_second" in result.stderr and "Traceback" not in result.stderr
