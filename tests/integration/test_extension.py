"""The Jupyter server extension is enabled by installation and says what it serves."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import time

from tests.conftest import ServerProcess

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


def test_a_bad_party_spec_is_logged_and_the_server_still_stops_cleanly(tmp_path):
    server = ServerProcess("jupyter", tmp_path, storage="memory:", token="t" * 32)
    server.extra_args = ["--PartyWidget.parties={'x': 'no_such_module:Nope'}"]
    proc = subprocess.Popen(server.command(), cwd=tmp_path, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, start_new_session=True)
    try:
        lines: list[str] = []
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            lines.append(line)
            if "is running at" in line or proc.poll() is not None:
                break
        log = "".join(lines)
        assert "cannot load party 'no_such_module:Nope'" in log, log
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=20)  # a hang here was the bug: stop_extension raised
        assert proc.returncode is not None
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(5)
