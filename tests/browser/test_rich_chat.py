"""Rich chat in real JupyterLab pages: Markdown, tables, code with Copy, math, a
kernel's figure, and XSS payloads in every field the renderer touches.

Two browser contexts (two sessions) open one notebook: its kernel posts a
Matplotlib figure and the payloads; page A types Markdown; page B must show
all of it rendered, run none of the payloads and fetch nothing from outside
127.0.0.1 (its network log).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import nbformat
import pytest
from playwright.sync_api import Browser, Locator, expect

from tests.browser.pages import QUICK, SLOW, NotebookPage, screenshot
from tests.conftest import ServerProcess

pytestmark = pytest.mark.browser

ROOM = "rich-chat"
#: Documentation range address (RFC 5737): never a real host, and never fetched.
REMOTE = "http://198.51.100.7"
#: Each payload sets window.__pwxss if it ever runs.
RUN = "window.__pwxss=1"

MARKDOWN = (
    "# Results\n"
    "**bold** and `inline code` and ~~gone~~, see https://example.org\n\n"
    "| a | b |\n|---|---|\n| 1 | 2 |\n\n"
    "```python\nprint('hi')\n```\n\n"
    "Inline $x^2$ and \\(y_1\\), and display:\n\n"
    "$$\\int_0^1 x\\,dx$$\n\n"
    "- [x] done\n- [ ] todo"
)

#: Message contents (Markdown): raw HTML, script URLs, link tricks, a remote image,
#: a hostile fence language, KaTeX commands that would make links or styles, CSS.
CONTENT_PAYLOADS = [
    f"<script>{RUN}</script>",
    f'<img src=x onerror="{RUN}">',
    f'<svg onload="{RUN}"><script>{RUN}</script></svg>',
    f"[click](javascript:{RUN})",
    f"[click](<javascript:{RUN}>) [c2]( JaVaScRiPt:{RUN}) <javascript:{RUN}>",
    "[data](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    f"![remote]({REMOTE}/content.png)",
    f'```"><img src=x onerror="{RUN}">\ncode\n```',
    f"$\\href{{javascript:{RUN}}}{{x}}$ and $\\htmlStyle{{position:fixed;inset:0}}{{y}}$",
    "<style>.pw-chat{display:none}</style> [x](#){onclick=alert(1)}",
]

#: MIME bundles a (hostile) kernel could send, each type the widget renders.
MIME_PAYLOADS = [
    {"text/html": f'<img src=x onerror="{RUN}"><script>{RUN}</script>'
                  f'<a href="javascript:{RUN}">a</a><img src="{REMOTE}/html.png">'
                  f'<div style="position:fixed;inset:0;background:red">cover</div>'
                  f'<iframe src="javascript:{RUN}"></iframe><form><input name="x"></form>'
                  "<table class='dataframe'><tr><td>cell</td></tr></table>",
     "text/plain": "html payload"},
    {"image/svg+xml": f'<svg xmlns="http://www.w3.org/2000/svg" onload="{RUN}">'
                      f"<script>{RUN}</script><image href=\"{REMOTE}/svg.png\"/>"
                      '<circle r="5"/></svg>',
     "text/plain": "svg payload"},
    {"image/png": f'"><img src=x onerror="{RUN}">', "text/plain": "bad png payload"},
    {"text/markdown": f'<img src=x onerror="{RUN}"> [md](javascript:{RUN}) '
                      f"![r]({REMOTE}/md.png)",
     "text/plain": "markdown payload"},
]


def write_notebook(root: Path) -> None:
    """Rich chat, then a text-only view, then the kernel's figure and payloads (once per room)."""
    cells = [
        f"from partywidget import Chat\nchat = Chat({ROOM!r})\nchat",
        f"plain = Chat({ROOM!r}, markdown=False)\nplain",
        "import json, matplotlib\nmatplotlib.use('Agg')\n"
        "from matplotlib.figure import Figure\n"
        "if not any(m.get('mime') for m in chat.messages):\n"
        "    fig = Figure(figsize=(3, 2))\n"
        "    fig.subplots().plot([0, 1, 2], [2, 0, 1])\n"
        "    chat.send(fig)\n"
        f"    for text in json.loads({json.dumps(CONTENT_PAYLOADS)!r}):\n"
        "        chat.send(text)\n"
        f"    for i, bundle in enumerate(json.loads({json.dumps(MIME_PAYLOADS)!r})):\n"
        "        chat.client.send_raw({'content': bundle['text/plain'], 'mime': bundle,"
        " 'cid': f'payload-{i}'})\n"
        "    chat.send('payloads done')",
    ]
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                       "language": "python"}
    nbformat.write(notebook, root / "rich.ipynb")


class NetworkLog:
    """Every request a page makes; any outside 127.0.0.1 (or data:/blob:) is a leak."""

    def __init__(self, page: NotebookPage) -> None:
        # Attached once the page loaded (JupyterLab's own files), before any widget renders.
        self.urls: list[str] = []
        page.page.on("request", lambda request: self.urls.append(request.url))

    def outside(self) -> list[str]:
        return [url for url in self.urls if urlsplit(url).scheme not in ("data", "blob")
                and urlsplit(url).hostname != "127.0.0.1"]


