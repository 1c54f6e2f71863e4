"""docs/jupyterhub.md shows the admin exactly what the hub suite runs, in few lines.

The hub of this suite is configured with the docs' blocks as they stand (steps 2
and 3, read from the Markdown by tests/hub/realhub.py) after a service and a role
of its own; here the docs' first example runs in a student's kernel, and the
append form is checked to have kept what the hub had.
"""

from __future__ import annotations

import subprocess
import sys

from tests.hub.realhub import docs_block, docs_config_block
from tests.hub.test_kernels import REPO


def test_the_admin_adds_at_most_ten_lines():
    lines = [line for line in docs_config_block().splitlines() if line.strip()]
    assert len(lines) <= 10, lines


def test_the_test_hub_runs_the_documented_blocks_verbatim(hub):
    config = (hub.workdir / "jupyterhub_config.py").read_text()
    assert docs_config_block() in config and docs_block("hub-groups") in config


def test_the_docs_first_example_runs_in_a_students_kernel(hub):
    example = docs_block("hub-first-example")
    script = example + "\nroom.close()  # waits for the host's echo of the send\n" \
                       "print(room.user['username'], room.user['groups'], room.url)\n"
    result = subprocess.run([sys.executable, "-c", script],
                            env={**hub.envs["alice"], "PYTHONPATH": str(REPO)},
                            cwd=hub.workdir, capture_output=True, text=True, timeout=90)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.split()[:2] == ["alice", "['class-101']"]
    assert hub.rooms_url in result.stdout


def test_the_append_form_keeps_the_hubs_own_services_and_roles(hub):
    assert {"tester", "partywidget"} <= set(hub.api("GET", "/services"))
    assert {"alice", "bob"} <= set(hub.api("GET", "/groups/class-101")["users"])
    assert "tess" in hub.api("GET", "/groups/teachers")["users"]
