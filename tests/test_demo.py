"""``partywidget demo``: JupyterLab on the quickstart notebook, rooms on the embedded defaults.

The demo is started as the README's command ends (``python -m partywidget demo``),
with the Jupyter directories in a temporary place, and driven through what it
prints: the URL it announces must open the quickstart notebook, rooms must
answer with that token and be stored in SQLite in the Jupyter data directory,
and Ctrl+C (SIGINT) must stop JupyterLab too.
"""

from __future__ import annotations

import json
import os
import queue
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

from partywidget.demo import QUICKSTART, _port_or_free, find_notebooks_root, run_demo
from partywidget.errors import ConfigurationError
from tests.integration.clients import http_request

REPO = Path(__file__).resolve().parent.parent
URL_LINE = re.compile(r"partywidget demo: open (http://127\.0\.0\.1:(\d+)/lab/tree/(\S+)"
                      r"\?token=([0-9a-f]+))")
START_TIMEOUT = 90.0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def open_url(url: str, token: str = "", data: bytes | None = None) -> tuple[int, bytes]:
    headers = {"Authorization": f"token {token}"} if token else {}
    if data is not None:
        headers["Content-Type"] = "application/json"
    result = http_request("POST" if data is not None else "GET", url, data, headers)
    return result.status, result.body


class Demo:
    """A running ``partywidget demo`` and the URL it printed."""

    def __init__(self, proc: subprocess.Popen[str], data_dir: Path) -> None:
        self.proc = proc
        self.data_dir = data_dir
        self.printed: list[str] = []
        self.url = self.port = self.path = self.token = ""
        # A reader thread feeds a queue: a buffered pipe and ``select`` do not
        # mix (lines already in Python's buffer never wake ``select`` again).
        self.lines: queue.Queue[str] = queue.Queue()
        self.reader = threading.Thread(target=self._pump, daemon=True)
        self.reader.start()

    def _pump(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put(line)

    def wait_for_url(self) -> None:
        """Read the demo's stdout until it announces its URL."""
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                break
            self.printed.append(line)
            found = URL_LINE.search(line)
            if found:
                self.url, self.port, self.path, self.token = found.groups()
                return
        raise AssertionError(f"expected the demo to print its URL, got:\n{''.join(self.printed)}")

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)  # what Ctrl+C sends
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(5)
        self.reader.join(10)
        if self.proc.stdout is not None:
            self.proc.stdout.close()
        return self.proc.returncode


def _as_in_a_terminal() -> None:
    """Give the demo Ctrl+C's default action, as a command typed in a terminal has.

    A shell without job control starts background commands with SIGINT ignored
    (POSIX, "Shell Execution Environment"), and Python keeps an inherited
    SIG_IGN instead of raising KeyboardInterrupt: a suite run in the background
    would otherwise test a demo that cannot hear Ctrl+C at all.
    """
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[Demo]:
    env = {**os.environ, "JUPYTER_DATA_DIR": str(tmp_path / "data"),
           "JUPYTER_CONFIG_DIR": str(tmp_path / "config"),
           "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime"), "JUPYTER_PLATFORM_DIRS": "1",
           "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "partywidget", "demo", "--no-browser", "--port", str(free_port())],
        cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
        start_new_session=True, preexec_fn=_as_in_a_terminal)
    running = Demo(proc, tmp_path / "data")
    try:
        running.wait_for_url()
        yield running
    finally:
        running.stop()


def test_demo_prints_a_url_that_opens_the_quickstart_notebook(demo: Demo) -> None:
    assert demo.path == QUICKSTART
    status, _ = open_url(demo.url)
    assert status == 200
    status, body = open_url(f"http://127.0.0.1:{demo.port}/api/contents/{QUICKSTART}?content=0",
                            demo.token)
    assert status == 200 and json.loads(body)["type"] == "notebook"


def test_demo_rooms_live_in_the_embedded_default_storage(demo: Demo) -> None:
    room = f"http://127.0.0.1:{demo.port}/partywidget/parties/main/class-101"
    status, body = open_url(room, demo.token, data=json.dumps({"content": "hi"}).encode())
    assert status == 201, body[:300]
    status, body = open_url(room, demo.token)
    assert [m["content"] for m in json.loads(body)["messages"]] == ["hi"]
    assert (demo.data_dir / "partywidget.db").is_file()


def test_ctrl_c_stops_the_demo_and_jupyterlab(demo: Demo) -> None:
    assert demo.stop() == 0
    with pytest.raises(ConnectionRefusedError):  # nothing listens: JupyterLab is gone too
        socket.create_connection(("127.0.0.1", int(demo.port)), timeout=5).close()


def test_the_token_is_on_no_command_line_and_sigterm_stops_jupyterlab_too(demo: Demo) -> None:
    # /proc/PID/cmdline is readable by every local account; the token runs code as us.
    demo_process = psutil.Process(demo.proc.pid)
    lab = demo_process.children(recursive=True)
    assert lab, "expected JupyterLab as a child of the demo"
    try:
        for process in [demo_process, *lab]:
            assert demo.token.encode() not in Path(f"/proc/{process.pid}/cmdline").read_bytes()
        os.kill(demo.proc.pid, signal.SIGTERM)  # the demo alone, as a service manager would
        demo.proc.wait(60)
        _, orphans = psutil.wait_procs(lab, timeout=60)
        assert not orphans, f"JupyterLab outlived the demo: {orphans}"
    finally:
        for process in lab:
            try:
                process.kill()  # psutil refuses a reused pid
            except psutil.NoSuchProcess:
                pass


def test_the_demo_refuses_to_start_outside_a_checkout(tmp_path: Path) -> None:
    assert find_notebooks_root(REPO / "docs") == REPO
    with pytest.raises(ConfigurationError, match="notebooks/01-quickstart.ipynb"):
        find_notebooks_root(tmp_path)


def time_wait_port() -> int:
    """A loopback port whose only socket is in TIME_WAIT (as after a server stops).

    The server side closes first, so its end of the connection stays in TIME_WAIT.
    """
    with socket.socket() as listener:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        port = int(listener.getsockname()[1])
        with socket.create_connection(("127.0.0.1", port), timeout=5) as client:
            accepted, _ = listener.accept()
            accepted.close()
            client.recv(1)  # the server's FIN: the server end is now in TIME_WAIT
    return port


def test_a_port_left_in_time_wait_is_kept_so_a_restarted_demo_keeps_its_url() -> None:
    port = time_wait_port()
    assert _port_or_free(port) == port


def test_a_port_someone_listens_on_is_replaced_by_a_free_one() -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        port = int(listener.getsockname()[1])
        assert _port_or_free(port) != port


def test_the_demo_says_how_to_install_jupyterlab_when_it_is_missing(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)
    monkeypatch.setattr("partywidget.demo.importlib.util.find_spec", lambda name: None)
    with pytest.raises(ConfigurationError, match=r"pip install 'partywidget\[demo\]'"):
        run_demo(port=free_port(), open_browser=False)