@dataclass
class Pages:
    """Page A (which typed Markdown), page B (opened after the kernel's posts), B's network log."""

    a: NotebookPage
    b: NotebookPage
    network: NetworkLog


def open_chat(browser: Browser, lab: ServerProcess) -> NotebookPage:
    page = NotebookPage(browser, lab, "lab/tree/rich.ipynb")
    page.run_all()
    page.widget("chat")
    return page


@pytest.fixture(scope="module")
def pages(browser: Browser, lab: ServerProcess) -> Iterator[Pages]:
    """Two sessions on one notebook, shared by this module's tests (a kernel start each
    is the slow part). B opens once the kernel posted its figure and payloads."""
    write_notebook(Path(lab.workdir))
    a = open_chat(browser, lab)
    try:
        expect(rich_log(a).locator(".pw-text", has_text="payloads done")).to_be_visible(
            timeout=SLOW)
        box = a.page.locator(".pw-chat").first.locator(".pw-input")
        box.fill(MARKDOWN)
        box.press("Enter")
        b = NotebookPage(browser, lab, "lab/tree/rich.ipynb")
        try:
            network = NetworkLog(b)
            b.run_all()
            b.widget("chat")
            b.context.grant_permissions(["clipboard-read", "clipboard-write"])
            yield Pages(a, b, network)
        finally:
            b.close()
    finally:
        a.close()


def rich_log(page: NotebookPage) -> Locator:
    return page.page.locator(".pw-chat").first.locator(".pw-log")


def test_markdown_math_code_and_a_kernel_figure_render_and_payloads_stay_inert(
        pages: Pages) -> None:
    a, b, network = pages.a, pages.b, pages.network
    log = rich_log(b)
    message = log.locator(".pw-text.pw-rich", has_text="Results")
    expect(message).to_be_visible(timeout=QUICK)

    # Markdown: heading, emphasis, strikethrough, a GFM table, a task list, an autolink.
    expect(message.locator("h1")).to_have_text("Results")
    expect(message.locator("strong")).to_have_text("bold")
    expect(message.locator("s")).to_have_text("gone")
    expect(message.locator("table td").nth(1)).to_have_text("2")
    expect(message.locator("li.pw-task").first).to_contain_text("☑ done")
    link = message.locator("a", has_text="https://example.org")
    expect(link).to_have_attribute("target", "_blank")
    expect(link).to_have_attribute("rel", "noopener noreferrer")
    # Code: highlighted, with a Copy button that copies exactly the code.
    code = message.locator(".pw-code")
    expect(code.locator(".hljs-built_in, .hljs-string").first).to_be_visible()
    code.locator("button.pw-copy").click()
    expect(code.locator("button.pw-copy")).to_have_text("Copied")
    assert b.page.evaluate("navigator.clipboard.readText()") == "print('hi')\n"
    # Math: two inline formulas and one display formula, typeset by KaTeX.
    expect(message.locator(".katex")).to_have_count(3)
    expect(message.locator(".katex-display")).to_have_count(1)

    # The kernel's figure shows, decoded, on both pages.
    for page in (a, b):
        figure = rich_log(page).locator("img.pw-mime-image[src^='data:image/png;base64,']")
        expect(figure).to_be_visible(timeout=QUICK)
        assert figure.evaluate("img => img.complete && img.naturalWidth > 0")

    # The transcript downloads as Markdown: the typed source, the figure embedded.
    with b.page.expect_download(timeout=QUICK) as download:
        b.page.locator(".pw-chat").first.locator(".pw-export").click()
    assert download.value.suggested_filename == f"{ROOM}.md"
    transcript = Path(download.value.path()).read_text()
    assert transcript.startswith(f"# {ROOM}\n\n---\n\n") and MARKDOWN in transcript
    assert "](data:image/png;base64," in transcript

    # The text-only view shows the same message as its source text.
    plain = b.page.locator(".pw-chat").nth(1).locator(".pw-log")
    expect(plain.locator(".pw-text", has_text="**bold**")).to_be_visible(timeout=QUICK)
    assert plain.locator(".pw-rich").count() == 0

    # Payloads: rendered inert, as text or sanitized markup.
    expect(log.locator(".pw-text", has_text="payloads done")).to_be_visible(timeout=QUICK)
    expect(log.locator(".pw-mime-html td")).to_have_text("cell")
    expect(log.locator("img.pw-mime-image[src^='data:image/svg+xml']")).to_have_count(1)
    expect(log.locator(".pw-text", has_text="bad png payload")).to_be_visible()
    screenshot(b.page.locator(".pw-chat").first, "rich-chat.png")
    for page in (a, b):
        assert page.page.evaluate("window.__pwxss") is None
        assert page.dialogs == []
        inert = page.page.locator(".pw-chat .pw-log")
        for selector in ("script", "iframe", "form", "input", "style", "svg image",
                         "[onerror]", "[onload]", "[onclick]", "a[href^='javascript' i]",
                         "a[href^='data' i]", "img:not([src^='data:image/'])",
                         ".pw-mime-html [style]"):
            assert inert.locator(selector).count() == 0, selector
        # Nothing escapes a message box: every rendered element lies within its log.
        assert page.page.evaluate("""() => [...document.querySelectorAll('.pw-rich')].every(el => {
            const log = el.closest('.pw-log').getBoundingClientRect();
            const box = el.getBoundingClientRect();
            return box.left >= log.left - 1 && box.right <= log.right + 1;
        })""")
    assert network.outside() == [], network.outside()


