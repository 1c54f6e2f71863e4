"""The release artifacts (docs/releasing.md): sdist and wheel build, pass ``twine
check``, carry the built widget bundles, and the wheel installs and runs in a
fresh environment where no Node exists.

Both are built once per session from this checkout with ``python -m build
--no-isolation`` (the same hatchling backend as a release's isolated build,
without fetching it into two throwaway environments). The fresh venv (no pip of
its own) gets the wheel from this environment's ``pip --python ... install
--no-deps``; its dependencies come from this test
environment's site directories, added by a ``.pth`` *file* so that .pth files
inside them (an editable partywidget) are never processed: the only
partywidget importable there is the wheel's. Its ``PATH`` is the venv's
``bin`` alone, so nothing could build or fetch a bundle with Node.
"""

from __future__ import annotations

import os
import shutil
import site
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

from tests.freshenv import FOREIGN_VARIABLES, INSTALL_TIMEOUT, REPO

#: The widget bundles a wheel must ship (pyproject's ensured-targets).
BUNDLES = ("chat", "board", "poll", "hands", "quiz", "snippets", "notes")


@pytest.fixture(scope="session")
def dist(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """``{"sdist": ..., "wheel": ...}`` built once from this checkout."""
    out = tmp_path_factory.mktemp("dist")
    result = subprocess.run([sys.executable, "-m", "build", "--no-isolation", "--outdir",
                             str(out), str(REPO)], capture_output=True, text=True,
                            timeout=INSTALL_TIMEOUT)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    sdist, = out.glob("partywidget-*.tar.gz")
    wheel, = out.glob("partywidget-*-py3-none-any.whl")
    return {"sdist": sdist, "wheel": wheel}


def test_twine_checks_both(dist: dict[str, Path]) -> None:
    result = subprocess.run([sys.executable, "-m", "twine", "check", "--strict",
                             str(dist["sdist"]), str(dist["wheel"])],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count("PASSED") == 2


def test_both_carry_the_built_bundles_and_no_checkout_debris(dist: dict[str, Path]) -> None:
    wheel = set(zipfile.ZipFile(dist["wheel"]).namelist())
    with tarfile.open(dist["sdist"]) as sdist:
        in_sdist = {name.split("/", 1)[1] for name in sdist.getnames() if "/" in name}
    for bundle in BUNDLES:
        assert f"partywidget/widgets/static/{bundle}.js" in wheel
        assert f"partywidget/widgets/static/{bundle}.js" in in_sdist  # installs without Node
    assert any(name.endswith("etc/jupyter/jupyter_server_config.d/partywidget.json")
               for name in wheel)  # the extension is enabled by installing
    assert not [name for name in in_sdist | wheel
                if "node_modules" in name or name.endswith((".db", ".db-wal"))]


def test_the_wheel_installs_and_runs_without_node(dist: dict[str, Path],
                                                  tmp_path: Path) -> None:
    venv = tmp_path / "venv"  # no pip inside: this environment's pip installs into it
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True,
                   timeout=INSTALL_TIMEOUT)
    python = venv / "bin" / "python"
    env = {**{k: v for k, v in os.environ.items() if k not in FOREIGN_VARIABLES},
           "PATH": str(venv / "bin"), "HOME": str(tmp_path), "PYTHONNOUSERSITE": "1",
           "JUPYTER_PLATFORM_DIRS": "1"}
    assert shutil.which("node", path=env["PATH"]) is None
    assert shutil.which("npm", path=env["PATH"]) is None
    installed = subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install",
                                "-q", "--no-deps", str(dist["wheel"])], capture_output=True,
                               text=True, timeout=INSTALL_TIMEOUT)
    assert installed.returncode == 0, installed.stdout + installed.stderr
    # Dependencies from this environment's site directories, as plain paths.
    purelib = subprocess.run([str(python), "-c", "import sysconfig; "
                              "print(sysconfig.get_paths()['purelib'])"], env=env, check=True,
                             capture_output=True, text=True).stdout.strip()
    (Path(purelib) / "test-dependencies.pth").write_text("\n".join(site.getsitepackages()))

    check = (
        "import pathlib, sys, partywidget\n"
        "from partywidget import Board, Chat\n"
        f"assert pathlib.Path(partywidget.__file__).is_relative_to({str(venv)!r}), "
        "partywidget.__file__\n"
        "chat = Chat('release-check')\n"
        "assert 'pw-chat' in str(chat._esm) and len(str(Board._esm)) > 1000\n"
        "print(partywidget.__version__)\n")
    result = subprocess.run([str(python), "-c", check], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert dist["wheel"].name.startswith(f"partywidget-{result.stdout.strip()}-")
    # The console script works, and the Jupyter extension is enabled by the install.
    helped = subprocess.run([str(venv / "bin" / "partywidget"), "serve", "--help"],
                            env=env, capture_output=True, text=True, timeout=120)
    assert helped.returncode == 0 and "--party" in helped.stdout, helped.stderr
    assert (venv / "etc/jupyter/jupyter_server_config.d/partywidget.json").is_file()
