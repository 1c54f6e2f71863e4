"""Binder's install steps, run in a fresh virtual environment, end in a server with rooms.

repo2docker builds ``binder/environment.yml`` (conda: Python, nodejs and a ``pip:``
list) and then runs ``binder/postBuild``. Conda is not available here, so the test
does the same with the closest tools, to catch a broken Binder before mybinder.org
does:

1. copy the files a clone would have (tracked plus not-ignored) to a temporary
   checkout, so the build cannot lean on anything left in this working tree;
2. make a *fresh* virtual environment: no ``--system-site-packages``, so nothing
   installed on this machine can hide a missing dependency (``node`` comes from
   the machine, as conda's ``nodejs`` does on Binder);
3. ``pip install`` the environment's ``pip:`` list, then run ``postBuild`` with the
   venv first on ``PATH``;
4. start ``jupyter lab`` from the venv with *no* partywidget configuration: the
   extension must be enabled by what ``postBuild`` installed, and a room must
   answer over HTTP and to the venv's own ``partywidget.connect``.

The README's demo command has its own fresh venv (tests/test_demo_fresh.py):
Binder's JupyterLab would hide a demo that forgets to install it.

Installing JupyterLab into a new venv takes about 20 s with a warm pip cache.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import textwrap
import time
import urllib.error
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.freshenv import FreshVenv, run_step
from tests.integration.clients import http_request

REPO = Path(__file__).resolve().parent.parent
BINDER = REPO / "binder"
START_TIMEOUT = 90.0

pytestmark = pytest.mark.timeout(1200)


def environment_pip_requirements(text: str) -> list[str]:
    """The ``pip:`` list of ``environment.yml``.

    Read with a few lines of string handling rather than a YAML parser: the
    file is ours, kept in the one shape conda documents (``- pip:`` followed by
    deeper-indented ``- requirement`` items), and the test extras stay small.
    """
    requirements: list[str] = []
    pip_indent: int | None = None
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        indent = len(line) - len(line.lstrip())
        if stripped == "- pip:":
            pip_indent = indent
        elif pip_indent is not None and indent > pip_indent and stripped.startswith("- "):
            requirements.append(stripped[2:].strip())
        elif pip_indent is not None and indent <= pip_indent:
            pip_indent = None
    return requirements


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def get(url: str, token: str) -> tuple[int, bytes]:
    result = http_request("GET", url, headers={"Authorization": f"token {token}"})
    return result.status, result.body


class BinderBuild(FreshVenv):
    """A checkout copy plus a fresh venv built by Binder's steps."""

    def build(self) -> None:
        environment = (self.checkout / "binder" / "environment.yml").read_text()
        requirements = environment_pip_requirements(environment)
        assert requirements, "expected a pip: list in binder/environment.yml"
        run_step([str(self.python), "-m", "pip", "install", "-q", *requirements],
                 self.checkout, self.env)
        run_step(["bash", str(self.checkout / "binder" / "postBuild")], self.checkout, self.env)


class LabProcess:
    """``jupyter lab`` from the venv, as Binder starts it, on a loopback port."""

    def __init__(self, build: BinderBuild) -> None:
        self.build = build
        self.port = free_port()
        self.token = secrets.token_hex(16)
        self.log_path = build.home / "lab.log"
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        command = [str(self.build.venv / "bin" / "jupyter"), "lab", "--no-browser",
                   "--ip=127.0.0.1", f"--port={self.port}", "--ServerApp.port_retries=0",
                   f"--IdentityProvider.token={self.token}",
                   f"--ServerApp.root_dir={self.build.checkout}", "--allow-root"]
        with open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen(command, cwd=self.build.home, env=self.build.env,
                                         stdout=log, stderr=subprocess.STDOUT,
                                         start_new_session=True)
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, f"jupyter lab exited early:\n{self.log()}"
            try:
                status, _ = get(f"{self.url}/api/status", self.token)
                if status == 200:
                    return
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(0.2)
        raise AssertionError(f"jupyter lab did not answer within {START_TIMEOUT} s:\n{self.log()}")

    def stop(self) -> None:
        proc, self.proc = self.proc, None
        if proc is None or proc.poll() is not None:
            return
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(5)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-6000:]


@pytest.fixture(scope="module")
def binder_lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LabProcess]:
    build = BinderBuild(tmp_path_factory.mktemp("binder"))
    build.build()
    lab = LabProcess(build)
    lab.start()
    try:
        yield lab
    finally:
        lab.stop()


def test_environment_brings_nodejs_for_the_widget_build() -> None:
    environment = (BINDER / "environment.yml").read_text()
    assert "- nodejs" in environment
    assert environment_pip_requirements(environment) == ["jupyterlab>=4", "notebook>=7"]


def test_post_build_stops_on_the_first_error_and_installs_this_repo() -> None:
    script = (BINDER / "postBuild").read_text()
    assert script.startswith("#!/usr/bin/env bash\n")
    assert "set -euo pipefail" in script
    assert "python -m pip install ." in script
    assert os.access(BINDER / "postBuild", os.X_OK), "repo2docker runs postBuild directly"


def test_post_build_enables_the_extension_and_ships_the_widget_bundle(
        binder_lab: LabProcess) -> None:
    venv = binder_lab.build.venv
    enabled = venv / "etc" / "jupyter" / "jupyter_server_config.d" / "partywidget.json"
    assert json.loads(enabled.read_text())["ServerApp"]["jpserver_extensions"]["partywidget"]
    static = binder_lab.build.site_packages() / "partywidget" / "widgets" / "static"
    bundles = sorted(p.name for p in static.glob("*.js")) if static.is_dir() else []
    assert bundles, f"expected the built widget bundle in {static}, found none"


def test_lab_opens_the_quickstart_notebook(binder_lab: LabProcess) -> None:
    status, body = get(f"{binder_lab.url}/api/contents/notebooks/01-quickstart.ipynb"
                       "?content=0", binder_lab.token)
    assert status == 200, body[:300]
    status, _ = get(f"{binder_lab.url}/lab/tree/notebooks/01-quickstart.ipynb",
                    binder_lab.token)
    assert status == 200


def test_a_room_answers_over_http(binder_lab: LabProcess) -> None:
    status, body = get(f"{binder_lab.url}/partywidget/parties/main/binder-check",
                       binder_lab.token)
    assert status == 200, body[:300]
    assert json.loads(body)["type"] == "history"


def test_a_kernel_of_the_binder_environment_joins_a_room(binder_lab: LabProcess) -> None:
    # The venv's own Python, as a Binder kernel: connect, send, read it back.
    script = textwrap.dedent(f"""
        import threading
        import partywidget

        with partywidget.connect("binder-check", url={binder_lab.url + '/partywidget'!r},
                                 token={binder_lab.token!r}, timeout=20) as room:
            echoed = threading.Event()
            room.on_message(lambda msg: msg.get("cid") == "binder-1" and echoed.set())
            room.send("hello from binder", cid="binder-1")
            print("seen" if echoed.wait(20) else "not echoed within 20 s")
    """)
    result = subprocess.run([str(binder_lab.build.python), "-c", script],
                            cwd=binder_lab.build.home, env=binder_lab.build.env,
                            capture_output=True, text=True, timeout=60)
    assert result.stdout.strip() == "seen", result.stderr[-3000:]
