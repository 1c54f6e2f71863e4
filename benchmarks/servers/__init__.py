"""The servers a run measures, each in its own pinned child process.

Five kinds: the references (``websockets``, ``socketio``, and ``pycrdt``,
pycrdt-websocket's own server for :mod:`benchmarks.yjs`) and partywidget twice,
inside a real ``jupyter server`` with the extension and as ``partywidget serve``. Both partywidget servers use the default SQLite storage
and register the ``relay`` party next to ``main``. :class:`ServerProcess`
starts one on a free loopback port, pinned to the server core (as
``taskset -c 0``), and always stops its whole process group.
"""

from __future__ import annotations

import json
import os
import resource
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlencode

from .standalone import FLOOD_LIMIT, PARTIES

__all__ = ["KINDS", "ServerProcess", "free_port", "pinned"]

REPO = Path(__file__).resolve().parents[2]
KINDS = ("websockets", "socketio", "jupyter", "serve", "pycrdt")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def pinned(core: int | None):  # noqa: ANN201 (a preexec_fn)
    """A ``preexec_fn``: run on ``core`` only and with as many files as allowed.

    2,000 idle clients need more descriptors than the usual soft limit of 1,024.
    """
    def setup() -> None:
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        if hard == resource.RLIM_INFINITY or hard > soft:
            target = 65536 if hard == resource.RLIM_INFINITY else hard
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        if core is not None:
            os.sched_setaffinity(0, {core})
    return setup


class ServerProcess:
    """One server of one kind, started and stopped as a process group."""

    def __init__(self, kind: str, workdir: Path, core: int | None, *,
                 redis_url: str = "", name: str = "") -> None:
        """``redis_url`` (``serve`` only): share rooms through Redis instead of SQLite;
        ``name`` tells apart several servers of one kind in ``workdir``."""
        if kind not in KINDS:
            raise ValueError(f"expected a server kind in {KINDS}, got {kind!r}")
        self.kind = kind
        self.redis_url = redis_url
        self.workdir = workdir / (name or kind)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.core = core
        self.port = free_port()
        self.token = secrets.token_hex(16) if kind == "jupyter" else ""
        self.proc: subprocess.Popen[bytes] | None = None
        self.log_path = self.workdir / "server.log"

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def url(self, party: str, room: str) -> str:
        """The WebSocket URL of ``room`` (``party`` is ignored by the references)."""
        base = f"ws://127.0.0.1:{self.port}"
        if self.kind in ("websockets", "pycrdt"):
            return f"{base}/{room}"
        if self.kind == "socketio":
            return f"{base}/socket.io/?" + urlencode(
                {"EIO": "4", "transport": "websocket", "room": room})
        prefix = "/partywidget" if self.kind == "jupyter" else ""
        query = f"?{urlencode({'token': self.token})}" if self.token else ""
        return f"{base}{prefix}/parties/{party}/{room}{query}"

    def command(self) -> list[str]:
        py = sys.executable
        if self.kind == "websockets":
            return [py, "-m", "benchmarks.servers.websockets_relay", "--port", str(self.port)]
        if self.kind == "socketio":
            return [py, "-m", "benchmarks.servers.socketio_relay", "--port", str(self.port)]
        if self.kind == "pycrdt":
            return [py, "-m", "benchmarks.servers.pycrdt_websocket_server", "--port",
                    str(self.port)]
        storage = str(self.workdir / "rooms.db")
        if self.kind == "serve":
            where = ["--redis", self.redis_url] if self.redis_url else ["--storage", storage]
            return [py, "-m", "benchmarks.servers.standalone", "--port", str(self.port), *where]
        config = {
            "ServerApp": {"jpserver_extensions": {"partywidget": True},
                          "root_dir": str(self.workdir), "open_browser": False,
                          "port_retries": 0, "log_level": "WARN"},
            "IdentityProvider": {"token": self.token},
            "PartyWidget": {"storage": storage, "parties": PARTIES, **FLOOD_LIMIT},
        }
        path = self.workdir / "jupyter_server_config.json"
        path.write_text(json.dumps(config))
        return [py, "-m", "jupyter_server", "--ip=127.0.0.1", f"--port={self.port}",
                "--allow-root", "--no-browser", f"--config={path}"]

    def start(self, timeout: float = 60.0) -> ServerProcess:
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(
                   [str(REPO), *filter(None, [os.environ.get("PYTHONPATH")])]),
               "JUPYTER_DATA_DIR": str(self.workdir / "data"),
               "JUPYTER_RUNTIME_DIR": str(self.workdir / "runtime"),
               "JUPYTER_CONFIG_DIR": str(self.workdir / "config"),
               "JUPYTER_PLATFORM_DIRS": "1", "PYTHONUNBUFFERED": "1"}
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(self.command(), cwd=self.workdir, env=env, stdout=log,
                                         stderr=subprocess.STDOUT, start_new_session=True,
                                         preexec_fn=pinned(self.core))
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.kind} server exited early:\n{self.log()}")
            if self._answers():
                return self
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"{self.kind} server did not answer within {timeout} s:\n{self.log()}")

    def _answers(self) -> bool:
        if self.kind in ("websockets", "socketio", "pycrdt"):
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return True
            except OSError:
                return False
        probe = self.url("main", "probe").replace("ws://", "http://", 1)
        try:
            with urllib.request.urlopen(probe, timeout=2):
                return True
        except urllib.error.HTTPError:
            return True  # it answered: the server is up
        except (urllib.error.URLError, OSError):
            return False

    def stop(self, timeout: float = 10.0) -> None:
        """SIGTERM (a clean shutdown), then SIGKILL the group after ``timeout``."""
        proc, self.proc = self.proc, None
        if proc is None:
            return
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                pass
        try:
            os.killpg(proc.pid, signal.SIGKILL)  # whatever it started goes too
        except ProcessLookupError:
            pass
        proc.wait(5)

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-4000:]
        except FileNotFoundError:
            return ""
