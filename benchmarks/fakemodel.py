"""Widget benchmarks in headless Chromium: a fake anywidget model, fresh pages.

``FAKE_MODEL`` (to splice into a page function's body) defines
``relayModel(traits, joinFrames)``: a model whose
``hello`` (the view asking the kernel relay to join) is answered with
``status: open`` then each of ``joinFrames`` (JSON texts), as the kernel relay
would; it returns ``{model, emit}``. No server, no kernel, no network.
:func:`in_fresh_pages` runs a page function once per fresh page.
"""

from __future__ import annotations

from typing import Any

from playwright.sync_api import sync_playwright

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def in_fresh_pages(script: str, arg: dict[str, Any], runs: int,
                   viewport: dict[str, int] | None = None) -> list[Any]:
    """What ``script`` (a page function) returns for ``arg``, once in each of ``runs`` new pages."""
    results = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            for _ in range(runs):
                page = browser.new_page(viewport=viewport) if viewport else browser.new_page()
                try:
                    results.append(page.evaluate(script, arg))
                finally:
                    page.close()
        finally:
            browser.close()
    return results

FAKE_MODEL = """
function relayModel(traits, joinFrames) {
  const listeners = {};
  const emit = (name, arg) => (listeners[name] ?? []).forEach((cb) => cb(arg));
  const hello = () => {
    emit("msg:custom", {kind: "status", status: "open"});
    for (const data of joinFrames()) emit("msg:custom", {kind: "frame", data});
  };
  const model = {
    get: (k) => traits[k], set: (k, v) => { traits[k] = v; }, save_changes() {},
    on: (name, cb) => { (listeners[name] ??= []).push(cb); },
    off: (name, cb) => { listeners[name] = (listeners[name] ?? []).filter((c) => c !== cb); },
    send: (msg) => { if (msg.kind === "hello") queueMicrotask(hello); },
  };
  return {model, emit};
}
"""
