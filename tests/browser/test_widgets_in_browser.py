"""Chat and Board in real JupyterLab 4 / Notebook 7 pages, two users, one room.

Each test writes a demo notebook into the server root, opens it in two
separate browser contexts and runs it; the kernel reports its side of the
widgets (``chat.messages``, ``board.strokes``) to a file next to it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import nbformat
import pytest
from playwright.sync_api import Locator, expect

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


def write_moderation_notebook(root: Path, name: str, room: str) -> None:
    """Chat and Board as the server's user (a moderator on a personal server), then
    relayed views whose welcome says "student" (not a moderator) and "teacher" (a
    moderator under another name): what the page shows depends on that welcome only."""
    cells = [
        f"from partywidget import Board, Chat\nchat = Chat({room!r})\nchat",
        f"board = Board({room!r})\nboard",
        "import dataclasses\n"
        "def posing_as(cls, user):\n"
        "    class Posing(cls):\n"
        "        def _welcome_frame(self, client):\n"
        "            return dataclasses.replace(super()._welcome_frame(client), user=user)\n"
        "    return Posing\n"
        "student = {'username': 'student', 'name': 'Student'}\n"
        f"student_chat = posing_as(Chat, student)({room!r}, endpoint='relay')\n"
        f"student_board = posing_as(Board, student)({room!r}, endpoint='relay')\n"
        "display(student_chat, student_board)",
        "teacher = {'username': 'teacher', 'name': 'Teacher', 'moderator': True}\n"
        f"posing_as(Chat, teacher)({room!r}, endpoint='relay')",
        "import json, os\n"
        "def report(_frame=None):\n"
        f"    with open({name + '.state.json.tmp'!r}, 'w') as f:\n"
        "        json.dump({'messages': [m['content'] for m in chat.messages],\n"
        "                   'locked': [chat.locked, board.locked]}, f)\n"
        f"    os.replace({name + '.state.json.tmp'!r}, {name + '.state.json'!r})\n"
        "chat.client.on_event(report)\nboard.client.on_event(report)\nreport()",
    ]
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                       "language": "python"}
    nbformat.write(notebook, root / f"{name}.ipynb")


def live(root: Locator) -> Locator:
    expect(root.locator('.pw-status[data-status="live"]')).to_be_visible(timeout=SLOW)
    return root


def test_moderation_in_the_widgets(lab: ServerProcess, open_notebook: OpenNotebook) -> None:
    root = Path(lab.workdir)
    write_moderation_notebook(root, "moderation", "e2e-moderation")
    pages = []
    for _ in range(2):
        page = open_notebook("lab/tree/moderation.ipynb")
        page.run_all()
        pages.append(page)
    a, b = pages
    chat_a, chat_b = (live(p.page.locator(".pw-chat").first) for p in (a, b))
    board_a = live(a.page.locator(".pw-board").first)
    student_chat = live(b.page.locator(".pw-chat").nth(1))
    student_board = live(b.page.locator(".pw-board").nth(1))
    teacher_chat = live(b.page.locator(".pw-chat").nth(2))

    # A moderator deletes a message in A: it disappears in B and in the kernel.
    for text in ("keep me", "delete me"):
        chat_a.locator(".pw-input").fill(text)
        chat_a.locator(".pw-input").press("Enter")
        expect(chat_b.locator(".pw-text", has_text=text)).to_be_visible(timeout=QUICK)
    row = chat_a.locator(".pw-msg", has_text="delete me")
    row.hover()
    row.locator(".pw-delete").click()
    expect(chat_b.locator(".pw-text", has_text="delete me")).to_have_count(0, timeout=QUICK)
    expect(chat_b.locator(".pw-text", has_text="keep me")).to_be_visible()
    kernel_state(root, "moderation", lambda s: s["messages"] == ["keep me"])

    # A student sees no moderation controls, and no delete on others' messages.
    for control in (".pw-mod:visible", ".pw-delete", ".pw-removable"):  # lock, clear; x; remove
        expect(student_chat.locator(control)).to_have_count(0)
    expect(student_board.locator(".pw-mod:visible")).to_have_count(0)  # clear, lock
    expect(chat_a.locator(".pw-mod:visible")).to_have_count(2)

    # A locks the chat: read-only for the student (input off, banner), not for moderators.
    chat_a.locator(".pw-lock").click()
    expect(student_chat.locator(".pw-input")).to_be_disabled(timeout=QUICK)
    expect(student_chat.locator(".pw-banner")).to_contain_text("read-only for now")
    expect(chat_b.locator(".pw-banner")).to_contain_text("moderators can still write")
    expect(chat_b.locator(".pw-input")).to_be_enabled()
    expect(chat_b.locator(".pw-lock")).to_have_text("Unlock")
    # A locks the board: the student's drawing tools are off.
    board_a.locator(".pw-lock").click()
    expect(student_board.get_by_role("button", name="Undo")).to_be_disabled(timeout=QUICK)
    expect(student_board.locator(".pw-surface.pw-readonly")).to_be_attached()
    kernel_state(root, "moderation", lambda s: s["locked"] == [True, True])
    chat_b.locator(".pw-lock").click()  # any moderator unlocks
    expect(student_chat.locator(".pw-input")).to_be_enabled(timeout=QUICK)
    expect(student_chat.locator(".pw-banner")).to_be_hidden()
    kernel_state(root, "moderation", lambda s: s["locked"] == [False, True])

    # A moderator removes a participant from the online list (two clicks): here
    # the kernel, whose connection closes for good, so every relayed view closes.
    badge = teacher_chat.locator(".pw-removable[title*='(kernel)']")
    badge.click()
    expect(badge).to_have_class(re.compile("pw-armed"))
    badge.click()
    for view in (teacher_chat, student_chat):
        expect(view.locator('.pw-status[data-status="closed"]')).to_be_visible(timeout=QUICK)
    expect(chat_b.locator('.pw-status[data-status="live"]')).to_be_visible()  # another user
    assert a.dialogs == [] and b.dialogs == []
