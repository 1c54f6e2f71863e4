"""One person, one identity: on a personal Jupyter server (jupyter_server's own
token identity) the owner's browser tab and kernel read as the same user, and a
kernel bot's ``connect(name=...)`` is a label after that user, never a new name."""

from __future__ import annotations

import getpass
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from tests.browser.conftest import lab_server, notebook_opener
from tests.browser.pages import QUICK, SLOW, kernel_state
from tests.browser.test_classroom_in_browser import write_notebook
from tests.conftest import ServerProcess

pytestmark = pytest.mark.browser


@pytest.fixture
def personal_lab(tmp_path: Path) -> Iterator[ServerProcess]:
    """A Jupyter server with jupyter_server's own identity provider (a personal server)."""
    server = lab_server(tmp_path, identity=None)
    try:
        yield server
    finally:
        server.stop()


def test_the_owners_tab_and_kernel_are_one_user_and_a_bot_is_labelled(
        personal_lab: ServerProcess, browser: Browser) -> None:
    root, room, owner = Path(personal_lab.workdir), "e2e-identity", getpass.getuser()
    write_notebook(root, "identity", [
        f"import partywidget\nfrom partywidget import Chat\nchat = Chat({room!r})\nchat",
        f"bot = partywidget.connect({room!r}, name='calc-bot\\u202e<b>')\n"
        "bot.send('42 from the bot')\nchat.send('hello from the kernel')",
        "import json, os\n"
        "def report(_frame=None):\n"
        "    with open('identity.tmp', 'w') as f:\n"
        "        json.dump([[m['content'], m['user']['username'], m['user'].get('label')]\n"
        "                   for m in chat.messages], f)\n"
        "    os.replace('identity.tmp', 'identity.state.json')\n"
        "chat.client.on_event(report)\nreport()",
    ])
    opener = notebook_opener(browser, personal_lab)
    page = next(opener)("lab/tree/identity.ipynb")
    try:
        page.run_all()
        chat = page.widget("chat")
        chat.locator(".pw-input").fill("from the tab")
        chat.locator(".pw-input").press("Enter")

        def name_of(text: str):
            return chat.locator(".pw-msg", has_text=text).locator(".pw-name")

        # The tab is the owner (not "Anonymous ..."), its message marked "you".
        expect(name_of("from the tab")).to_have_text(owner, timeout=SLOW)
        expect(chat.locator(".pw-msg", has_text="from the tab").locator(".pw-you")
               ).to_have_text("you")
        expect(name_of("hello from the kernel")).to_have_text(f"{owner} (kernel)",
                                                              timeout=QUICK)
        # The bot's label follows the verified name, as text, without the bidi override.
        expect(name_of("42 from the bot")).to_have_text(f"{owner} · calc-bot<b>")
        assert chat.locator(".pw-log b").count() == 0
        online = chat.locator(".pw-online")
        expect(online).to_have_attribute("title", re.compile("calc-bot"), timeout=QUICK)
        title = online.get_attribute("title") or ""
        assert sorted(title.removesuffix(" online").split(", ")) == sorted(
            [owner, f"{owner} (kernel)", f"{owner} · calc-bot<b>"])

        # The kernel sees the same: one username for all three, the bot labelled.
        seen = kernel_state(root, "identity", lambda s: len(s) == 3)
        assert sorted(map(tuple, seen)) == sorted([
            ("42 from the bot", owner, "calc-bot<b>"), ("hello from the kernel", owner, None),
            ("from the tab", owner, None)])
        assert page.dialogs == []
    finally:
        opener.close()
