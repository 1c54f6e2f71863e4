"""A fresh virtual environment beside a copy of the checkout, as a new user has.

Shared by the tests that install partywidget the way people do (Binder's steps,
the README's demo command): they must not lean on anything installed on this
machine or left in this working tree.

- :func:`copy_checkout` copies what a clone would contain (tracked plus
  not-ignored files), so built bundles and ``node_modules`` stay behind;
- :class:`FreshVenv` is ``python -m venv`` without ``--system-site-packages``,
  with its ``bin`` first on ``PATH``, Jupyter's directories in a temporary home
  and no variable that would point a client at another room host. pip keeps
  its cache (``~/.cache/pip``), so a warm cache makes installs fast.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
#: Seconds for each install step; generous because a cold pip cache downloads JupyterLab.
INSTALL_TIMEOUT = 600
#: Variables of this machine that would point a client at another room host.
FOREIGN_VARIABLES = ("PYTHONPATH", "PARTYWIDGET_URL", "PARTYWIDGET_TOKEN",
                     "PARTYWIDGET_JUPYTER_URL", "PARTYWIDGET_JUPYTER_TOKEN", "VIRTUAL_ENV")


def copy_checkout(destination: Path) -> Path:
    """Copy what a clone of the repository would contain (tracked + not ignored)."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=REPO, check=True, capture_output=True).stdout.decode().split("\0")
    for name in filter(None, listed):
        source = REPO / name
        if source.is_file():  # deleted-but-tracked files are listed too
            target = destination / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    return destination


def run_step(args: list[str], cwd: Path, env: dict[str, str]) -> None:
    """Run one install step; fail the test with its output if it fails."""
    result = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True,
                            timeout=INSTALL_TIMEOUT)
    assert result.returncode == 0, (
        f"expected {' '.join(args)} to succeed, got exit {result.returncode}:\n"
        f"{result.stdout[-4000:]}\n{result.stderr[-4000:]}")


class FreshVenv:
    """A checkout copy in ``root/checkout`` and an empty venv in ``root/venv``."""

    def __init__(self, root: Path) -> None:
        self.checkout = copy_checkout(root / "checkout")
        self.venv = root / "venv"
        self.home = root / "home"
        self.home.mkdir()
        bin_dir = self.venv / "bin"
        self.python = bin_dir / "python"
        self.env = {
            **{k: v for k, v in os.environ.items() if k not in FOREIGN_VARIABLES},
            "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}",
            "VIRTUAL_ENV": str(self.venv),
            # Jupyter reads no user-level configuration of this machine.
            "JUPYTER_CONFIG_DIR": str(self.home / "config"),
            "JUPYTER_DATA_DIR": str(self.home / "data"),
            "JUPYTER_RUNTIME_DIR": str(self.home / "runtime"),
            "JUPYTER_PLATFORM_DIRS": "1",
            "PYTHONNOUSERSITE": "1",
        }
        # No --system-site-packages: nothing installed here can hide a missing dependency.
        run_step([sys.executable, "-m", "venv", str(self.venv)], self.checkout, self.env)

    def site_packages(self) -> Path:
        out = subprocess.run([str(self.python), "-c", "import sysconfig; "
                              "print(sysconfig.get_paths()['purelib'])"],
                             env=self.env, check=True, capture_output=True, text=True).stdout
        return Path(out.strip())
