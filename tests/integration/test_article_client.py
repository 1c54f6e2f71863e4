"""The PartyKit article's chat client works against ``partywidget serve`` unchanged.

``tests/node/article/chat.js`` is the article's component (plain DOM instead of
React, the same socket usage), bundled with esbuild and served from a separate
``http.server`` on another 127.0.0.1 port, as a dev page would be: the socket
to ``localhost:<port>`` is cross-origin but loopback, which dev mode allows.
Headless Chromium runs it; a Python client chats with it.
"""

from __future__ import annotations

import functools
import shutil
import subprocess
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

import pytest
from playwright.async_api import async_playwright, expect

from tests.conftest import CHROMIUM, CHROMIUM_ARGS

from .clients import NODE_DIR


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def article_page(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Base URL of the bundled article page, on its own 127.0.0.1 port."""
    site = tmp_path_factory.mktemp("article-site")
    shutil.copy(NODE_DIR / "article" / "index.html", site / "index.html")
    subprocess.run([str(NODE_DIR / "node_modules" / ".bin" / "esbuild"), "article/chat.js",
                    "--bundle", "--format=esm", f"--outfile={site / 'chat.bundle.js'}",
                    "--log-level=warning"], cwd=NODE_DIR, check=True, timeout=60)
    server = ThreadingHTTPServer(("127.0.0.1", 0),
                                 functools.partial(QuietHandler, directory=str(site)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(10)


async def test_the_articles_react_style_client_chats_with_python(shared_standalone, room,
                                                                 join, article_page):
    python = await join(shared_standalone, room)
    await python.joined()
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = await browser.new_page()
            await page.goto(f"{article_page}/index.html?host=localhost:{shared_standalone.port}"
                            f"&room={room}")
            page_id = (await python.skip_to("userJoined"))["id"]

            await python.send({"content": "hello from Python"})
            await expect(page.locator("#messages > div")).to_have_text(
                [f"{python.id}: hello from Python"])

            await page.locator("input").fill("hello from the page")
            await page.locator("input").press("Enter")
            received = await python.skip_to("message", content="hello from the page")
            await expect(page.locator("#messages > div")).to_have_text(
                [f"{python.id}: hello from Python", f"{page_id}: hello from the page"])
        finally:
            await browser.close()

    assert received["from"] == page_id
    assert received["user"]["username"].startswith("guest-")
