"""Shared fixtures: real room hosts in real processes.

``jupyter_server`` starts ``jupyter server`` with the extension enabled (a
token, a temporary root and data dir, an ephemeral port on 127.0.0.1);
``standalone_server`` starts ``partywidget serve``. Both are
:class:`ServerProcess` objects that can be stopped, restarted on the same port
and storage, or killed with SIGKILL, and are always cleaned up.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, sync_playwright

from tests.integration import clients
from tests.integration.clients import RoomSocket

REPO = Path(__file__).resolve().parent.parent

#: Debian's Chromium, never a downloaded browser, with the flags this machine needs.
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class ServerProcess:
    """A room host running in a child process, on 127.0.0.1."""

    def __init__(self, kind: str, workdir: Path, *, storage: str, token: str,
                 extra_args: list[str] | None = None, env: dict[str, str] | None = None,
                 config: dict[str, dict[str, object]] | None = None) -> None:
        """``config``: extra Jupyter config sections merged over the defaults
        (e.g. ``{"PartyWidget": {"parties": {...}}}``); ignored by ``standalone``."""
        self.kind = kind
        self.workdir = workdir
        self.storage = storage
        self.token = token
        self.extra_args = list(extra_args or [])
        self.env = dict(env or {})
        self.config = dict(config or {})
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None
        self.log_path = workdir / f"{kind}-{self.port}.log"

    # addresses -------------------------------------------------------------

    @property
    def http_url(self) -> str:
        """Base URL of rooms: append ``/parties/{party}/{room}``."""
        if self.kind == "jupyter":
            prefix = str(self.config.get("PartyWidget", {}).get("url_prefix", "partywidget"))
            prefix = prefix.strip("/")
            return f"http://127.0.0.1:{self.port}{self.base_url}{prefix}"
        return f"http://127.0.0.1:{self.port}{self.prefix.rstrip('/')}"

    @property
    def prefix(self) -> str:
        """``partywidget serve --prefix`` (``/`` unless given in ``extra_args``)."""
        if "--prefix" in self.extra_args:
            return self.extra_args[self.extra_args.index("--prefix") + 1]
        return "/"

    @property
    def base_url(self) -> str:
        """The Jupyter server's ``base_url`` (``/`` unless configured)."""
        return str(self.config.get("ServerApp", {}).get("base_url", "/"))

    @property
    def ws_url(self) -> str:
        return "ws" + self.http_url[len("http"):]

    @property
    def host(self) -> str:
        """What partysocket takes as ``host`` (host[:port] plus path prefix)."""
        return self.http_url[len("http://"):]

    def room_url(self, room: str, party: str = "main", *, ws: bool = True) -> str:
        return f"{self.ws_url if ws else self.http_url}/parties/{party}/{room}"

    def auth_headers(self) -> dict[str, str]:
        return {"Authorization": f"token {self.token}"} if self.token else {}

    # lifecycle -------------------------------------------------------------

    def command(self) -> list[str]:
        if self.kind == "jupyter":
            config = {
                "ServerApp": {
                    "jpserver_extensions": {"partywidget": True},
                    "root_dir": str(self.workdir),
                    "open_browser": False,
                    "port_retries": 0,
                },
                "IdentityProvider": {"token": self.token},
                "PartyWidget": {"storage": self.storage},
            }
            for section, values in self.config.items():
                config[section] = {**config.get(section, {}), **values}
            (self.workdir / "jupyter_server_config.json").write_text(json.dumps(config))
            return [sys.executable, "-m", "jupyter_server", "--ip=127.0.0.1",
                    f"--port={self.port}", "--allow-root", "--no-browser",
                    f"--config={self.workdir / 'jupyter_server_config.json'}", *self.extra_args]
        args = [sys.executable, "-m", "partywidget", "serve", "--host", "127.0.0.1",
                "--port", str(self.port), "--storage", self.storage, *self.extra_args]
        if self.token:
            args += ["--token", self.token]
        return args

    def start(self, timeout: float = 60.0) -> ServerProcess:
        env = {**os.environ, "JUPYTER_DATA_DIR": str(self.workdir / "data"),
               "JUPYTER_RUNTIME_DIR": str(self.workdir / "runtime"),
               "JUPYTER_CONFIG_DIR": str(self.workdir / "config"),
               "JUPYTER_PLATFORM_DIRS": "1", "PYTHONUNBUFFERED": "1", **self.env}
        log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(self.command(), cwd=self.workdir, env=env, stdout=log,
                                     stderr=subprocess.STDOUT, start_new_session=True)
        log.close()
        deadline = time.monotonic() + timeout
        probe = f"{self.http_url}/parties/main/healthcheck"
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.kind} server exited early:\n{self.log()}")
            try:
                req = urllib.request.Request(probe, headers=self.auth_headers())
                with urllib.request.urlopen(req, timeout=2):
                    return self
            except (urllib.error.URLError, ConnectionError, OSError):
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"{self.kind} server did not answer within {timeout} s:\n{self.log()}")

    def stop(self, timeout: float = 15.0) -> None:
        """SIGTERM (clean shutdown), SIGKILL after ``timeout``."""
        proc, self.proc = self.proc, None
        if proc is None or proc.poll() is not None:
            return
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(5)

    def kill(self) -> None:
        """SIGKILL the whole process group, as a crash would."""
        proc, self.proc = self.proc, None
        if proc is not None and proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)

    def restart(self) -> ServerProcess:
        self.stop()
        return self.start()

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-8000:]
        except FileNotFoundError:
            return ""


@pytest.fixture
def jupyter_server(tmp_path: Path) -> Iterator[ServerProcess]:
    """A real ``jupyter server`` with partywidget on SQLite storage in ``tmp_path``."""
    workdir = tmp_path / "jupyter"
    workdir.mkdir()
    server = ServerProcess("jupyter", workdir, storage=str(workdir / "rooms.db"),
                           token=secrets.token_hex(16))
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def standalone_server(tmp_path: Path) -> Iterator[ServerProcess]:
    """A real ``partywidget serve`` in dev mode (no token) on SQLite in ``tmp_path``."""
    workdir = tmp_path / "standalone"
    workdir.mkdir()
    server = ServerProcess("standalone", workdir, storage=str(workdir / "rooms.db"), token="")
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Headless Chromium (Playwright, sync API) shared by a module's tests."""
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
async def join() -> AsyncIterator[Callable[..., Awaitable[RoomSocket]]]:
    """:func:`clients.join`, with every socket it opened closed after the test."""
    opened: list[RoomSocket] = []

    async def join_room(*args: Any, **kwargs: Any) -> RoomSocket:
        sock = await clients.join(*args, **kwargs)
        opened.append(sock)
        return sock

    yield join_room
    for sock in opened:
        await sock.close()
