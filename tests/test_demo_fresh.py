"""The README's demo command works on a fresh machine.

A new user clones the repository, makes a virtual environment with nothing in
it and runs the first command of the README. This test does exactly that: the
command is read from the README's "Two commands" block (not copied here, so the
README cannot drift from what is tested), run with ``bash`` in a copy of the
checkout whose only Python is a fresh venv (:mod:`tests.freshenv`), and the URL
it prints is opened in headless Chromium, where the quickstart notebook runs
and its chat goes live. ``BROWSER=true`` makes the demo's own "open a browser"
a no-op, as the user's browser is this test's Chromium.

pip keeps its cache, so with a warm cache the install takes about half a minute
(most of it building the widget bundle with npm).
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from tests.freshenv import INSTALL_TIMEOUT, REPO, FreshVenv

URL_LINE = re.compile(r"partywidget demo: open (http://127\.0\.0\.1:\d+/lab/tree/"
                      r"notebooks/01-quickstart\.ipynb\?token=[0-9a-f]+)")
#: Milliseconds for JupyterLab to load and the first kernel to start in the browser.
SLOW = 90_000

pytestmark = pytest.mark.timeout(1200)


def readme_demo_command() -> str:
    """The demo line of the README's "Two commands" block, without its comment."""
    readme = (REPO / "README.md").read_text()
    block = readme.split("## Two commands", 1)[1].split("```bash", 1)[1].split("```", 1)[0]
    lines = [line.split("#", 1)[0].strip() for line in block.splitlines()]
    demo = [line for line in lines if "demo" in line]
    assert len(demo) == 1, f"expected one demo command in the README's block, got {demo}"
    return demo[0]


class RunningDemo:
    """The README's demo command running in a fresh venv; its output in a file."""

    def __init__(self, fresh: FreshVenv) -> None:
        self.output = fresh.home / "demo.out"
        with open(self.output, "wb") as out:
            self.proc = subprocess.Popen(
                ["bash", "-c", readme_demo_command()], cwd=fresh.checkout,
                env={**fresh.env, "BROWSER": "true"}, stdout=out, stderr=subprocess.STDOUT,
                start_new_session=True)

    def printed_url(self) -> str:
        """The URL the demo prints, once it has installed and started (bounded wait)."""
        deadline = time.monotonic() + INSTALL_TIMEOUT
        while time.monotonic() < deadline and self.proc.poll() is None:
            found = URL_LINE.search(self.output.read_text(errors="replace"))
            if found:
                return found.group(1)
            time.sleep(0.5)
        raise AssertionError("expected the demo to print its URL, got:\n"
                             + self.output.read_text(errors="replace")[-4000:])

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGINT)  # Ctrl+C in the terminal
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(5)


@pytest.fixture(scope="module")
def fresh_demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningDemo]:
    demo = RunningDemo(FreshVenv(tmp_path_factory.mktemp("fresh-demo")))
    try:
        yield demo
    finally:
        demo.stop()


def test_the_readme_names_the_demo_script() -> None:
    assert readme_demo_command() == "bash scripts/demo.sh"


def test_the_demo_installs_what_it_runs_and_the_printed_url_runs_the_quickstart(
        fresh_demo: RunningDemo, browser: Browser) -> None:
    url = fresh_demo.printed_url()
    context = browser.new_context(viewport={"width": 1280, "height": 1400})
    try:
        page = context.new_page()
        page.on("dialog", lambda dialog: dialog.accept())  # "leave the page?" on close
        page.goto(url)
        expect(page.locator(".jp-NotebookPanel").get_by_role(
            "heading", name="partywidget quickstart")).to_be_visible(timeout=SLOW)
        # Run → Run All Cells, as the notebook's first cell says, once the kernel is
        # ready: clicked before, while the notebook was still starting its kernel,
        # the command once ran nothing (every cell stayed "[ ]").
        expect(page.locator('.jp-Notebook-ExecutionIndicator[data-status="idle"]')
               ).to_be_visible(timeout=SLOW)
        page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(r"^Run$")).click()
        page.locator(".lm-Menu-itemLabel", has_text=re.compile(r"^Run All Cells$")).click()
        chat = page.locator(".pw-chat").first
        expect(chat.locator('.pw-status[data-status="live"]')).to_be_visible(timeout=SLOW)
        # The kernel of the fresh venv joined the room and its hello reached the browser.
        expect(chat.get_by_text("Hello from the kernel")).to_be_visible(timeout=SLOW)
    finally:
        context.close()
