"""Chat tools in real pages: Insert below (JupyterLab and Notebook 7), @autocomplete
between two sessions, and the chat's fit at 700 px with readable names in both themes.

Page A is JupyterLab, page B Notebook 7, on one notebook (one kernel). The kernel
posts a message with a code block and math once; the pages react and reply, and
the module ends with the chat screenshots the docs show (scripts/screenshots.sh
copies them to docs/images).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import nbformat
import pytest
from playwright.sync_api import Browser, Locator, expect

from tests.browser.pages import QUICK, SLOW, NotebookPage, screenshot
from tests.conftest import ServerProcess

pytestmark = pytest.mark.browser

ROOM = "chat-tools"
CODE = "answer = 40 + 2"
SNIPPET = "import this"
KERNEL_POST = ("Try this in your notebook:\n\n```python\n" + CODE + "\n```\n\n"
               "and recall $e^{i\\pi} + 1 = 0$.")
#: The notebook's cells in the page's model, with what nothing-ran is judged by.
CELLS_JS = """() => window.jupyterapp.shell.currentWidget.content.model.sharedModel.cells
    .map(cell => ({source: cell.getSource(), count: cell.execution_count ?? null,
                   outputs: cell.cell_type === 'code' ? cell.getOutputs().length : 0}))"""
#: WCAG contrast of every name in a chat view against what is painted behind it.
CONTRASTS_JS = """root => {
    const parse = text => {
        const n = text.match(/[\\d.]+/g).map(Number);
        const srgb = text.startsWith('color(');
        const rgb = srgb ? n.slice(0, 3).map(v => v * 255) : n.slice(0, 3);
        return [...rgb, n.length > 3 ? n[3] : 1];
    };
    const over = (top, below) => top.slice(0, 3).map((c, i) => c * top[3] + below[i] * (1 - top[3]));
    const background = el => {
        const layers = [];
        for (let node = el; node; node = node.parentElement) {
            const color = parse(getComputedStyle(node).backgroundColor);
            if (color[3] > 0) layers.push(color);
            if (color[3] === 1) break;
        }
        return layers.reverse().reduce((below, top) => over(top, below), [255, 255, 255]);
    };
    const lum = rgb => {
        const [r, g, b] = rgb.map(v => v / 255).map(c => c <= 0.03928 ? c / 12.92
                                                       : ((c + 0.055) / 1.055) ** 2.4);
        return 0.2126 * r + 0.7152 * g + 0.0722 * b;
    };
    return [...root.querySelectorAll('.pw-name')].map(name => {
        const [a, b] = [lum(over(parse(getComputedStyle(name).color), background(name))),
                        lum(background(name))].sort((x, y) => y - x);
        return [name.textContent, (a + 0.05) / (b + 0.05)];
    });
}"""
#: Whether anything in the header sticks out of it, and whether the placeholder fits its input.
FIT_JS = """root => {
    const head = root.querySelector('.pw-head').getBoundingClientRect();
    const out = [...root.querySelectorAll('.pw-head > *:not([hidden])')].filter(el => {
        const box = el.getBoundingClientRect();
        return box.right > head.right + 0.5 || box.left < head.left - 0.5;
    }).map(el => el.className);
    const input = root.querySelector('.pw-input');
    const style = getComputedStyle(input);
    const context = document.createElement('canvas').getContext('2d');
    context.font = `${style.fontSize} ${style.fontFamily}`;
    const room = input.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
    return {out, overflow: root.querySelector('.pw-head').scrollWidth
                           - root.querySelector('.pw-head').clientWidth,
            placeholder: context.measureText(input.placeholder).width <= room};
}"""


def write_notebook(root: Path) -> None:
    cells = [
        f"from partywidget import Chat\nchat = Chat({ROOM!r})\nchat",
        # Once per kernel: page B reruns the notebook in the same kernel.
        f"if not globals().get('posted'):\n    chat.send({KERNEL_POST!r})\n    posted = True",
        f"from partywidget import Snippets\nsnips = Snippets({ROOM!r})\n"
        f"if not globals().get('pushed'):\n    snips.push({SNIPPET!r})\n    pushed = True\nsnips",
    ]
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                       "language": "python"}
    nbformat.write(notebook, root / "tools.ipynb")


@dataclass
class Pages:
    """Page A (JupyterLab) and page B (Notebook 7) on one notebook."""

    a: NotebookPage
    b: NotebookPage


def chat(page: NotebookPage) -> Locator:
    return page.page.locator(".pw-chat").first


def kernel_message(page: NotebookPage) -> Locator:
    return chat(page).locator(".pw-msg.pw-kernel", has_text="Try this")


@pytest.fixture(scope="module")
def pages(browser: Browser, lab: ServerProcess) -> Iterator[Pages]:
    write_notebook(Path(lab.workdir))
    a = NotebookPage(browser, lab, "lab/tree/tools.ipynb")
    try:
        a.run_all()
        a.widget("chat")
        expect(kernel_message(a).locator(".pw-code")).to_be_visible(timeout=SLOW)
        b = NotebookPage(browser, lab, "notebooks/tools.ipynb")
        try:
            b.run_all()
            b.widget("chat")
            expect(kernel_message(b).locator(".pw-code")).to_be_visible(timeout=SLOW)
            yield Pages(a, b)
        finally:
            b.close()
    finally:
        a.close()


@pytest.mark.parametrize("which", ["a", "b"])
def test_insert_below_puts_the_code_in_a_new_cell_and_runs_nothing(pages: Pages,
                                                                   which: str) -> None:
    """In JupyterLab (a) and Notebook 7 (b): the code block's Insert below adds an
    unexecuted cell holding the code right under the chat's cell."""
    page = getattr(pages, which)
    before = page.page.evaluate(CELLS_JS)
    insert = kernel_message(page).locator(".pw-code-tools .pw-insert")
    expect(kernel_message(page).locator(".pw-code-tools .pw-copy")).to_be_visible()
    insert.click()
    expect(insert).to_have_text("Inserted", timeout=QUICK)
    after = page.page.evaluate(CELLS_JS)
    assert len(after) == len(before) + 1
    assert after[1] == {"source": CODE, "count": None, "outputs": 0}
    assert after[:1] + after[2:] == before
    # The page's notebook shows it as a new, never-run cell.
    new_cell = page.page.locator(".jp-Notebook .jp-Cell").nth(1)
    expect(new_cell.locator(".cm-content")).to_have_text(CODE, timeout=QUICK)
    expect(new_cell.locator(".jp-InputPrompt")).to_have_text("[ ]:")