def test_typing_mentions_unread_and_replies_cross_between_pages(pages: Pages) -> None:
    """B's typing shows in A; A's @mention of B is highlighted in B and counted as
    unread while B is scrolled up; B's reply to it shows the quote in A."""
    a, b = pages.a, pages.b
    chat_a = a.page.locator(".pw-chat").first
    chat_b = b.page.locator(".pw-chat").first

    chat_b.locator(".pw-input").press_sequentially("hel")
    expect(chat_a.locator(".pw-typing")).to_contain_text("is typing…", timeout=QUICK)
    chat_b.locator(".pw-input").press_sequentially("lo from B")
    chat_b.locator(".pw-input").press("Enter")
    from_b = chat_a.locator(".pw-msg", has_text="hello from B")
    expect(from_b).to_be_visible(timeout=QUICK)
    expect(chat_a.locator(".pw-typing")).to_have_text("")  # a message ends its typing
    name_of_b = from_b.locator(".pw-name").inner_text()

    chat_b.locator(".pw-log").evaluate("log => { log.scrollTop = 0; }")
    chat_a.locator(".pw-input").fill(f"@{name_of_b} look here")
    chat_a.locator(".pw-input").press("Enter")
    expect(chat_b.locator(".pw-msg.pw-mention", has_text="look here")).to_have_count(1,
                                                                                      timeout=QUICK)
    expect(chat_b.locator(".pw-unread")).to_have_text("1")
    assert chat_a.locator(".pw-msg.pw-mention").count() == 0  # one's own message never is
    chat_b.locator(".pw-new").click()
    expect(chat_b.locator(".pw-unread")).to_be_hidden()

    # B replies to the mention: A sees the reply with the answered message quoted.
    mention = chat_b.locator(".pw-msg", has_text="look here")
    mention.hover()
    mention.locator(".pw-reply").click()
    expect(chat_b.locator(".pw-replying .pw-quote")).to_contain_text("look here")
    chat_b.locator(".pw-input").fill("yes, seen")
    chat_b.locator(".pw-input").press("Enter")
    expect(chat_b.locator(".pw-replying")).to_be_hidden()
    reply = chat_a.locator(".pw-msg", has_text="yes, seen")
    expect(reply.locator(".pw-quote")).to_contain_text("look here", timeout=QUICK)


def test_an_edit_and_reactions_cross_between_pages(pages: Pages) -> None:
    """A edits its message: B sees the new text marked "(edited)". B reacts with 👍;
    A's click on the chip adds A's (count 2, pressed), a second click takes it back."""
    a, b = pages.a, pages.b
    chat_a = a.page.locator(".pw-chat").first
    chat_b = b.page.locator(".pw-chat").first
    chat_a.locator(".pw-input").fill("tpyo here")
    chat_a.locator(".pw-input").press("Enter")
    own = chat_a.locator(".pw-msg", has_text="tpyo here")
    expect(own).to_be_visible(timeout=QUICK)
    own.hover()
    own.locator(".pw-edit").click()
    expect(chat_a.locator(".pw-input")).to_have_value("tpyo here")
    chat_a.locator(".pw-input").fill("typo fixed")
    chat_a.locator(".pw-input").press("Enter")
    edited = chat_b.locator(".pw-msg", has_text="typo fixed")
    expect(edited.locator(".pw-edited")).to_have_text("(edited)", timeout=QUICK)
    assert chat_b.locator(".pw-msg", has_text="tpyo here").count() == 0

    edited.hover()
    edited.locator(".pw-react").click()
    edited.locator(".pw-react-pick", has_text="\U0001F44D").click()
    chip = chat_a.locator(".pw-msg", has_text="typo fixed").locator(".pw-chip")
    expect(chip).to_have_text("\U0001F44D 1", timeout=QUICK)
    expect(chip).to_have_attribute("aria-pressed", "false")
    chip.click()
    expect(edited.locator(".pw-chip")).to_have_text("\U0001F44D 2", timeout=QUICK)
    expect(chip).to_have_attribute("aria-pressed", "true")
    chip.click()
    expect(edited.locator(".pw-chip")).to_have_text("\U0001F44D 1", timeout=QUICK)
    expect(edited.locator(".pw-chip")).to_have_attribute("aria-pressed", "true")
