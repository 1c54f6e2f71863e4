"""``partywidget demo``: JupyterLab on the quickstart notebook, rooms on the defaults.

The demo is what ``bash scripts/demo.sh`` ends in, so it asks nothing: it starts
``jupyter lab`` from this Python with the partywidget server extension enabled on
its embedded default storage (SQLite in the Jupyter data directory), opens
``notebooks/01-quickstart.ipynb`` and prints the URL to open, token included.
It listens on 127.0.0.1 only: the token is the one credential, and a loopback
address keeps the demo off the network.
"""

from __future__ import annotations

import importlib.util
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from .errors import ConfigurationError

__all__ = ["QUICKSTART", "find_notebooks_root", "run_demo"]

#: The notebook the demo opens, relative to the directory JupyterLab serves.
QUICKSTART = "notebooks/01-quickstart.ipynb"
HOST = "127.0.0.1"
#: Seconds JupyterLab gets to answer before the demo gives up on it.
START_TIMEOUT = 120.0


def find_notebooks_root(start: Path | None = None) -> Path:
    """The checkout directory holding ``notebooks/``: ``start`` (default: cwd) or a parent.

    The notebooks are not part of the installed package; the demo runs from a
    checkout of the repository, as ``scripts/demo.sh`` does.
    """
    here = (start or Path.cwd()).resolve()
    for directory in (here, *here.parents):
        if (directory / QUICKSTART).is_file():
            return directory
    raise ConfigurationError(
        f"expected {QUICKSTART} in {here} or a parent directory; run the demo from a "
        "checkout of partywidget (bash scripts/demo.sh)")


def _port_or_free(port: int) -> int:
    """``port`` if it can be bound on loopback, else an ephemeral free port.

    The probe sets SO_REUSEADDR as Tornado's listening socket does: a port whose
    only sockets are in TIME_WAIT (a demo just stopped) is free for the server,
    so a restarted demo keeps its URL.
    """
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((HOST, port))
            return port
        except OSError:
            probe.bind((HOST, 0))
            return int(probe.getsockname()[1])


def _lab_command(root: Path, port: int, open_browser: bool) -> list[str]:
    # No token here: a command line is world-readable (/proc/PID/cmdline), and
    # whoever holds the token runs code as us. It goes in the environment
    # (JUPYTER_TOKEN, which jupyter_server reads), which only we can read.
    command = [
        sys.executable, "-m", "jupyterlab", str(root / QUICKSTART),
        f"--ServerApp.ip={HOST}", f"--ServerApp.port={port}", "--ServerApp.port_retries=0",
        f"--ServerApp.root_dir={root}",
        # Enabled here too, so the demo works whether or not the install put
        # jupyter-config/ in place (an editable install without shared data).
        "--ServerApp.jpserver_extensions=partywidget=True",
        "--ServerApp.open_browser=" + ("True" if open_browser else "False"),
    ]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        # Containers often run as root; Jupyter refuses that unless told, and
        # the demo binds loopback only.
        command.append("--ServerApp.allow_root=True")
    return command


def _wait_until_serving(proc: subprocess.Popen[bytes], port: int, token: str) -> bool:
    """Poll ``/api/status`` until JupyterLab answers; False if it exited or timed out."""
    url = f"http://{HOST}:{port}/api/status"
    request = urllib.request.Request(url, headers={"Authorization": f"token {token}"})
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return False
        try:
            with urllib.request.urlopen(request, timeout=2):
                return True
        except (urllib.error.URLError, OSError):
            time.sleep(0.25)
    return False


def _stop(proc: subprocess.Popen[bytes]) -> int:
    """SIGTERM stops Jupyter without its interactive "Shutdown?" prompt; SIGKILL if stuck."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            return proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
    return proc.wait()


class _Stopped(KeyboardInterrupt):
    """SIGTERM or SIGHUP reached the demo: stop JupyterLab as Ctrl+C would."""


def _raise_stopped(signum: int, frame: object) -> None:
    raise _Stopped(signum)


def run_demo(port: int = 8888, open_browser: bool = True) -> int:
    """Run JupyterLab with rooms until Ctrl+C, SIGTERM or SIGHUP; return its exit status.

    ``port`` is a wish: if it is taken, a free port is used and said so.
    JupyterLab is stopped and waited for however the demo is told to stop, so
    no server outlives it (a service manager sends SIGTERM, a closed terminal
    SIGHUP).
    """
    root = find_notebooks_root()
    if importlib.util.find_spec("jupyterlab") is None:
        # Said before anything starts, instead of a child's "No module named jupyterlab".
        raise ConfigurationError(
            "expected JupyterLab for the demo, found none in this Python; "
            "install it with: pip install 'partywidget[demo]' (bash scripts/demo.sh does)")
    chosen = _port_or_free(port)
    if chosen != port:
        print(f"partywidget demo: port {port} is in use, using {chosen}", flush=True)
    token = secrets.token_hex(24)
    # cwd is notebooks/, not the checkout: `python -m` puts its cwd on sys.path,
    # and the server must import the installed partywidget, not the source tree.
    proc = subprocess.Popen(_lab_command(root, chosen, open_browser), cwd=root / "notebooks",
                            env={**os.environ, "JUPYTER_TOKEN": token})
    previous = _on_stop_signals(_raise_stopped)
    try:
        if not _wait_until_serving(proc, chosen, token):
            print("partywidget demo: JupyterLab did not start (see its log above)",
                  file=sys.stderr, flush=True)
            _stop(proc)
            return 1
        url = f"http://{HOST}:{chosen}/lab/tree/{QUICKSTART}?token={token}"
        print(f"\npartywidget demo: open {url}\n"
              "Open it in a second tab or browser too: both join room class-101.\n"
              "Press Ctrl+C to stop.", flush=True)
        return proc.wait()
    except KeyboardInterrupt:  # Ctrl+C, or _Stopped
        _on_stop_signals(signal.SIG_IGN)  # _stop is bounded; a second signal must not cut it
        _stop(proc)
        return 0
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def _on_stop_signals(handler: Any) -> dict[int, Any]:
    """Handle SIGTERM and SIGHUP with ``handler``; returns the handlers they had."""
    names = ("SIGTERM", "SIGHUP")  # no SIGHUP on Windows
    return {signum: signal.signal(signum, handler)
            for signum in (getattr(signal, name) for name in names if hasattr(signal, name))}
