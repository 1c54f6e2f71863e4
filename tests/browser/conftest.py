"""Fixtures of the browser tests: a real Jupyter server and headless Chromium.

The server is ``jupyter server`` with partywidget enabled (tests/conftest.py
``ServerProcess``); jupyterlab and notebook are installed server extensions, so
``/lab`` and ``/notebooks`` are served. Chromium is Debian's
(``/usr/bin/chromium``); no browser is ever downloaded.
"""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser

from tests.browser.pages import NotebookPage
from tests.conftest import REPO, ServerProcess

#: JupyterLab user settings for quiet, deterministic pages: no autosave (two
#: pages edit one notebook), no news toasts over the widgets.
USER_SETTINGS = {
    "@jupyterlab/docmanager-extension/plugin.jupyterlab-settings": {"autosave": False},
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {
        "fetchNews": "false", "checkForUpdates": False},
}


#: Browser contexts are distinct people (tests/identities.py).
PER_BROWSER_USERS = "tests.identities.PerBrowserUsers"


def lab_server(workdir: Path, identity: str | None = PER_BROWSER_USERS) -> ServerProcess:
    """A started Jupyter server (Lab + Notebook 7 + partywidget) rooted at ``workdir``.

    ``identity``: the identity provider class; ``None`` keeps jupyter_server's own,
    under which every browser and kernel is the server's owner.
    """
    settings = workdir / "config" / "lab" / "user-settings"
    for name, values in USER_SETTINGS.items():
        (settings / name).parent.mkdir(parents=True, exist_ok=True)
        (settings / name).write_text(json.dumps(values))
    server = ServerProcess("jupyter", workdir, storage=str(workdir / "rooms.db"),
                           token=secrets.token_hex(16),
                           extra_args=["--LabApp.expose_app_in_browser=True",
                                       "--JupyterNotebookApp.expose_app_in_browser=True",
                                       *([f"--ServerApp.identity_provider_class={identity}"]
                                         if identity else [])],
                           env={"PYTHONPATH": os.pathsep.join(
                               filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))})
    return server.start()


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """One Jupyter server shared by a test module."""
    server = lab_server(tmp_path_factory.mktemp("lab"))
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def own_lab(tmp_path: Path) -> Iterator[ServerProcess]:
    """A Jupyter server of this test alone (for tests that restart it)."""
    server = lab_server(tmp_path)
    try:
        yield server
    finally:
        server.stop()



def notebook_opener(browser: Browser, server: ServerProcess
                    ) -> Iterator[Callable[[str], NotebookPage]]:
    pages: list[NotebookPage] = []

    def open_(path: str) -> NotebookPage:
        page = NotebookPage(browser, server, path)
        pages.append(page)
        return page

    yield open_
    for page in pages:
        page.close()


@pytest.fixture
def open_notebook(browser: Browser, lab: ServerProcess) -> Iterator[Callable[[str], NotebookPage]]:
    """Open ``lab/tree/x.ipynb`` or ``notebooks/x.ipynb`` of ``lab`` in a new context."""
    yield from notebook_opener(browser, lab)


@pytest.fixture
def open_own_notebook(browser: Browser, own_lab: ServerProcess
                      ) -> Iterator[Callable[[str], NotebookPage]]:
    """Same as ``open_notebook``, on ``own_lab``."""
    yield from notebook_opener(browser, own_lab)
