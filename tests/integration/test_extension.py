"""The Jupyter server extension is enabled by installation and says what it serves."""

from __future__ import annotations

import re
import subprocess
import sys

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
