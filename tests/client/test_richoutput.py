"""``mime_bundle``: a kernel's objects as chat MIME bundles (real Matplotlib, PIL, pandas)."""

from __future__ import annotations

import base64
from typing import Any

import matplotlib
import pandas as pd
import pytest
from PIL import Image

import partywidget
from partywidget.client.richoutput import is_plain, mime_bundle
from partywidget.errors import LimitExceeded
from partywidget.protocol.chat import Post, parse_mime

matplotlib.use("Agg")  # no display in tests; the kernel's backend does not matter to savefig
from matplotlib.figure import Figure  # noqa: E402 - after choosing the backend

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def png_of(bundle: dict[str, str]) -> bytes:
    return base64.b64decode(bundle["image/png"])


def test_a_matplotlib_figure_becomes_a_png():
    figure = Figure(figsize=(3, 2))
    figure.subplots().plot([0, 1, 2], [2, 0, 1])
    bundle = mime_bundle(figure)
    assert bundle is not None and png_of(bundle).startswith(PNG_MAGIC)
    assert bundle["text/plain"].startswith("<Figure")
    parse_mime(bundle)  # what the room host accepts


def test_a_pil_image_becomes_a_png():
    bundle = mime_bundle(Image.new("RGB", (8, 8), "red"))
    assert bundle is not None and png_of(bundle).startswith(PNG_MAGIC)


def test_a_dataframe_becomes_html_and_text():
    bundle = mime_bundle(pd.DataFrame({"x": [1, 2], "y": ["a", "b"]}))
    assert bundle is not None and "<table" in bundle["text/html"]
    assert "x" in bundle["text/plain"]


class Everything:
    """An object with every _repr_ the chat knows, some as (data, metadata)."""

    def _repr_svg_(self):
        return '<svg xmlns="http://www.w3.org/2000/svg"><circle r="4"/></svg>'

    def _repr_markdown_(self):
        return ("**bold**", {})

    def _repr_html_(self):
        return "<b>bold</b>"

    def _repr_latex_(self):  # not a type the chat shows: dropped
        return "$x$"

    def _repr_png_(self):
        raise RuntimeError("a failing repr is skipped, as in IPython")


def test_repr_methods_fill_the_bundle_and_unknown_types_are_dropped():
    bundle = mime_bundle(Everything())
    assert bundle is not None
    assert set(bundle) == {"image/svg+xml", "text/markdown", "text/html", "text/plain"}
    assert bundle["text/markdown"] == "**bold**"


def test_a_mimebundle_method_is_used_and_filtered():
    class Rich:
        def _repr_mimebundle_(self, include=None, exclude=None):
            return {"text/markdown": "# hi", "application/x-evil": "x"}, {}

    rich = Rich()
    assert mime_bundle(rich) == {"text/markdown": "# hi", "text/plain": repr(rich)}


def test_plain_values_are_not_rich_and_objects_without_reprs_have_no_bundle():
    assert all(is_plain(v) for v in ("s", 1, 1.5, True, None, [1], (1,), {"a": 1}))
    assert mime_bundle(object()) is None


def test_a_bundle_over_the_stored_message_limit_is_refused_with_a_clear_error():
    image = Image.effect_noise((200, 200), 100)  # noise does not compress
    with pytest.raises(LimitExceeded, match="stored-message limit of 1000 bytes.*smaller"):
        mime_bundle(image, max_bytes=1000)


def test_a_post_with_mime_round_trips_through_its_envelope():
    post = Post("<Figure>", "c1", {"image/png": "AAAA", "text/plain": "<Figure>"})
    assert Post.parse(post.to_json()) == post


def test_a_figure_posted_by_one_client_reaches_another_live_and_in_history(
        standalone_server: Any, wait_until: Any) -> None:
    """Over a real ``partywidget serve``: the bundle is stored, broadcast and replayed."""
    url = standalone_server.http_url
    figure = Figure(figsize=(2, 2))
    figure.subplots().bar([1, 2], [3, 1])
    with partywidget.connect("plots", url=url) as student, \
            partywidget.connect("plots", url=url, name="Teacher") as teacher:
        seen: list[dict[str, Any]] = []
        student.on_message(seen.append)
        teacher.send(figure)
        wait_until(lambda: seen, what="the figure at the student")
        (message,) = seen
        assert png_of(message["mime"]).startswith(PNG_MAGIC)
        assert message["content"] == message["mime"]["text/plain"]
        with pytest.raises(LimitExceeded, match="stored-message limit"):
            teacher.send(Image.effect_noise((400, 400), 100))
    with partywidget.connect("plots", url=url) as late:
        assert late.history()[0]["mime"] == message["mime"]
        assert len(late.history()) == 1  # the refused image was never sent
