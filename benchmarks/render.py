"""How fast the Chat widget shows, and renders rich messages, in headless Chromium.

``python -m benchmarks.render [--messages N] [--runs R]`` loads the built
``partywidget/widgets/static/chat.js`` into a blank page as anywidget would (a
Blob URL module), with a fake model in relay mode: no server and no kernel, the
join frames are handed to the widget as the kernel relay would. It prints, as
medians over ``R`` fresh pages:

* ``shown``: from importing chat.js to every message of the history shown as
  text (what the reader sees first; the renderer is not loaded yet);
* ``rich``: from importing to every message rendered (Markdown, math, code),
  which includes loading the embedded renderer once;
* ``rerender``: script time of rendering the same history again with the
  renderer loaded (toggling ``markdown`` off and on: nothing cached), the
  cost of typesetting a history once the renderer is there;
* ``rebuild``: script time of rebuilding the list after a deletion (rendered
  texts are reused).

Everything stays in the page (no network). Timings are the page's own
``performance.now()``; nothing here is a test.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from pathlib import Path

from benchmarks.fakemodel import FAKE_MODEL, in_fresh_pages

ROOT = Path(__file__).resolve().parent.parent
BUNDLE = ROOT / "partywidget" / "widgets" / "static" / "chat.js"
CSS = ROOT / "partywidget" / "widgets" / "static" / "chat.css"
#: A typical notebook chat message: prose, inline code, math, a short code block.
SAMPLE = ("Try **this** with `np.linalg.solve`: for $Ax = b$ the residual is $\\|Ax-b\\|_2$.\n\n"
          "```python\nx = np.linalg.solve(A, b)\nprint(x)\n```")

PAGE_SCRIPT = """async ({code, css, count, sample, textOnly}) => {""" + FAKE_MODEL + """
  const style = document.createElement("style");
  style.textContent = css;
  document.head.append(style);
  const traits = {room: "bench", party: "main", _endpoint: "relay", _prefix: "", markdown: true};
  const user = {username: "u", display_name: "U"};
  const messages = Array.from({length: count}, (_, i) => ({
    id: i + 1, from: "other", user, content: sample, timestamp: 0}));
  const {model, emit} = relayModel(traits, () => [
    JSON.stringify({type: "welcome", roomId: "bench", party: "main", id: "me", user, epoch: "e",
                    users: [], locked: false}),
    JSON.stringify({type: "history", messages, epoch: "e", recovered: false})]);
  const el = document.createElement("div");
  document.body.append(el);
  const start = performance.now();
  const url = URL.createObjectURL(new Blob([code], {type: "text/javascript"}));
  const widget = (await import(url)).default();
  widget.initialize({model});
  widget.render({model, el});
  const until = (test) => new Promise((resolve) => {
    const check = () => test() ? resolve(performance.now() - start) : requestAnimationFrame(check);
    check();
  });
  const shown = await until(() => el.querySelectorAll(".pw-text").length === count);
  if (textOnly) return {shown};
  const rich = await until(() => el.querySelectorAll(".pw-text.pw-rich").length === count);
  // With the renderer loaded both are synchronous: script time, layout excluded.
  traits.markdown = false; emit("change:markdown");
  let before = performance.now();
  traits.markdown = true; emit("change:markdown");
  const rerender = performance.now() - before;
  before = performance.now();
  emit("msg:custom", {kind: "frame", data: JSON.stringify({type: "deleted", id: 1})});
  const rebuild = performance.now() - before;
  return {shown, rich, rerender, rebuild, katex: el.querySelectorAll(".katex").length};
}"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=200)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--bundle", type=Path, default=BUNDLE,
                        help="another build of chat.js (e.g. a text-only one, for comparison)")
    parser.add_argument("--text-only", action="store_true",
                        help="time only `shown` (for bundles without the renderer)")
    args = parser.parse_args(argv)
    code, css = args.bundle.read_text(), CSS.read_text()
    results = in_fresh_pages(PAGE_SCRIPT, {"code": code, "css": css, "count": args.messages,
                                           "sample": SAMPLE, "textOnly": args.text_only},
                             args.runs)
    keys = ("shown",) if args.text_only else ("shown", "rich", "rerender", "rebuild")
    assert args.text_only or all(r["katex"] == 2 * (args.messages - 1) for r in results), results
    medians = {key: round(statistics.median(r[key] for r in results), 1) for key in keys}
    print(json.dumps({"messages": args.messages, "runs": args.runs,
                      "bundle_kb": round(args.bundle.stat().st_size / 1024),
                      "median_ms": medians}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
