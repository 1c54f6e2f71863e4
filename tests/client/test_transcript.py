"""``to_markdown``: a chat history as a standalone Markdown transcript."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from partywidget.client.transcript import to_markdown
from tests.conftest import REPO
from tests.integration.clients import NODE_DIR, run_node

ADA = {"username": "ada", "display_name": "Ada"}
KERNEL = {"username": "ada", "display_name": "Ada", "kernel": True}


def test_a_transcript_lists_each_message_with_name_time_and_content() -> None:
    text = to_markdown([
        {"id": 1, "user": ADA, "timestamp": 0, "content": "**hello** $x^2$"},
        {"id": 2, "user": KERNEL, "timestamp": 60_000, "content": {"n": "```"}},
        {"id": 3, "user": KERNEL, "timestamp": 120_000, "content": "<Figure>",
         "mime": {"image/png": "iVBORw0=", "text/plain": "<Figure [1]>"}},
        {"id": 4, "user": {}, "timestamp": 0, "content": "t",
         "mime": {"text/html": "<table/>", "text/markdown": "| a |\n|---|", "text/plain": "t"}},
    ], title="class-101")
    sections = text.split("\n\n---\n\n")
    assert sections[0] == "# class-101"
    assert sections[1] == "**Ada** · 1970-01-01 00:00 UTC\n\n**hello** $x^2$"
    # JSON in a fence longer than the backticks it holds
    assert sections[2].startswith("**Ada (kernel)** · 1970-01-01 00:01 UTC\n\n````json\n")
    assert sections[3].endswith("![<Figure [1)>](data:image/png;base64,iVBORw0=)")
    assert sections[4].endswith("| a |\n|---|\n") and sections[4].startswith("**someone**")


#: Messages with reactions, rich output and JSON: the same transcript from both sides.
REACTED = [
    {"id": 1, "user": ADA, "timestamp": 0, "content": "see `x`",
     "reactions": {"\U0001F44D": ["ada", "bob"], "\U0001F389": ["cy"]}},
    {"id": 2, "user": KERNEL, "timestamp": 60_000, "content": {"n": [1, "é"]},
     "reactions": {"\U0001F62E": []}},
    {"id": 3, "user": KERNEL, "timestamp": 120_000, "content": "<Figure>",
     "mime": {"image/png": "iVBORw0=", "text/plain": "<Figure [1]>"},
     "reactions": {"❤️": ["bob"]}},
]


def test_reactions_follow_each_message_with_counts_and_who() -> None:
    sections = to_markdown(REACTED, title="r").split("\n\n---\n\n")
    assert sections[1].endswith("see `x`\n\nReactions: \U0001F44D 2 (ada, bob) · \U0001F389 1 (cy)")
    assert "Reactions" not in sections[2]  # an emoji nobody holds any more is not listed
    assert sections[3].endswith(")\n\nReactions: ❤️ 1 (bob)\n")


def test_the_widgets_download_is_the_kernels_transcript(tmp_path: Path) -> None:
    """js/transcript.ts (the widget's download button) writes what chat.to_markdown() does."""
    bundle = tmp_path / "transcript.mjs"
    subprocess.run([str(REPO / "node_modules" / ".bin" / "esbuild"), "js/transcript.ts",
                    "--bundle", "--format=esm", "--platform=node", f"--outfile={bundle}"],
                   cwd=REPO, check=True, capture_output=True, timeout=60)
    (tmp_path / "messages.json").write_text(json.dumps(REACTED))
    page = run_node(str(NODE_DIR / "transcript.mjs"), str(bundle),
                    str(tmp_path / "messages.json"), "class-101")
    assert page == to_markdown(REACTED, title="class-101")


def test_a_bots_label_follows_the_verified_name() -> None:
    bot = {**KERNEL, "label": "calc-bot"}
    text = to_markdown([{"id": 1, "user": bot, "timestamp": 0, "content": "42"}])
    assert text.startswith("**Ada · calc-bot** · 1970-01-01 00:00 UTC")
