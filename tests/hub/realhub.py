"""A real JupyterHub with partywidget's room service, driven by the hub suite.

The hub runs the configuration block of docs/jupyterhub.md verbatim, plus what
only a test needs: the dummy authenticator, the simple local-process spawner,
``configurable-http-proxy`` from tests/hub/node_modules, free loopback ports,
``--allow-root`` for single-user servers (CI runs as root) and a service token
for driving the hub's REST API. ``Spawner.cmd`` is a wrapper that records each
single-user server's environment (what its kernels inherit) before it execs
``jupyterhub-singleuser``.

Shutdown is bounded: servers are stopped through the API, the hub gets SIGTERM,
and after a timeout its process group and every process it started get SIGKILL
(the hub can hang while "cleaning up services").
"""

from __future__ import annotations

import json
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import textwrap
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import psutil

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
DOCS = REPO / "docs" / "jupyterhub.md"
PROXY = HERE / "node_modules" / ".bin" / "configurable-http-proxy"
SERVICE = "partywidget"
STARTUP_TIMEOUT = 90.0
#: The service's --hub-cache-seconds here: short, so a revoked token's end is quick to see.
AUTH_CACHE_SECONDS = 2
SHUTDOWN_TIMEOUT = 15.0

#: Records the single-user server's environment, then becomes that server.
ENV_RECORDER = """\
import json, os, sys
path = os.path.join(sys.argv[1], "env-" + os.environ["JUPYTERHUB_USER"] + ".json")
with open(path + ".tmp", "w") as f:
    json.dump({**os.environ, "PID": str(os.getpid())}, f)
os.replace(path + ".tmp", path)
os.execvp(sys.argv[2], sys.argv[2:])
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def docs_block(marker: str) -> str:
    """The ``python`` block that follows ``<!-- marker: ... -->`` in docs/jupyterhub.md
    (indented under a list item or not)."""
    match = re.search(r"<!-- %s:.*?-->\n\s*```python\n(.*?)```" % re.escape(marker),
                      DOCS.read_text(), re.S)
    assert match, f"expected a ```python block after <!-- {marker}: --> in docs/jupyterhub.md"
    return textwrap.dedent(match.group(1))


def docs_config_block() -> str:
    """What the admin pastes into ``jupyterhub_config.py`` (step 2 of the docs)."""
    return docs_block("hub-config")


class Hub:
    """A running JupyterHub on loopback: its URLs, its API, its users' environments."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.url = f"http://127.0.0.1:{free_port()}"  # the proxy: what users open
        self.hub_url = f"http://127.0.0.1:{free_port()}"
        self.proxy_api_url = f"http://127.0.0.1:{free_port()}"
        self.service_url = f"http://127.0.0.1:{free_port()}"
        self.api_token = secrets.token_hex(16)
        self.proc: subprocess.Popen[bytes] | None = None
        self.log_path = workdir / "jupyterhub.log"
        #: Every process the hub started; psutil refuses to signal a reused pid.
        self.started: dict[int, psutil.Process] = {}
        #: Each spawned server's environment by user name (see :meth:`spawn`).
        self.envs: dict[str, dict[str, str]] = {}

    @property
    def service_prefix(self) -> str:
        return f"/services/{SERVICE}/"

    @property
    def rooms_url(self) -> str:
        """Base URL of the hub-wide rooms through the proxy (append /parties/...)."""
        return f"{self.url}{self.service_prefix}".rstrip("/")

    def write_config(self) -> Path:
        (self.workdir / "record_env.py").write_text(ENV_RECORDER)
        test_only = f"""\
c.JupyterHub.authenticator_class = "dummy"
c.Authenticator.allow_all = True
c.JupyterHub.spawner_class = "simple"
c.SimpleLocalProcessSpawner.home_dir_template = {str(self.workdir / "home" / "{username}")!r}
c.Spawner.cmd = [{sys.executable!r}, {str(self.workdir / "record_env.py")!r},
                 {str(self.workdir)!r}, "jupyterhub-singleuser"]
c.Spawner.args = ["--allow-root", "--LabApp.expose_app_in_browser=True"]
c.Spawner.start_timeout = 90
c.Spawner.http_timeout = 90
c.JupyterHub.bind_url = {self.url + "/"!r}
c.JupyterHub.hub_bind_url = {self.hub_url!r}
c.ConfigurableHTTPProxy.api_url = {self.proxy_api_url!r}
c.ConfigurableHTTPProxy.command = [{str(PROXY)!r}]
c.JupyterHub.db_url = "sqlite:///" + {str(self.workdir / "hub.sqlite")!r}
c.JupyterHub.cookie_secret_file = {str(self.workdir / "cookie_secret")!r}
c.JupyterHub.pid_file = {str(self.workdir / "hub.pid")!r}
# An existing hub's own service and role (the test driver's), set before the docs'
# lines as an admin's file would have them: the docs' append form must keep them.
c.JupyterHub.services = [{{"name": "tester", "api_token": {self.api_token!r}}}]
c.JupyterHub.load_roles = [{{"name": "tester", "services": ["tester"],
    "scopes": ["admin:users", "admin:groups", "admin:servers", "tokens", "list:services"]}}]
"""
        moved = f"""
# test only: the ports this run picked, and a short auth cache
c.JupyterHub.public_url = {self.url + "/"!r}
next(s for s in c.JupyterHub.services if s["name"] == {SERVICE!r})["url"] = {self.service_url!r}
next(s for s in c.JupyterHub.services if s["name"] == {SERVICE!r})["command"] += [
    "--hub-cache-seconds", "{AUTH_CACHE_SECONDS}"]
"""
        path = self.workdir / "jupyterhub_config.py"
        path.write_text(test_only + "\n# docs/jupyterhub.md, verbatim\n" + docs_config_block()
                        + docs_block("hub-groups") + moved)
        return path

    # lifecycle -------------------------------------------------------------

    def start(self) -> None:
        assert PROXY.exists(), "expected tests/hub/node_modules: run `npm ci` in tests/hub"
        config = self.write_config()
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(
            p for p in (str(REPO), os.environ.get("PYTHONPATH", "")) if p)}
        with open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "jupyterhub", "-f", str(config)], cwd=self.workdir,
                env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, f"jupyterhub exited:\n{self.log_tail()}"
            self.remember_children()
            if self.ready():
                return
            time.sleep(0.25)
        raise AssertionError(f"jupyterhub not ready in {STARTUP_TIMEOUT}s:\n{self.log_tail()}")

    def ready(self) -> bool:
        """The hub answers through the proxy, and so does the room service."""
        try:
            hub_status = self.request("GET", f"{self.url}/hub/api/")[0]
            status = self.request("GET", self.url + self.service_prefix, redirect=False)[0]
        except (OSError, urllib.error.URLError):
            return False
        # The service sends browsers without a cookie to the hub's OAuth flow.
        return hub_status == 200 and status == 302

    def remember_children(self) -> None:
        """Note every process the hub started (servers run in their own sessions)."""
        if self.proc is None:
            return
        try:
            for child in psutil.Process(self.proc.pid).children(recursive=True):
                self.started.setdefault(child.pid, child)
        except psutil.NoSuchProcess:
            pass

    def stop(self) -> None:
        """Stop servers and hub politely, then SIGKILL whatever is left, whatever happened."""
        if self.proc is None:
            return
        try:
            self.remember_children()
            for name in self.users_with_servers():
                try:
                    self.api("DELETE", f"/users/{name}/server")
                except (OSError, urllib.error.URLError, AssertionError):
                    pass
            self.remember_children()
            if self.proc.poll() is None:
                self.proc.send_signal(signal.SIGTERM)
                self.proc.wait(SHUTDOWN_TIMEOUT)
        except subprocess.TimeoutExpired:
            pass  # hung "cleaning up services": the SIGKILLs below end it
        finally:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.proc.wait(10)
            for process in self.started.values():
                try:
                    process.kill()
                except psutil.NoSuchProcess:
                    pass
            self.proc = None

    def service_process(self) -> psutil.Process:
        """The room service process the hub started (``partywidget serve --jupyterhub``)."""
        self.remember_children()
        for process in self.started.values():
            try:
                if "--jupyterhub" in process.cmdline():
                    return process
            except psutil.NoSuchProcess:
                continue
        raise AssertionError(f"no room service among the hub's processes:\n{self.log_tail()}")

    def users_with_servers(self) -> list[str]:
        try:
            users = self.api("GET", "/users")
        except (OSError, urllib.error.URLError, AssertionError):
            return []
        return [u["name"] for u in users if u.get("servers")]

    def log_tail(self, lines: int = 60) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    # HTTP --------------------------------------------------------------------

    def request(self, method: str, url: str, *, body: Any = None, token: str | None = None,
                headers: dict[str, str] | None = None,
                redirect: bool = True) -> tuple[int, Any]:
        """(status, decoded JSON body or text); HTTP errors are returned, not raised."""
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(url, data=data, method=method,
                                         headers=dict(headers or {}))
        if token:
            request.add_header("Authorization", f"token {token}")
        if data is not None:
            request.add_header("Content-Type", "application/json")
        opener = urllib.request.build_opener(*([] if redirect else [_NoRedirect()]))
        try:
            with opener.open(request, timeout=30) as response:
                status, raw = response.status, response.read()
        except urllib.error.HTTPError as exc:
            status, raw = exc.code, exc.read()
        text = raw.decode("utf-8", "replace")
        try:
            return status, json.loads(text) if text else None
        except ValueError:
            return status, text

    def api(self, method: str, path: str, body: Any = None) -> Any:
        """Call the hub's REST API as the test driver; raises on an unexpected status."""
        status, result = self.request(method, f"{self.url}/hub/api{path}", body=body,
                                      token=self.api_token)
        if status >= 400:
            raise AssertionError(f"hub API {method} {path}: {status} {result}")
        return result

    # users -------------------------------------------------------------------

    def caller(self, token: str | None) -> Caller:
        """Someone reaching the hub-wide rooms through the proxy with ``token``."""
        return Caller(self.rooms_url, token)

    def server_token(self, name: str) -> str:
        """The token of ``name``'s server, which its kernels inherit."""
        return self.envs[name]["JUPYTERHUB_API_TOKEN"]

    def add_user(self, name: str, *, groups: tuple[str, ...] = ()) -> None:
        """Create ``name`` (unless the docs' ``load_groups`` did) and add it to ``groups``."""
        self.create(f"/users/{name}")
        for group in groups:
            self.api("POST", f"/groups/{group}/users", {"users": [name]})

    def add_group(self, name: str) -> None:
        self.create(f"/groups/{name}")

    def create(self, path: str) -> None:
        """POST ``path``; 409 (it exists, e.g. from the docs' ``load_groups``) is fine."""
        status, result = self.request("POST", f"{self.url}/hub/api{path}", token=self.api_token)
        assert status in (201, 409), f"hub API POST {path}: {status} {result}"

    def user_token(self, name: str) -> str:
        """A token the user could create on the hub's token page, limited to the service."""
        result = self.api("POST", f"/users/{name}/tokens", {
            "scopes": [f"access:services!service={SERVICE}"], "expires_in": 3600,
            "note": "partywidget hub tests"})
        return str(result["token"])

    def spawn(self, *names: str) -> dict[str, dict[str, str]]:
        """Start the users' servers; returns each server's environment (what kernels get)."""
        for name in names:
            self.api("POST", f"/users/{name}/server")
        deadline = time.monotonic() + STARTUP_TIMEOUT
        pending = set(names)
        while pending and time.monotonic() < deadline:
            for name in sorted(pending):
                server = self.api("GET", f"/users/{name}").get("servers", {}).get("")
                if server and server.get("ready"):
                    pending.discard(name)
            self.remember_children()
            time.sleep(0.25)
        assert not pending, f"servers of {sorted(pending)} not ready:\n{self.log_tail()}"
        self.remember_children()
        return {name: json.loads((self.workdir / f"env-{name}.json").read_text())
                for name in names}


class Caller:
    """One hub user's credentials at the room service, shaped for ``clients.join``.

    ``tests/integration/clients.py`` opens sockets to any server object with
    ``room_url`` and ``auth_headers``; this one puts a hub token in the
    ``Authorization`` header, as kernels do.
    """

    def __init__(self, rooms_url: str, token: str | None) -> None:
        self.rooms_url = rooms_url
        self.token = token

    def room_url(self, room: str, party: str = "main", *, ws: bool = True) -> str:
        base = "ws" + self.rooms_url[len("http"):] if ws else self.rooms_url
        return f"{base}/parties/{party}/{room}"

    def auth_headers(self) -> dict[str, str]:
        return {"Authorization": f"token {self.token}"} if self.token else {}


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None
