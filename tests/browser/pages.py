"""Driving notebooks in headless Chromium: pages, demo notebook, kernel-side state.

Each :class:`NotebookPage` is its own browser context (own cookies: a separate
session of the user). The server's apps expose ``window.jupyterapp``, so pages
run commands (run all cells, change theme) without clicking through menus.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import nbformat
from playwright.sync_api import Browser, Locator, Page, expect

from tests.conftest import REPO, ServerProcess

ARTIFACTS = REPO / "tests" / "artifacts"
#: Generous but bounded waits (ms): kernel start-up and first joins take seconds.
SLOW = 60_000
QUICK = 20_000


class NotebookPage:
    """One browser context (its own cookies: a separate user session) on a notebook."""

    def __init__(self, browser: Browser, server: ServerProcess, path: str) -> None:
        self.context = browser.new_context(viewport={"width": 1280, "height": 1400})
        self.page: Page = self.context.new_page()
        self.dialogs: list[str] = []
        self.page.on("dialog", self._dialog)
        self.url = f"http://127.0.0.1:{server.port}/{path}"
        # `?token=` logs the context in; the cookie then authenticates the
        # widget's WebSocket (same origin), as for a user.
        # `reset` starts from an empty workspace, not the one other tests left.
        self.page.goto(f"{self.url}?reset&token={server.token}")

    def _dialog(self, dialog: Any) -> None:
        # Leaving a page with an unsaved notebook asks first: allow it. Any other
        # dialog (an XSS alert) is recorded, and must never happen.
        if dialog.type == "beforeunload":
            dialog.accept()
            return
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def run_all(self) -> None:
        """Run every cell once the notebook's kernel is ready."""
        # The current widget must be *this* notebook: JupyterLab may first
        # restore other documents of the (server-side) workspace.
        notebook = self.url.rsplit("/", 1)[-1]
        self.page.wait_for_function(
            """path => {
                const widget = window.jupyterapp?.shell?.currentWidget;
                return widget?.context?.path === path && widget.sessionContext?.session?.kernel;
            }""", arg=notebook, timeout=SLOW)
        self.page.evaluate("""async () => {
            const app = window.jupyterapp;
            await app.shell.currentWidget.sessionContext.ready;
            await app.commands.execute("notebook:run-all-cells");
        }""")

    def widget(self, kind: str) -> Locator:
        """The newest view of a Chat ("chat") or Board ("board"), once it is live."""
        root = self.page.locator(f".pw-{kind}").last
        expect(root.locator('.pw-status[data-status="live"]')).to_be_visible(timeout=SLOW)
        return root

    def theme(self, name: str) -> None:
        """Switch the JupyterLab theme ("JupyterLab Light" / "JupyterLab Dark")."""
        self.page.evaluate(
            "name => window.jupyterapp.commands.execute('apputils:change-theme', {theme: name})",
            name)
        light = "false" if "Dark" in name else "true"
        self.page.wait_for_selector(f"body[data-jp-theme-light='{light}']", state="attached",
                                    timeout=QUICK)

    def close(self) -> None:
        self.context.close()


def write_demo_notebook(root: Path, name: str, room: str, endpoint: str | None = None) -> Path:
    """A notebook showing Chat (twice) and Board for ``room``; the kernel reports
    its side (``chat.messages``, ``board.strokes``, the browser connections in
    ``chat.users``) to ``<name>.state.json``."""
    arg = f", endpoint={endpoint!r}" if endpoint else ""
    state = f"{name}.state.json"
    cells = [
        f"from partywidget import Board, Chat\nchat = Chat({room!r}{arg})\nchat",
        f"board = Board({room!r}{arg})\nboard",
        "chat  # a second view of the same widget: it shares the first one's connection",
        "import json, os\n"
        "def report(_frame=None):\n"
        f"    with open({state + '.tmp'!r}, 'w') as f:\n"
        "        json.dump({'messages': [m['content'] for m in chat.messages],\n"
        "                   'strokes': board.strokes,\n"
        "                   'browsers': sorted(u['id'] for u in chat.users\n"
        "                                      if not u['user'].get('kernel'))}, f)\n"
        f"    os.replace({state + '.tmp'!r}, {state!r})\n"
        "chat.client.on_event(report)\nboard.client.on_event(report)\nreport()",
        "if 'hello from the kernel' not in [m['content'] for m in chat.messages]:\n"
        "    chat.send('hello from the kernel')",
    ]
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                       "language": "python"}
    path = root / f"{name}.ipynb"
    nbformat.write(notebook, path)
    return path


def kernel_state(root: Path, name: str, until: Callable[[dict[str, Any]], bool],
                 timeout: float = 30.0) -> dict[str, Any]:
    """The kernel's reported state once ``until`` holds for it (bounded wait)."""
    path = root / f"{name}.state.json"
    deadline = time.monotonic() + timeout
    state: dict[str, Any] = {}
    while time.monotonic() < deadline:
        if path.exists():
            state = json.loads(path.read_text())
            if until(state):
                return state
        time.sleep(0.1)
    raise AssertionError(f"kernel state never matched within {timeout} s; last: {state}")


def screenshot(locator: Locator, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / name
    locator.screenshot(path=str(path))
    return path


@contextmanager
def pressed_mouse(canvas: Locator, points: list[tuple[float, float]]
                  ) -> Iterator[Callable[[tuple[float, float]], None]]:
    """Press the mouse on ``canvas`` and drag through ``points`` (fractions of
    its size); yields a function to drag further; releases on exit."""
    canvas.scroll_into_view_if_needed()  # mouse coordinates are the viewport's
    box = canvas.bounding_box()
    assert box is not None, "the canvas is not displayed"
    mouse = canvas.page.mouse

    def move(point: tuple[float, float]) -> None:
        mouse.move(box["x"] + box["width"] * point[0], box["y"] + box["height"] * point[1],
                   steps=8)

    mouse.move(box["x"] + box["width"] * points[0][0], box["y"] + box["height"] * points[0][1])
    mouse.down()
    try:
        for point in points[1:]:
            move(point)
        yield move
    finally:
        mouse.up()


def draw_stroke(canvas: Locator, points: list[tuple[float, float]]) -> None:
    """Drag the mouse through ``points`` (fractions of the canvas size)."""
    with pressed_mouse(canvas, points):
        pass
