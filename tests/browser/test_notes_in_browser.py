"""Notes in real JupyterLab pages: two people type into one shared document.

The notebook shows ``Notes(room)`` and reports the kernel's view of the text
(``notes.on_change``) to a file; the kernel edits through ``notes.append``
(run in the notebook's kernel), and this test process edits and forges
awareness through its own ``partywidget.doc``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path

import nbformat
import pycrdt
import pytest
from playwright.sync_api import Locator, expect

import partywidget
from partywidget.client.ydoc import SharedDoc
from tests.browser.pages import QUICK, SLOW, NotebookPage, kernel_state, screenshot
from tests.conftest import ServerProcess
from tests.integration.test_jwt_identities import hs256, hs256_host

pytestmark = pytest.mark.browser

ROOM = "e2e-notes"
XSS = "<img src=x onerror=alert(1)>"
OpenNotebook = Callable[[str], NotebookPage]


def write_notes_notebook(root: Path, name: str, room: str = ROOM, setup: str = "") -> None:
    """A notebook with a Notes widget whose kernel reports its text to ``<name>.state.json``.

    ``setup`` runs first in the same cell (a course site's kernel environment).
    """
    state = f"{name}.state.json"
    cells = [
        f"{setup}from partywidget import Notes\nnotes = Notes({room!r})\nnotes",
        "import json, os\n"
        "def report(text):\n"
        f"    with open({state + '.tmp'!r}, 'w') as f:\n"
        "        json.dump({'text': text}, f)\n"
        f"    os.replace({state + '.tmp'!r}, {state!r})\n"
        "notes.on_change(report)\nreport(notes.text)",
    ]
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                       "language": "python"}
    nbformat.write(notebook, root / f"{name}.ipynb")


def run_in_kernel(page: NotebookPage, code: str) -> None:
    """Execute ``code`` in the notebook's kernel (as a cell would), waiting for it."""
    page.page.evaluate("""async code => {
        const kernel = window.jupyterapp.shell.currentWidget.sessionContext.session.kernel;
        await kernel.requestExecute({code}).done;
    }""", code)


def editor(page: NotebookPage) -> Locator:
    return page.widget("notes").locator(".cm-content")


def type_into(page: NotebookPage, text: str) -> None:
    """Click at the end of the document and type ``text`` key by key."""
    content = editor(page)
    content.click()
    content.press("Control+End")
    content.press_sequentially(text)


@pytest.fixture
def other_kernel(lab: ServerProcess) -> Iterator[SharedDoc]:
    """This test process's own copy of the room's document (as a second kernel)."""
    document = partywidget.doc(ROOM, url=lab.http_url, token=lab.token)
    try:
        yield document
    finally:
        document.close()


def test_two_pages_and_kernels_edit_one_notes(lab: ServerProcess, open_notebook: OpenNotebook,
                                              other_kernel: SharedDoc) -> None:
    root = Path(lab.workdir)
    write_notes_notebook(root, "notes")
    a = open_notebook("lab/tree/notes.ipynb")
    a.run_all()
    b = open_notebook("lab/tree/notes.ipynb")
    b.run_all()

    # What A types reaches B (and the kernel); what B types reaches A.
    type_into(a, "hello from A")
    expect(editor(b)).to_contain_text("hello from A", timeout=QUICK)
    type_into(b, " and B")
    expect(editor(a)).to_contain_text("hello from A and B", timeout=QUICK)
    kernel_state(root, "notes", lambda s: "hello from A and B" in s["text"])

    # Keys typed into the editor are text, not notebook shortcuts ("a", "b", "dd").
    cells = a.page.locator(".jp-Notebook .jp-Cell").count()
    type_into(a, " dd")
    expect(editor(b)).to_contain_text("B dd", timeout=QUICK)
    assert a.page.locator(".jp-Notebook .jp-Cell").count() == cells

    # B's cursor shows in A with B's name as the server stamped it.
    caret = a.widget("notes").locator(".cm-ySelectionCaret")
    expect(caret.first).to_be_attached(timeout=QUICK)
    expect(a.widget("notes").locator(".cm-ySelectionInfo").first).not_to_be_empty()

    # A kernel's edit (the notebook's, through notes.append) appears in both pages,
    # and so does another kernel's (this process's partywidget.doc).
    run_in_kernel(a, "notes.append('\\nfrom the kernel')")
    expect(editor(a)).to_contain_text("from the kernel", timeout=QUICK)
    expect(editor(b)).to_contain_text("from the kernel", timeout=QUICK)
    text = other_kernel.get("notes", type=pycrdt.Text)
    text += "\nfrom another kernel"
    expect(editor(b)).to_contain_text("from another kernel", timeout=QUICK)

    # A forged `user` in awareness never reaches a page: the server stamps the
    # connection's own identity, and names are shown as text.
    online = a.widget("notes").locator(".pw-online")
    clients = int(online.get_attribute("data-clients") or "0")
    other_kernel.set_awareness({"user": {"name": XSS, "color": "red;background:url(x)"}})
    expect(online).to_have_attribute("data-clients", str(clients + 1), timeout=QUICK)
    assert "<img" not in (online.get_attribute("title") or "")
    # (CodeMirror's own <img class="cm-widgetBuffer"> around widgets has no src.)
    assert a.widget("notes").locator("img[src], [onerror]").count() == 0

    screenshot(a.widget("notes"), "notes-light.png")
    b.theme("JupyterLab Dark")
    screenshot(b.widget("notes"), "notes-dark.png")
    assert a.dialogs == [] and b.dialogs == []


def test_preview_renders_the_notes_sanitized_and_moderators_lock_them(
        lab: ServerProcess, open_notebook: OpenNotebook, other_kernel: SharedDoc) -> None:
    # One page (two pages typing into one document: the test above); the text
    # also arrives from another kernel, so the preview follows remote edits.
    root = Path(lab.workdir)
    write_notes_notebook(root, "notes-preview", room=ROOM)
    page = open_notebook("lab/tree/notes-preview.ipynb")
    page.run_all()
    notes = page.widget("notes")
    expect(notes.locator('.pw-status[data-status="live"]')).to_be_visible(timeout=QUICK)

    # Markdown with a formula and an attack, typed into the editor.
    editor(page).click()
    editor(page).press("Control+End")
    page.page.keyboard.insert_text("\n# Shared heading\n\nEnergy: $E = mc^2$\n\n"
                                   "<img src=x onerror=\"window.__pwned = 1\">\n")
    toggle = notes.locator(".pw-preview-toggle")
    toggle.click()
    preview = notes.locator(".pw-preview")
    expect(preview.locator("h1")).to_have_text("Shared heading", timeout=QUICK)
    expect(preview.locator(".katex").first).to_be_visible(timeout=QUICK)
    expect(notes.locator(".pw-editor")).to_be_hidden()
    assert preview.locator("[onerror]").count() == 0
    assert page.page.evaluate("() => window.__pwned") is None
    # The preview follows the document while it is shown.
    text = other_kernel.get("notes", type=pycrdt.Text)
    text += "\n## Added by a kernel\n"
    expect(preview.locator("h2")).to_have_text("Added by a kernel", timeout=QUICK)
    toggle.click()
    expect(notes.locator(".pw-editor")).to_be_visible()
    expect(preview).to_be_hidden()

    # Everyone a personal server admits moderates: the toggle locks, the banner
    # reminds the moderator, who still writes; unlocking removes the banner.
    lock = notes.locator(".pw-lock")
    expect(lock).to_have_text("Lock", timeout=QUICK)
    lock.click()
    expect(lock).to_have_text("Unlock", timeout=QUICK)
    banner = notes.locator(".pw-banner")
    expect(banner).to_contain_text("read-only for participants", timeout=QUICK)
    expect(editor(page)).to_have_attribute("contenteditable", "true")
    lock.click()
    expect(banner).to_be_hidden(timeout=QUICK)
    screenshot(notes, "notes-preview.png")
    assert page.dialogs == []


@pytest.fixture(scope="module")
def jwt_host(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """``partywidget serve`` with JWT identities: the room host a course site's kernels name."""
    server = hs256_host(tmp_path_factory.mktemp("notes-jwt"))
    try:
        yield server
    finally:
        server.stop()


def course_kernel(host: ServerProcess, token: str) -> str:
    """Setup code pointing a kernel at ``host`` with ``token``, as a course site would."""
    return (f"import os\nos.environ.update(PARTYWIDGET_URL={host.http_url!r}, "
            f"PARTYWIDGET_TOKEN={token!r})\n")


def test_notes_join_the_kernels_remote_room_through_the_kernel(
        lab: ServerProcess, open_notebook: OpenNotebook, jwt_host: ServerProcess) -> None:
    # Issue 13: with PARTYWIDGET_URL the page used to edit a document on its own
    # Jupyter server while the kernel edited the remote one. Now it tunnels through
    # the kernel, which holds the JWT (the page never does).
    root, room = Path(lab.workdir), "notes-remote"
    write_notes_notebook(root, "notes-remote", room, course_kernel(
        jwt_host, hs256("mrs-t", name="Ms Turing", moderator=True)))
    bob = partywidget.doc(room, url=jwt_host.http_url, token=hs256("bob", name="Bob"))
    try:
        page = open_notebook("lab/tree/notes-remote.ipynb")
        page.run_all()
        notes = page.widget("notes")

        # What the page types reaches a client of the remote host and the kernel...
        type_into(page, "typed in the page")
        remote = bob.get("notes", type=pycrdt.Text)
        kernel_state(root, "notes-remote", lambda s: s["text"] == "typed in the page")
        assert str(remote) == "typed in the page"
        # ...and the remote client's edits reach the page.
        remote += " + Bob"
        expect(editor(page)).to_have_text("typed in the page + Bob", timeout=QUICK)

        # Awareness both ways, names stamped by the remote host from the JWTs.
        bob.set_awareness({"user": {"name": "forged"}})
        expect(notes.locator(".pw-online")).to_have_attribute("title", "Bob also here",
                                                              timeout=QUICK)
        assert "Ms Turing" in [s["user"]["name"] for s in bob.awareness.values()]

        # The JWT moderates: the lock goes out through the kernel and comes back.
        lock = notes.locator(".pw-lock")
        lock.click()
        expect(lock).to_have_text("Unlock", timeout=QUICK)
        lock.click()
        expect(lock).to_have_text("Lock", timeout=QUICK)

        # The page's own Jupyter server got no document of that room.
        local = partywidget.doc(room, url=lab.http_url, token=lab.token)
        try:
            assert str(local.get("notes", type=pycrdt.Text)) == ""
        finally:
            local.close()
        assert page.dialogs == []
    finally:
        bob.close()


def test_a_refused_kernel_token_shows_in_the_notes_view(
        lab: ServerProcess, open_notebook: OpenNotebook, jwt_host: ServerProcess) -> None:
    write_notes_notebook(Path(lab.workdir), "notes-refused", "notes-refused",
                         course_kernel(jwt_host, "not-a-jwt"))
    page = open_notebook("lab/tree/notes-refused.ipynb")
    page.run_all()
    status = page.page.locator(".pw-notes .pw-status")
    expect(status).to_have_attribute("data-status", "closed", timeout=SLOW)
    expect(status).to_have_attribute("title", re.compile("refused the credentials"))
