"""Chat and Board in real JupyterLab 4 / Notebook 7 pages, two users, one room.

Each test writes a demo notebook into the server root, opens it in two
separate browser contexts and runs it; the kernel reports its side of the
widgets (``chat.messages``, ``board.strokes``) to a file next to it.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.pages import (QUICK, SLOW, NotebookPage, draw_stroke, kernel_state,
                                 pressed_mouse, screenshot, write_demo_notebook)
from tests.conftest import ServerProcess

pytestmark = pytest.mark.browser

XSS = "<img src=x onerror=alert(1)>"
OpenNotebook = Callable[[str], NotebookPage]


def start(open_notebook: OpenNotebook, url_path: str) -> NotebookPage:
    page = open_notebook(url_path)
    page.run_all()
    page.widget("chat")
    page.widget("board")
    return page


def chat_says(page: NotebookPage, text: str) -> None:
    chat = page.widget("chat")
    chat.locator(".pw-input").fill(text)
    chat.locator(".pw-input").press("Enter")


def expect_message(page: NotebookPage, text: str) -> None:
    log = page.widget("chat").locator(".pw-log")
    expect(log.locator(".pw-text", has_text=text).first).to_be_visible(timeout=QUICK)


def test_two_users_chat_and_draw_in_jupyterlab(lab: ServerProcess,
                                               open_notebook: OpenNotebook) -> None:
    root = Path(lab.workdir)
    write_demo_notebook(root, "lab", "e2e-lab")
    a = start(open_notebook, "lab/tree/lab.ipynb")
    b = start(open_notebook, "lab/tree/lab.ipynb")

    # One socket per page: the two views of A's chat share one connection.
    kernel_state(root, "lab", lambda s: len(s["browsers"]) == 2)

    # A message typed in A reaches B and the kernel; the kernel's own message is marked.
    chat_says(a, "hello from A")
    expect_message(b, "hello from A")
    kernel_state(root, "lab", lambda s: "hello from A" in s["messages"])
    expect(b.widget("chat").locator(".pw-kernel .pw-name").first).to_contain_text("(kernel)")

    # Keys typed into the chat are text, not notebook shortcuts ("a", "b", "dd");
    # Shift+Enter is a new line, Enter sends.
    cells = a.page.locator(".jp-Notebook .jp-Cell").count()
    box = a.widget("chat").locator(".pw-input")
    box.press_sequentially("a b")
    box.press("Shift+Enter")
    box.press_sequentially("dd")
    box.press("Enter")
    kernel_state(root, "lab", lambda s: "a b\ndd" in s["messages"])
    expect_message(b, "dd")
    assert a.page.locator(".jp-Notebook .jp-Cell").count() == cells

    # Chat text is text: the XSS payload shows literally, runs nothing, adds no <img>.
    chat_says(a, XSS)
    expect_message(b, XSS)
    expect_message(a, XSS)
    for page in (a, b):
        assert page.widget("chat").locator(".pw-log img").count() == 0
        assert page.dialogs == []

    # A stroke drawn in A appears on B's board and in the kernel's board.strokes.
    a.widget("board").get_by_title("colour #e53935").click()
    a.widget("board").get_by_title("width 8").click()
    # While A draws, B already sees the stroke being drawn and A's cursor.
    b_canvas = b.widget("board").locator("canvas")
    with pressed_mouse(a.widget("board").locator("canvas"), [(0.2, 0.3), (0.5, 0.6)]) as move:
        expect(b_canvas).to_have_attribute("data-inking", "1", timeout=QUICK)
        expect(b_canvas).to_have_attribute("data-cursors", "1", timeout=QUICK)
        move((0.7, 0.35))
    expect(b_canvas).to_have_attribute("data-strokes", "1", timeout=QUICK)
    expect(b_canvas).to_have_attribute("data-inking", "0")
    stroke, = kernel_state(root, "lab", lambda s: len(s["strokes"]) == 1)["strokes"]
    assert (stroke["color"], stroke["width"], len(stroke["points"]) > 3) == ("#e53935", 8, True)

    screenshot(a.widget("chat"), "chat-light.png")
    screenshot(a.widget("board"), "board-light.png")

    # A reload of B (and a re-run: new views, new sockets) shows the history.
    b.page.reload()
    b.run_all()
    expect_message(b, "hello from A")
    expect_message(b, XSS)
    expect(b.widget("board").locator('canvas[data-strokes="1"]')).to_be_attached(timeout=QUICK)

    b.theme("JupyterLab Dark")
    screenshot(b.widget("chat"), "chat-dark.png")
    screenshot(b.widget("board"), "board-dark.png")
    assert a.dialogs == [] and b.dialogs == []

    # Reloading replaced B's socket. Clearing A's outputs removes A's views, so
    # its socket closes; closing B's page closes B's (no leaks).
    kernel_state(root, "lab", lambda s: len(s["browsers"]) == 2)
    a.page.evaluate("() => window.jupyterapp.commands.execute('notebook:clear-all-cell-outputs')")
    kernel_state(root, "lab", lambda s: len(s["browsers"]) == 1)
    b.close()
    kernel_state(root, "lab", lambda s: s["browsers"] == [])


def test_chat_and_board_in_notebook_7(lab: ServerProcess, open_notebook: OpenNotebook) -> None:
    root = Path(lab.workdir)
    write_demo_notebook(root, "nb7", "e2e-nb7")
    a = start(open_notebook, "notebooks/nb7.ipynb")
    b = start(open_notebook, "notebooks/nb7.ipynb")

    chat_says(a, "hello from Notebook 7")
    expect_message(b, "hello from Notebook 7")

    # B follows the conversation at the bottom until it scrolls up; then new
    # messages only raise a hint, which takes it back down.
    for n in range(12):
        chat_says(a, f"line {n}")
    expect_message(b, "line 11")
    log = b.widget("chat").locator(".pw-log")
    assert log.evaluate("el => el.scrollHeight - el.scrollTop - el.clientHeight") < 40
    log.evaluate("el => { el.scrollTop = 0; }")
    chat_says(a, "while B reads above")
    hint = b.widget("chat").locator(".pw-new")
    expect(hint).to_be_visible(timeout=QUICK)
    assert log.evaluate("el => el.scrollTop") == 0
    hint.click()
    expect(hint).to_be_hidden()
    expect(log.locator(".pw-text", has_text="while B reads above")).to_be_in_viewport()
    draw_stroke(a.widget("board").locator("canvas"), [(0.1, 0.1), (0.4, 0.5)])
    expect(b.widget("board").locator('canvas[data-strokes="1"]')).to_be_attached(timeout=QUICK)
    kernel_state(root, "nb7", lambda s: "hello from Notebook 7" in s["messages"]
                 and len(s["strokes"]) == 1)
    screenshot(a.widget("chat"), "chat-notebook7.png")

    # A message the server refuses (over the 128 KiB stored-message limit) is
    # not lost: its text comes back to the input with the reason.
    chat_says(a, "x" * 150_000)
    expect(a.widget("chat").locator(".pw-notice")).to_contain_text("Not sent", timeout=QUICK)
    assert len(a.widget("chat").locator(".pw-input").input_value()) == 150_000

    # Undo takes A's stroke off every board; erase mode removes the one clicked.
    a.widget("board").get_by_role("button", name="Undo").click()
    expect(b.widget("board").locator('canvas[data-strokes="0"]')).to_be_attached(timeout=QUICK)
    kernel_state(root, "nb7", lambda s: s["strokes"] == [])
    canvas = a.widget("board").locator("canvas")
    draw_stroke(canvas, [(0.2, 0.5), (0.8, 0.5)])
    expect(b.widget("board").locator('canvas[data-strokes="1"]')).to_be_attached(timeout=QUICK)
    a.widget("board").get_by_role("button", name="Erase").click()
    box = canvas.bounding_box()
    canvas.click(position={"x": box["width"] * 0.5, "y": box["height"] * 0.5})
    expect(b.widget("board").locator('canvas[data-strokes="0"]')).to_be_attached(timeout=QUICK)


def test_views_come_back_after_a_server_restart(own_lab: ServerProcess,
                                                open_own_notebook: OpenNotebook) -> None:
    root = Path(own_lab.workdir)
    write_demo_notebook(root, "restart", "e2e-restart")
    a = start(open_own_notebook, "lab/tree/restart.ipynb")
    chat_says(a, "before the restart")
    expect_message(a, "before the restart")
    draw_stroke(a.widget("board").locator("canvas"), [(0.2, 0.2), (0.6, 0.6)])
    kernel_state(root, "restart", lambda s: len(s["strokes"]) == 1)

    own_lab.restart()  # same port, same SQLite storage; the kernel does not survive

    # The page keeps its views; partysocket reconnects, resumes, and the state
    # (from storage) is whole: nothing lost, nothing doubled.
    for kind in ("chat", "board"):
        expect(a.page.locator(f'.pw-{kind} .pw-status[data-status="live"]').last).to_be_visible(
            timeout=SLOW)
    log = a.page.locator(".pw-chat").last.locator(".pw-log")
    expect(log.locator(".pw-text", has_text="before the restart")).to_have_count(1)
    expect(a.page.locator('.pw-board canvas[data-strokes="1"]').last).to_be_attached()
    # JupyterLab announced the outage with a modal dialog that holds the focus.
    dialogs = a.page.locator(".jp-Dialog")
    if dialogs.count():
        dialogs.get_by_role("button", name="Close").click()
    chat_says(a, "after the restart")
    expect(log.locator(".pw-text", has_text="after the restart")).to_have_count(1, timeout=QUICK)


def test_forced_kernel_relay(lab: ServerProcess, open_notebook: OpenNotebook) -> None:
    root = Path(lab.workdir)
    write_demo_notebook(root, "relay", "e2e-relay", endpoint="relay")
    a = start(open_notebook, "lab/tree/relay.ipynb")
    b = start(open_notebook, "lab/tree/relay.ipynb")
    for page in (a, b):
        expect(page.widget("chat").locator(".pw-status")).to_contain_text("via kernel")

    chat_says(a, "hello through the kernel")
    expect_message(b, "hello through the kernel")
    kernel_state(root, "relay", lambda s: "hello through the kernel" in s["messages"])
    draw_stroke(a.widget("board").locator("canvas"), [(0.3, 0.3), (0.6, 0.2), (0.8, 0.8)])
    expect(b.widget("board").locator('canvas[data-strokes="1"]')).to_be_attached(timeout=QUICK)
    kernel_state(root, "relay", lambda s: len(s["strokes"]) == 1)

    # A reloaded relay view asks the kernel for the history ({"kind": "hello"}).
    b.page.reload()
    b.run_all()
    expect_message(b, "hello through the kernel")
    expect(b.widget("board").locator('canvas[data-strokes="1"]')).to_be_attached(timeout=QUICK)