def test_a_snippets_insert_below_uses_the_same_mechanism(pages: Pages) -> None:
    """The Snippets widget's Insert below (issue 15) adds the snippet, unrun, under its cell."""
    page = pages.a
    before = page.page.evaluate(CELLS_JS)
    index = next(i for i, cell in enumerate(before) if "Snippets(" in cell["source"])
    insert = page.page.locator(".pw-snippets .pw-snippet", has_text=SNIPPET).locator(".pw-insert")
    expect(insert).to_be_visible(timeout=SLOW)
    insert.click()
    expect(insert).to_have_text("Inserted", timeout=QUICK)
    after = page.page.evaluate(CELLS_JS)
    assert after[index + 1] == {"source": SNIPPET, "count": None, "outputs": 0}
    assert after[:index + 1] + after[index + 2:] == before


def test_screenshots_of_a_rich_conversation(pages: Pages) -> None:
    """A reaction and a reply on the kernel's message, then the light, dark and
    narrow screenshots of docs/images (copied there by scripts/screenshots.sh)."""
    a, b = pages.a, pages.b
    message = kernel_message(b)
    message.hover()
    message.locator(".pw-react").click()
    message.locator(".pw-react-pick", has_text="\U0001F389").click()
    message.hover()
    message.locator(".pw-reply").click()
    chat(b).locator(".pw-input").fill("Works: **42**, and $\\sqrt{1764} = 42$ too")
    chat(b).locator(".pw-input").press("Enter")
    view = chat(a)
    expect(view.locator(".pw-msg", has_text="Works").locator(".pw-quote")).to_be_visible(
        timeout=QUICK)
    expect(kernel_message(a).locator(".pw-chip")).to_have_text("\U0001F389 1")
    expect(view.locator(".pw-msg", has_text="Works").locator(".katex")).to_be_visible()
    # The kernel's message (code block, math, reaction) at the top, the reply below it.
    kernel_message(a).evaluate("row => row.scrollIntoView({block: 'start'})")
    screenshot(view, "chat-rich-light.png")
    a.theme("JupyterLab Dark")
    try:
        screenshot(view, "chat-rich-dark.png")
    finally:
        a.theme("JupyterLab Light")
    a.page.set_viewport_size({"width": 700, "height": 1000})
    try:
        screenshot(view, "chat-narrow.png")
    finally:
        a.page.set_viewport_size({"width": 1280, "height": 1400})


