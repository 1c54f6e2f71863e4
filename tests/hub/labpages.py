"""Hub users' JupyterLab pages in headless Chromium: signing in, notebooks in their homes.

Each user signs in through the hub's login form in a browser context of their own, and
opens notebooks on their own single-user server (``/user/<name>/lab/tree/...``), whose
kernels join the rooms as that hub user.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import nbformat
from playwright.sync_api import Browser, BrowserContext, Page

__all__ = ["SLOW", "open_notebook", "run_all", "run_notebook", "signed_in_pages",
           "write_notebook"]

SLOW = 60_000


def signed_in_pages(browser: Browser, hub) -> Iterator[Callable[[str], Page]]:
    """``sign_in("alice")``: a page of a browser context logged in through the hub's form."""
    contexts: list[BrowserContext] = []

    def sign_in(name: str) -> Page:
        context = browser.new_context(viewport={"width": 1280, "height": 1000})
        contexts.append(context)
        page = context.new_page()
        page.goto(f"{hub.url}/hub/login")
        page.fill("input[name=username]", name)
        page.fill("input[name=password]", "any password")
        page.click("[type=submit]")
        page.wait_for_url(lambda url: "/hub/login" not in url, timeout=SLOW)
        page.goto(f"{hub.url}/hub/home")
        return page

    yield sign_in
    for context in contexts:
        context.close()


def write_notebook(hub, user: str, name: str, cells: list[str]) -> str:
    """A notebook of code ``cells`` in ``user``'s home; its path under ``lab/tree/``."""
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                       "language": "python"}
    nbformat.write(notebook, hub.workdir / "home" / user / name)
    return name


def run_notebook(page: Page, hub, user: str, path: str) -> None:
    """Open ``path`` in ``user``'s JupyterLab and run all its cells once the kernel is up."""
    open_notebook(page, hub, user, path)
    run_all(page, path)


def open_notebook(page: Page, hub, user: str, path: str) -> None:
    """Open ``path`` in ``user``'s JupyterLab (its kernel starts meanwhile)."""
    page.goto(f"{hub.url}/user/{user}/lab/tree/{path}")


def run_all(page: Page, path: str | None = None) -> None:
    """Run every cell of the page's notebook (``path``'s, once it is the current tab:
    JupyterLab restores the user's earlier tabs first) once its kernel is up."""
    page.wait_for_function(
        """path => {
            const current = window.jupyterapp?.shell?.currentWidget;
            const ours = !path || current?.context?.path === path;
            return ours && current?.sessionContext?.session?.kernel;
        }""", arg=path, timeout=SLOW)
    page.evaluate("""async () => {
        const app = window.jupyterapp;
        await app.shell.currentWidget.sessionContext.ready;
        await app.commands.execute("notebook:run-all-cells");
    }""")
