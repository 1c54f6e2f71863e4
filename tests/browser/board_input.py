"""Input a mouse cannot give, for board tests: a stylus with pressure and a two-finger
pinch (Chrome DevTools Protocol events, so Chromium makes real pointer events of
them), and the WCAG contrast of computed colours."""

from __future__ import annotations

import re

from playwright.sync_api import Locator

from tests.browser.pages import NotebookPage


def at(canvas: Locator, fx: float, fy: float) -> tuple[float, float]:
    """Viewport coordinates of a point of ``canvas`` given as fractions of its size."""
    box = canvas.bounding_box()
    assert box is not None, "the canvas is not displayed"
    return box["x"] + box["width"] * fx, box["y"] + box["height"] * fy


def pen_stroke(page: NotebookPage, canvas: Locator, pressures: list[float]) -> None:
    """A stylus stroke across ``canvas`` (CDP: pointerType pen, force = pressure)."""
    canvas.scroll_into_view_if_needed()
    cdp = page.context.new_cdp_session(page.page)
    for i, force in enumerate(pressures):
        kind = "mousePressed" if i == 0 else "mouseMoved"
        x, y = at(canvas, 0.1 + 0.05 * i, 0.5)
        cdp.send("Input.dispatchMouseEvent", {"type": kind, "x": x, "y": y, "button": "left",
                                              "buttons": 1, "clickCount": 1,
                                              "pointerType": "pen", "force": force})
    cdp.send("Input.dispatchMouseEvent", {"type": "mouseReleased", "x": x, "y": y,
                                          "button": "left", "buttons": 0, "clickCount": 1,
                                          "pointerType": "pen"})
    cdp.detach()


def pinch(page: NotebookPage, canvas: Locator, spread: tuple[float, float]) -> None:
    """Two fingers at the centre of ``canvas`` move apart from ``spread[0]`` to ``spread[1]`` px."""
    canvas.scroll_into_view_if_needed()
    cdp = page.context.new_cdp_session(page.page)
    cx, cy = at(canvas, 0.5, 0.5)

    def fingers(d: float) -> list[dict[str, float]]:
        return [{"x": cx - d, "y": cy, "id": 1}, {"x": cx + d, "y": cy, "id": 2}]

    cdp.send("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": fingers(spread[0])})
    for step in range(1, 6):
        d = spread[0] + (spread[1] - spread[0]) * step / 5
        cdp.send("Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": fingers(d)})
    cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
    cdp.detach()


def luminance(css: str) -> float:
    """Relative luminance (WCAG) of an ``rgb()``/``rgba()`` computed colour."""
    r, g, b = (int(v) / 255 for v in re.findall(r"[\d.]+", css)[:3])
    lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in (r, g, b)]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def contrast(a: str, b: str) -> float:
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)