def test_at_autocompletes_names_of_who_is_online(pages: Pages) -> None:
    """B posts; A types `@` and the start of B's name: arrows move, Enter picks
    (inserting `@name ` as text, sending nothing), Escape closes; the sent mention
    is highlighted in B."""
    a, b = chat(pages.a), chat(pages.b)
    b.locator(".pw-input").fill("hello from B")
    b.locator(".pw-input").press("Enter")
    name = a.locator(".pw-msg", has_text="hello from B").locator(".pw-name")
    expect(name).to_be_visible(timeout=QUICK)
    name_of_b = name.inner_text()

    box = a.locator(".pw-input")
    box.fill("")
    box.press_sequentially("see @" + name_of_b[:3])
    options = a.locator(".pw-complete .pw-complete-option")
    expect(options.filter(has_text=f"@{name_of_b}")).to_have_count(1, timeout=QUICK)
    assert a.locator(".pw-complete-option *").count() == 0  # names are text
    box.press("ArrowDown")
    box.press("ArrowUp")
    expect(options.first).to_have_attribute("aria-selected", "true")
    target = options.filter(has_text=f"@{name_of_b}")
    for _ in range(options.count()):  # bounded: at most one step per option
        if target.get_attribute("aria-selected") == "true":
            break
        box.press("ArrowDown")
    box.press("Enter")
    expect(a.locator(".pw-complete")).to_be_hidden()
    expect(box).to_have_value(f"see @{name_of_b} ")
    box.press_sequentially("and @" + name_of_b[:2])
    expect(a.locator(".pw-complete")).to_be_visible()
    box.press("Escape")
    expect(a.locator(".pw-complete")).to_be_hidden()
    expect(box).to_have_value(f"see @{name_of_b} and @{name_of_b[:2]}")
    box.press("Enter")  # the popup is closed: Enter sends
    expect(b.locator(".pw-msg.pw-mention", has_text="see @")).to_have_count(1, timeout=QUICK)


def test_header_fits_700_px_names_read_in_both_themes_and_prose_is_not_monospace(
        pages: Pages) -> None:
    """At 700 px the header keeps inside the widget and the placeholder fits; names
    (the kernel's too) reach WCAG AA against light and dark; a narrow chat collapses
    the avatars into "+N"; kernel prose uses the normal font, its code monospace."""
    a = pages.a
    view = chat(a)
    a.page.set_viewport_size({"width": 700, "height": 1000})
    fit = view.evaluate(FIT_JS)
    assert fit == {"out": [], "overflow": 0, "placeholder": True}, fit

    for theme in ("JupyterLab Dark", "JupyterLab Light"):
        a.theme(theme)
        contrasts = view.evaluate(CONTRASTS_JS)
        assert any(name.endswith("(kernel)") for name, _ in contrasts)
        assert all(ratio >= 4.5 for _, ratio in contrasts), (theme, contrasts)

    text = kernel_message(a).locator(".pw-text")
    fonts = text.evaluate("""el => [getComputedStyle(el).fontFamily,
        getComputedStyle(el.closest('.pw-root')).fontFamily,
        getComputedStyle(el.querySelector('pre code')).fontFamily]""")
    assert fonts[0] == fonts[1] and "monospace" not in fonts[0].lower()
    assert "monospace" in fonts[2].lower()

    online = view.locator(".pw-online")
    users = online.get_attribute("title") or ""
    view.evaluate("root => { root.style.width = '330px'; }")
    try:
        expect(online.locator(".pw-more")).to_be_visible(timeout=QUICK)
        assert view.evaluate(FIT_JS)["out"] == []
        hidden = online.locator(".pw-more").get_attribute("title") or ""
        assert hidden and all(name in users for name in hidden.split(", "))
    finally:
        view.evaluate("root => { root.style.width = ''; }")
        a.page.set_viewport_size({"width": 1280, "height": 1400})
