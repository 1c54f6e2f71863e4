"""Room hosts shared by the integration tests, and the ``room_server`` parameter.

Starting a Jupyter server costs seconds, so tests that only use rooms (each
test its own room names) share one server of each kind per session. Both are
started with the parties of ``party_modules/sample_parties.py`` registered the
ways users do it: ``c.PartyWidget.parties`` for the extension, ``--party
NAME=module:Class`` for ``partywidget serve``, and for both the entry point
``quiz`` that ``party_modules/sample_parties-0.dist-info`` declares (a
distribution on ``PYTHONPATH``, as ``pip install`` would leave it). Tests that restart or kill a
server use the function-scoped ``jupyter_server``/``standalone_server``.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ServerProcess

PARTY_MODULES = Path(__file__).parent / "party_modules"

#: Custom parties every shared server registers (name -> module:Class).
SAMPLE_PARTIES = {
    "poll": "sample_parties:Poll",
    "faulty": "sample_parties:Faulty",
    "blast": "sample_parties:Blast",
    "guarded": "sample_parties:Guarded",
    "goodbyes": "sample_parties:Goodbyes",
    "cursors": "sample_parties:Cursors",
    "plain": "sample_parties:Plain",
    "counted": "sample_parties:Counted",
    "lobby": "sample_parties:Lobby",
    "claimed": "sample_parties:Claimed",
    "alarmed": "sample_parties:Alarmed",
    # A built-in party under another name: clients learn its protocol from the host.
    "whiteboard": "partywidget.parties:BoardParty",
}

SERVER_KINDS = ["jupyter", "standalone"]


def party_path_env() -> dict[str, str]:
    """PYTHONPATH that lets a server import ``sample_parties`` like a user's module (and
    the checkout's ``tests`` package, for a test's own identity provider)."""
    paths = [str(PARTY_MODULES), str(PARTY_MODULES.parent.parent.parent),
             *filter(None, [os.environ.get("PYTHONPATH")])]
    return {"PYTHONPATH": os.pathsep.join(paths)}


def start_server(kind: str, workdir: Path, *, token: str | None = None,
                 extra_args: list[str] | None = None,
                 jupyter_config: dict[str, dict[str, Any]] | None = None) -> ServerProcess:
    """A started server of ``kind`` with the sample parties and SQLite storage.

    ``jupyter_config``: more Jupyter config sections (e.g. ``ServerApp.base_url``).
    """
    workdir.mkdir(parents=True, exist_ok=True)
    if token is None:
        token = secrets.token_hex(16) if kind == "jupyter" else ""
    args = list(extra_args or [])
    if kind == "standalone":
        for name, spec in SAMPLE_PARTIES.items():
            args += ["--party", f"{name}={spec}"]
    server = ServerProcess(kind, workdir, storage=str(workdir / "rooms.db"), token=token,
                           extra_args=args, env=party_path_env(),
                           config={"PartyWidget": {"parties": SAMPLE_PARTIES},
                                   **(jupyter_config or {})})
    return server.start()


def start_redis_hosts(count: int, redis_url: str, root: Path, *,
                      member_expiry: float) -> list[ServerProcess]:
    """``count`` started ``partywidget serve --redis`` processes sharing ``redis_url``,
    with the sample parties, users leaving ``member_expiry`` s after their process died.

    On a failed start the ones already started are stopped before the error rises.
    """
    started: list[ServerProcess] = []
    try:
        for n in range(count):
            workdir = root / f"redis-host-{n}"
            workdir.mkdir(parents=True, exist_ok=True)
            config = workdir / "config.py"
            config.write_text(f"c.PartyWidget.redis_member_expiry = {member_expiry}\n")
            args = ["--redis", redis_url, "--config", str(config)]
            for name, spec in SAMPLE_PARTIES.items():
                args += ["--party", f"{name}={spec}"]
            # storage "": Redis replaces it.
            server = ServerProcess("standalone", workdir, storage="", token="",
                                   extra_args=args, env=party_path_env())
            started.append(server.start())
    except BaseException:
        for server in started:
            server.stop()
        raise
    return started


class SharedServers:
    """One server of each kind for the whole session, started on first use."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.running: dict[str, ServerProcess] = {}

    def get(self, kind: str) -> ServerProcess:
        if kind not in self.running:
            self.running[kind] = start_server(kind, self.root / f"shared-{kind}")
        return self.running[kind]

    def stop(self) -> None:
        for server in self.running.values():
            server.stop()


@pytest.fixture(scope="session")
def shared_servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SharedServers]:
    servers = SharedServers(tmp_path_factory.mktemp("shared"))
    try:
        yield servers
    finally:
        servers.stop()


@pytest.fixture
def shared_jupyter(shared_servers: SharedServers) -> ServerProcess:
    return shared_servers.get("jupyter")


@pytest.fixture
def shared_standalone(shared_servers: SharedServers) -> ServerProcess:
    return shared_servers.get("standalone")


@pytest.fixture(params=SERVER_KINDS)
def room_server(request: pytest.FixtureRequest, shared_servers: SharedServers) -> ServerProcess:
    """Each test runs against the Jupyter extension and against ``partywidget serve``."""
    return shared_servers.get(request.param)


@pytest.fixture
def room() -> str:
    """A room name no other test uses."""
    return f"r-{secrets.token_hex(6)}"
