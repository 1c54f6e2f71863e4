"""``to_markdown``: a chat history as a standalone Markdown transcript."""

from __future__ import annotations

from partywidget.client.transcript import to_markdown

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


def test_a_bots_label_follows_the_verified_name() -> None:
    bot = {**KERNEL, "label": "calc-bot"}
    text = to_markdown([{"id": 1, "user": bot, "timestamp": 0, "content": "42"}])
    assert text.startswith("**Ada · calc-bot** · 1970-01-01 00:00 UTC")
